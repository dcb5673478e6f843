// Package bodytest is one corpus of request bodies, good and bad, for the API's body model
// (api.Models["NoteInput"]): every limit at and just past its edge, the shapes, types and
// encodings a decoder can trip on, and the bodies of the committed fuzz corpora of the
// handlers and of the request decoder, with the decoder's seeds. The gateway-parity tests run it through the model
// as API Gateway validates it and through the handler (test/artifact), and through the
// local server (lambdas/cmd/local/localserver).
package bodytest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/example/notesplatform/lambdas/api"
)

// Body is one request body of the corpus.
type Body struct {
	// Name says what it tests ("title at 200 characters") or which corpus file it is.
	Name string
	JSON []byte
}

// FuzzCorpora are the committed fuzz corpora whose []byte arguments are request bodies,
// relative to the module root.
var FuzzCorpora = []string{
	"lambdas/internal/app/testdata/fuzz/FuzzHandlers",
	"lambdas/internal/httpapi/testdata/fuzz/FuzzDecode",
}

// FuzzSeeds are the fuzz tests whose f.Add calls seed them with literal []byte bodies,
// relative to the module root.
var FuzzSeeds = []string{
	"lambdas/internal/httpapi/fuzz_test.go",
}

// All returns the edge bodies, the fuzz corpora's bodies and the fuzz seeds, without
// duplicates.
func All(moduleRoot string) ([]Body, error) {
	fuzz, err := Fuzz(moduleRoot)
	if err != nil {
		return nil, err
	}
	seeds, err := Seeds(moduleRoot)
	if err != nil {
		return nil, err
	}
	var out []Body
	seen := map[string]bool{}
	for _, b := range append(append(Edges(), fuzz...), seeds...) {
		if !seen[string(b.JSON)] {
			seen[string(b.JSON)] = true
			out = append(out, b)
		}
	}
	return out, nil
}

// Fuzz returns every []byte argument of every file of FuzzCorpora (the files `go test
// -fuzz` writes: "go test fuzz v1", then one Go literal per line).
func Fuzz(moduleRoot string) ([]Body, error) {
	var out []Body
	for _, dir := range FuzzCorpora {
		entries, err := os.ReadDir(filepath.Join(moduleRoot, dir))
		if err != nil {
			return nil, fmt.Errorf("bodytest: fuzz corpus %s: %w", dir, err)
		}
		if len(entries) == 0 {
			return nil, fmt.Errorf("bodytest: fuzz corpus %s is empty", dir)
		}
		for _, e := range entries {
			path := filepath.Join(dir, e.Name())
			b, err := os.ReadFile(filepath.Join(moduleRoot, path))
			if err != nil {
				return nil, err
			}
			values, err := parseCorpusFile(b)
			if err != nil {
				return nil, fmt.Errorf("bodytest: %s: %w", path, err)
			}
			for i, v := range values {
				out = append(out, Body{Name: fmt.Sprintf("%s (argument %d)", path, i+1), JSON: v})
			}
		}
	}
	return out, nil
}

// Seeds returns the literal []byte arguments of the f.Add calls in FuzzSeeds: the seed
// corpus that `go test` runs with the committed one.
func Seeds(moduleRoot string) ([]Body, error) {
	var out []Body
	for _, path := range FuzzSeeds {
		file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(moduleRoot, path), nil, 0)
		if err != nil {
			return nil, fmt.Errorf("bodytest: %w", err)
		}
		n := 0
		ast.Inspect(file, func(node ast.Node) bool {
			call, ok := node.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Add" {
				return true
			}
			for _, arg := range call.Args {
				conv, ok := arg.(*ast.CallExpr)
				if !ok || len(conv.Args) != 1 {
					continue
				}
				if arr, ok := conv.Fun.(*ast.ArrayType); !ok || fmt.Sprint(arr.Elt) != "byte" {
					continue
				}
				lit, ok := conv.Args[0].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					continue
				}
				if v, err := strconv.Unquote(lit.Value); err == nil {
					n++
					out = append(out, Body{Name: fmt.Sprintf("%s seed %d", path, n), JSON: []byte(v)})
				}
			}
			return true
		})
		if n == 0 {
			return nil, fmt.Errorf("bodytest: %s seeds no literal []byte body", path)
		}
	}
	return out, nil
}

// parseCorpusFile returns the []byte values of a fuzz corpus file.
func parseCorpusFile(b []byte) ([][]byte, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	if !sc.Scan() || strings.TrimSpace(sc.Text()) != "go test fuzz v1" {
		return nil, fmt.Errorf(`not a fuzz corpus file (no "go test fuzz v1" line)`)
	}
	var out [][]byte
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		expr, err := parser.ParseExpr(line)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", line, err)
		}
		call, ok := expr.(*ast.CallExpr)
		if !ok || len(call.Args) != 1 {
			return nil, fmt.Errorf("%q is not a typed literal", line)
		}
		arr, ok := call.Fun.(*ast.ArrayType)
		if !ok || arr.Len != nil || fmt.Sprint(arr.Elt) != "byte" {
			continue // another type of argument
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return nil, fmt.Errorf("%q: a []byte argument that is not a string literal", line)
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", line, err)
		}
		out = append(out, []byte(s))
	}
	return out, sc.Err()
}

// marshal encodes v as the SPA would send it: JSON without HTML escaping.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func note(title string, extra ...any) []byte {
	m := map[string]any{"title": title}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return marshal(m)
}

func tags(n int, f func(i int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

// Edges returns the bodies at and just past every limit of the model and the handler,
// and the shapes, types and encodings that matter.
func Edges() []Body {
	maxTitle, maxBody, maxTags, maxTag := api.MaxTitleChars, api.MaxBodyBytes, api.MaxTags, api.MaxTagChars
	tag := func(i int) string { return fmt.Sprintf("t%d", i) }
	pair := `\ud83d\ude00` // one character outside the BMP, as a surrogate pair escape
	bodies := []Body{
		{"minimal note", note("t")},
		{"full note", note("t", "body", "b", "tags", []string{"a"})},
		{"empty body and no tags", note("t", "body", "", "tags", []string{})},
		{"markup and quotes are text", note(`"<b>&amp;</b>"`, "body", "<script>x</script>")},
		{"line and paragraph separators", note("a\u2028b\u2029c")},
		{"NUL in the title", []byte(`{"title":"a\u0000b"}`)},

		// title: 1 to 200 characters (code points), not only white space.
		{"title at 200 ASCII characters", note(strings.Repeat("a", maxTitle))},
		{"title at 201 ASCII characters", note(strings.Repeat("a", maxTitle+1))},
		{"title at 200 two-byte characters", note(strings.Repeat("é", maxTitle))},
		{"title at 201 two-byte characters", note(strings.Repeat("é", maxTitle+1))},
		{"title at 200 four-byte characters (UTF-16 pairs)", note(strings.Repeat("😀", maxTitle))},
		{"title at 201 four-byte characters (UTF-16 pairs)", note(strings.Repeat("😀", maxTitle+1))},
		{"title at 200 escaped surrogate pairs", []byte(`{"title":"` + strings.Repeat(pair, maxTitle) + `"}`)},
		{"title at 201 escaped surrogate pairs", []byte(`{"title":"` + strings.Repeat(pair, maxTitle+1) + `"}`)},
		{"title of 200 combining sequences (400 code points)", note(strings.Repeat("e\u0301", maxTitle))},
		{"title empty", note("")},
		{"title one space", note(" ")},
		{"title only white space", note(" \t\n\u00a0")},
		{"title with spaces around", note("  t  ")},

		// body: at most 10 KiB. The model counts code points, the handler UTF-8 bytes.
		{"body at 10240 ASCII characters", note("t", "body", strings.Repeat("b", maxBody))},
		{"body at 10241 ASCII characters", note("t", "body", strings.Repeat("b", maxBody+1))},
		{"body at 5120 two-byte characters (10240 bytes)", note("t", "body", strings.Repeat("é", maxBody/2))},
		{"body at 5121 two-byte characters (10242 bytes)", note("t", "body", strings.Repeat("é", maxBody/2+1))},
		{"body at 10240 two-byte characters (20480 bytes)", note("t", "body", strings.Repeat("é", maxBody))},
		{"body at 10241 two-byte characters", note("t", "body", strings.Repeat("é", maxBody+1))},
		{"body at 2560 four-byte characters (10240 bytes)", note("t", "body", strings.Repeat("😀", maxBody/4))},
		{"body at 2561 four-byte characters (10244 bytes)", note("t", "body", strings.Repeat("😀", maxBody/4+1))},

		// tags: at most 10, unique, 1 to 32 characters of ^[a-z0-9][a-z0-9_-]*$.
		{"10 tags", note("t", "tags", tags(maxTags, tag))},
		{"11 tags", note("t", "tags", tags(maxTags+1, tag))},
		{"tag at 32 characters", note("t", "tags", []string{strings.Repeat("a", maxTag)})},
		{"tag at 33 characters", note("t", "tags", []string{strings.Repeat("a", maxTag+1)})},
		{"tag empty", note("t", "tags", []string{""})},
		{"tag of one digit", note("t", "tags", []string{"0"})},
		{"tag with - and _ inside", note("t", "tags", []string{"a-b_c"})},
		{"tag starting with -", note("t", "tags", []string{"-a"})},
		{"tag starting with _", note("t", "tags", []string{"_a"})},
		{"tag in upper case", note("t", "tags", []string{"A"})},
		{"tag with a space", note("t", "tags", []string{"a b"})},
		{"tag with a dot", note("t", "tags", []string{"a.b"})},
		{"tag with a trailing newline", note("t", "tags", []string{"a\n"})},
		{"tag with a leading newline", note("t", "tags", []string{"\na"})},
		{"tag with a non-ASCII letter", note("t", "tags", []string{"é"})},
		{"tag with a full-width digit", note("t", "tags", []string{"１"})},
		{"tags repeated", note("t", "tags", []string{"a", "a"})},
		{"tags differing in case", note("t", "tags", []string{"a", "A"})},
		{"10 tags of 32 characters", note("t", "tags", tags(maxTags, func(i int) string { return fmt.Sprintf("%032d", i) }))},

		// required and additional properties.
		{"no field", []byte(`{}`)},
		{"no title", []byte(`{"body":"b"}`)},
		{"unknown field", []byte(`{"title":"t","extra":1}`)},
		{"title in another case", []byte(`{"Title":"t"}`)},
		{"title and TITLE", []byte(`{"title":"t","TITLE":"t"}`)},
		{"field named by an unpaired surrogate", []byte(`{"title":"t","\ud800":1}`)},

		// types and null.
		{"title a number", []byte(`{"title":1}`)},
		{"title a boolean", []byte(`{"title":true}`)},
		{"title null", []byte(`{"title":null}`)},
		{"title an array", []byte(`{"title":["t"]}`)},
		{"title an object", []byte(`{"title":{"t":1}}`)},
		{"body null", []byte(`{"title":"t","body":null}`)},
		{"body a number", []byte(`{"title":"t","body":1e400}`)},
		{"tags a string", []byte(`{"title":"t","tags":"a"}`)},
		{"tags null", []byte(`{"title":"t","tags":null}`)},
		{"tags an object", []byte(`{"title":"t","tags":{"a":1}}`)},
		{"tag a number", []byte(`{"title":"t","tags":[1]}`)},
		{"tag null", []byte(`{"title":"t","tags":[null]}`)},
		{"tag an array", []byte(`{"title":"t","tags":[["a"]]}`)},

		// not an object.
		{"an array of a note", []byte(`[{"title":"t"}]`)},
		{"a string", []byte(`"t"`)},
		{"a number", []byte(`1`)},
		{"null", []byte(`null`)},
		{"true", []byte(`true`)},

		// not JSON, or more than one JSON value.
		{"empty", []byte(``)},
		{"white space", []byte(" \n")},
		{"unclosed object", []byte(`{"title":"t"`)},
		{"an extra brace", []byte(`{"title":"t"}}`)},
		{"two objects", []byte(`{"title":"t"}{"title":"u"}`)},
		{"trailing text", []byte(`{"title":"t"} trailing`)},
		{"single quotes", []byte(`{'title':'t'}`)},
		{"a trailing comma", []byte(`{"title":"t",}`)},
		{"a comment", []byte(`{"title":"t"/* c */}`)},
		{"byte order mark", []byte("\ufeff{\"title\":\"t\"}")},
		{"white space around", []byte(" \t{\"title\":\"t\"}\n ")},

		// encodings: invalid UTF-8, unpaired surrogate escapes, escapes in names.
		{"invalid UTF-8 in the title", []byte("{\"title\":\"\xff\"}")},
		{"overlong UTF-8 in the title", []byte("{\"title\":\"\xc0\xaf\"}")},
		{"unpaired high surrogate in the title", []byte(`{"title":"\ud800"}`)},
		{"unpaired low surrogate in the title", []byte(`{"title":"x\udc00y"}`)},
		{"high surrogate at the end of the body", []byte(`{"title":"t","body":"b\ud83d"}`)},
		{"unpaired surrogate in a tag", []byte(`{"title":"t","tags":["\ud800"]}`)},
		{"surrogate pair escape", []byte(`{"title":"` + pair + `"}`)},
		{"escaped field name", []byte(`{"\u0074itle":"t"}`)},
		{"escaped solidus", []byte(`{"title":"a\/b"}`)},

		// duplicate names: JSON parsers keep the last one.
		{"title twice", []byte(`{"title":"a","title":"b"}`)},
		{"title twice, the first invalid", []byte(`{"title":"","title":"ok"}`)},
		{"title twice, the last invalid", []byte(`{"title":"ok","title":""}`)},
		{"tags twice", []byte(`{"title":"t","tags":["a"],"tags":["b"]}`)},

		// request size: at most 16 KiB.
		{"note padded with white space to 16 KiB", pad(note("t"), api.MaxRequestBytes)},
		{"note padded with white space past 16 KiB", pad(note("t"), api.MaxRequestBytes+1)},
	}
	return bodies
}

// pad inserts white space before the closing brace so the body is n bytes long.
func pad(b []byte, n int) []byte {
	return append(append(bytes.Clone(b[:len(b)-1]), bytes.Repeat([]byte(" "), n-len(b))...), '}')
}
