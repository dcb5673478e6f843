package artifact_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/example/notesplatform/internal/artifact"
	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/api/bodytest"
	"github.com/example/notesplatform/lambdas/cmd/local/localserver"
)

// templateModels reads the request models of the stage's REST API: each
// AWS::ApiGateway::Model by name, and the model each method validates its
// application/json body with ("POST /notes" -> "NoteInput"), checking that those methods
// have a validator that validates bodies.
func templateModels(t *testing.T, h *artifact.Harness) (models map[string]any, byRoute map[string]string) {
	t.Helper()
	models, byRoute = map[string]any{}, map[string]string{}
	for _, s := range h.Assembly.Stacks {
		names := map[string]string{} // logical id -> model name
		for id, res := range s.Template.Resources {
			if res.Type == "AWS::ApiGateway::Model" {
				name, _ := res.Properties["Name"].(string)
				if ct := res.Properties["ContentType"]; ct != "application/json" {
					t.Errorf("model %s has content type %v, want application/json", name, ct)
				}
				models[name] = res.Properties["Schema"]
				names[id] = name
			}
		}
		for id, res := range s.Template.Resources {
			if res.Type != "AWS::ApiGateway::Method" {
				continue
			}
			rm, _ := res.Properties["RequestModels"].(map[string]any)
			if len(rm) == 0 {
				continue
			}
			ref, _ := rm["application/json"].(map[string]any)
			model := names[fmt.Sprint(ref["Ref"])]
			path, err := artifact.ResourcePath(s, res.Properties["ResourceId"])
			if err != nil {
				t.Fatal(err)
			}
			route := fmt.Sprint(res.Properties["HttpMethod"], " ", path)
			if model == "" || len(rm) != 1 {
				t.Errorf("%s: request models %v, want one application/json model of the API", route, rm)
			}
			byRoute[route] = model
			v, _ := res.Properties["RequestValidatorId"].(map[string]any)
			validator := s.Template.Resources[fmt.Sprint(v["Ref"])]
			if validator.Type != "AWS::ApiGateway::RequestValidator" || validator.Properties["ValidateRequestBody"] != true {
				t.Errorf("%s (method %s): its validator %v does not validate request bodies, so API Gateway would not apply the model", route, id, v)
			}
		}
	}
	return models, byRoute
}

// TestModelsAreTheRouteTables: the template's models are api.Models rendered by
// api.Schema.JSONSchema (what the local server validates with), and the methods that
// validate bodies are the routes with a Model, so the route table, the template and the
// local server cannot drift apart.
func TestModelsAreTheRouteTables(t *testing.T) {
	shippedTier(t)
	t.Parallel()
	h, err := artifact.Load(artifact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	models, byRoute := templateModels(t, h)
	for name, s := range api.Models {
		tpl, ok := models[name]
		if !ok {
			t.Errorf("api.Models has %s, the template has no such model", name)
			continue
		}
		if !jsonEqual(tpl, s.JSONSchema()) {
			a, _ := json.MarshalIndent(tpl, "", " ")
			b, _ := json.MarshalIndent(s.JSONSchema(), "", " ")
			t.Errorf("model %s: the template holds\n%s\nand api.Schema.JSONSchema renders\n%s", name, a, b)
		}
	}
	for name := range models {
		if api.Models[name] == nil {
			t.Errorf("the template has model %s, api.Models does not", name)
		}
	}
	want := map[string]string{}
	for _, r := range api.Routes {
		if r.Model != "" {
			want[string(r.Method)+" "+r.Path] = r.Model
		}
	}
	if !reflect.DeepEqual(byRoute, want) {
		t.Errorf("methods with a body model: template %v, route table %v", byRoute, want)
	}
}

func jsonEqual(a, b any) bool {
	var x, y any
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return json.Unmarshal(ja, &x) == nil && json.Unmarshal(jb, &y) == nil && reflect.DeepEqual(x, y)
}

// parityDifference is a kind of body that the model accepts and the handler refuses: the
// handler is stricter than the gateway there, by design, and says why.
type parityDifference struct {
	Name, Why string
	Applies   func(body []byte) bool
}

// decoded returns the members a body's last occurrence of title and body give (as JSON
// parsers keep the last duplicate).
func decoded(body []byte) (title, text string) {
	var in struct {
		Title string `json:"title"`
		Body  string `json:"body"`
	}
	_ = json.Unmarshal(body, &in)
	return in.Title, in.Body
}

// parityDifferences is the table of every difference between the gateway's model and the
// handler on the corpus. There is none the other way: wherever the gateway refuses a
// body, the handler refuses it too.
var parityDifferences = []parityDifference{
	{"request over 16 KiB", "the handler refuses bodies over api.MaxRequestBytes (413); API Gateway's own limit is 10 MB and the model bounds the fields, not the white space or escapes around them",
		func(b []byte) bool { return len(b) > api.MaxRequestBytes }},
	{"body over 10 KiB of UTF-8", "the model's maxLength counts code points (draft-04; Go's jsonschema and API Gateway's validator alike), the handler counts UTF-8 bytes: a body of 5121 two-byte characters passes the model and not the handler (api.MaxBodyBytes is bytes)",
		func(b []byte) bool {
			_, text := decoded(b)
			return len(text) > api.MaxBodyBytes && utf8.RuneCountInString(text) <= api.MaxBodyBytes
		}},
	{"title only white space", "JSON Schema draft-04 cannot say 'not only white space'; the domain refuses it (validation_failed)",
		func(b []byte) bool {
			title, _ := decoded(b)
			return title != "" && strings.TrimFunc(title, unicode.IsSpace) == ""
		}},
	{"duplicate member names", "parsers keep the last of a repeated name (Go's and Jackson's), so the model judges the last; the handler refuses a repeated name, so two requests that differ only there are never the same note",
		func(b []byte) bool {
			return jsontext.Value(b).IsValid(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)) &&
				!jsontext.Value(b).IsValid(jsontext.AllowInvalidUTF8(true))
		}},
	{"unpaired surrogate escape", `"\ud800" is valid JSON that is no Unicode text: Go decodes it to U+FFFD (Jackson keeps the lone surrogate), one character either way, which the model accepts; the handler refuses it so that two different requests are never stored as the same note`,
		func(b []byte) bool {
			return utf8.Valid(b) && jsontext.Value(b).IsValid(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)) &&
				!jsontext.Value(b).IsValid(jsontext.AllowDuplicateNames(true))
		}},
	{"invalid UTF-8", "Go's JSON decoder (and so the Go model check) replaces invalid UTF-8 by U+FFFD; the handler refuses a body that is not UTF-8",
		func(b []byte) bool { return !utf8.Valid(b) }},
}

// edgeVerdicts are claims about single bodies of the corpus, checked on both sides:
// whether the model accepts it, and whether the handler does.
var edgeVerdicts = map[string][2]bool{
	"title at 200 ASCII characters":                      {true, true},
	"title at 201 ASCII characters":                      {false, false},
	"title at 200 four-byte characters (UTF-16 pairs)":   {true, true}, // code points, not UTF-16 units: both count 200
	"title at 201 four-byte characters (UTF-16 pairs)":   {false, false},
	"title at 200 escaped surrogate pairs":               {true, true},
	"title at 201 escaped surrogate pairs":               {false, false},
	"title of 200 combining sequences (400 code points)": {false, false}, // code points, not grapheme clusters
	"body at 10240 ASCII characters":                     {true, true},
	"body at 10241 ASCII characters":                     {false, false},
	"body at 5120 two-byte characters (10240 bytes)":     {true, true},
	"body at 5121 two-byte characters (10242 bytes)":     {true, false},
	"body at 10240 two-byte characters (20480 bytes)":    {true, false},
	"10 tags of 32 characters":                           {true, true},
	"11 tags":                                            {false, false},
	"tag at 33 characters":                               {false, false},
	"tag with a trailing newline":                        {false, false}, // $ is the end of input in RE2 and in ECMA-262 without the m flag
	"tags repeated":                                      {false, false},
	"tag null":                                           {false, false},
	"unknown field":                                      {false, false},
	"no title":                                           {false, false},
	"title twice, the first invalid":                     {true, false},
	"unpaired high surrogate in the title":               {true, false},
	"surrogate pair escape":                              {true, true},
	"note padded with white space to 16 KiB":             {true, true},
	"note padded with white space past 16 KiB":           {true, false},
	"trailing text":                                      {false, false},
	"empty":                                              {false, false},
}

// verdict is how one side judged a body.
type verdict struct {
	accepted bool
	detail   string
}

// TestGatewayParity runs one corpus (lambdas/api/bodytest: every limit at and past its
// edge, and the committed fuzz corpora) through the template's body model, validated as
// API Gateway validates it (draft-04, github.com/santhosh-tekuri/jsonschema), and through
// the NotesWrite artifact's POST /notes and PUT /notes/{id}. Wherever the model refuses
// a body, the handler must refuse it too; every body the model accepts and the handler
// refuses must be one of parityDifferences, and every row there must occur.
//
// What the deployed validator does that is not run here: API Gateway's validator is a
// Java draft-04 implementation (its messages are those of fge's json-schema-validator),
// which counts maxLength in code points (String.codePointCount) as Go does; its pattern
// dialect is ECMA-262, where the tag pattern means what it means in RE2 (ASCII classes,
// $ at the end of input); and Jackson, like Go, keeps the last of repeated names.
func TestGatewayParity(t *testing.T) {
	driver(t)
	h := stage(t)
	models, byRoute := templateModels(t, h)
	name := byRoute["POST /notes"]
	if name == "" || byRoute["PUT /notes/{id}"] != name {
		t.Fatalf("POST /notes and PUT /notes/{id} validate with %q and %q, want one model", name, byRoute["PUT /notes/{id}"])
	}
	model, err := localserver.CompileModel(name, models[name])
	if err != nil {
		t.Fatal(err)
	}
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	corpus, err := bodytest.All(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	user := fmt.Sprintf("parity-%d", time.Now().UnixNano())
	jsonHeader := map[string][]string{"content-type": {"application/json"}}
	created, err := h.Do(ctx, artifact.Request{Method: "POST", Path: "/notes", User: user, Body: `{"title":"parity"}`, Header: jsonHeader})
	if err != nil || created.Status != 201 {
		t.Fatalf("creating the note to replace: %v %d %s", err, created.Status, created.Body)
	}
	var n note
	if err := json.Unmarshal(created.Body, &n); err != nil {
		t.Fatal(err)
	}
	put := map[string][]string{"content-type": {"application/json"}, "if-match": {"*"}}

	handler := func(method, path string, body []byte, header map[string][]string, ok int) verdict {
		resp, err := h.Do(ctx, artifact.Request{Method: method, Path: path, User: user, Body: string(body), Header: header})
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		switch {
		case resp.Status == ok:
			return verdict{true, fmt.Sprint(resp.Status)}
		case resp.Status == 400 || resp.Status == 413:
			return verdict{false, fmt.Sprintf("%d %s", resp.Status, resp.Body)}
		}
		t.Errorf("%s %s answered %d to a body (want %d, or 400/413 for a refused body): %s", method, path, resp.Status, ok, resp.Body)
		return verdict{false, fmt.Sprint(resp.Status)}
	}

	seen := map[string]int{}
	byName := map[string][2]bool{}
	for _, b := range corpus {
		problems := model.Check(b.JSON)
		gw := verdict{problems == nil, strings.Join(problems, "; ")}
		post := handler("POST", "/notes", b.JSON, jsonHeader, 201)
		putV := handler("PUT", "/notes/"+n.ID, b.JSON, put, 200)
		if post.accepted != putV.accepted {
			t.Errorf("%s: POST and PUT disagree (%s / %s): both decode the same model", b.Name, post.detail, putV.detail)
		}
		byName[b.Name] = [2]bool{gw.accepted, post.accepted}
		switch {
		case !gw.accepted && post.accepted:
			t.Errorf("%s: the gateway would refuse it (%s) and the handler accepts it: %q", b.Name, gw.detail, truncateBytes(b.JSON))
		case gw.accepted && !post.accepted:
			var why []string
			for _, d := range parityDifferences {
				if d.Applies(b.JSON) {
					why = append(why, d.Name)
					seen[d.Name]++
				}
			}
			if len(why) == 0 {
				t.Errorf("%s: the model accepts it and the handler refuses it (%s), and no row of parityDifferences explains it: %q", b.Name, post.detail, truncateBytes(b.JSON))
			}
		}
	}
	for _, d := range parityDifferences {
		if seen[d.Name] == 0 {
			t.Errorf("parityDifferences row %q explains no body of the corpus: remove it, or add the body that shows it to lambdas/api/bodytest", d.Name)
		}
		t.Logf("difference %q (%d bodies): %s", d.Name, seen[d.Name], d.Why)
	}
	names := make([]string, 0, len(edgeVerdicts))
	for name := range edgeVerdicts {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		got, ok := byName[name]
		if !ok {
			t.Errorf("edgeVerdicts names %q, which is not in the corpus", name)
			continue
		}
		if want := edgeVerdicts[name]; got != want {
			t.Errorf("%s: model accepts %v, handler accepts %v; want %v, %v", name, got[0], got[1], want[0], want[1])
		}
	}
	t.Logf("%d bodies through the template's model %s and NotesWrite's POST and PUT", len(corpus), name)
}

func truncateBytes(b []byte) string {
	if len(b) > 120 {
		return string(b[:120]) + "…"
	}
	return string(b)
}
