package bodytest

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/lambdas/api"
)

// The corpus reads every committed fuzz corpus file, and its edge bodies are where their
// names say they are.
func TestCorpus(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	fuzz, err := Fuzz(root)
	if err != nil {
		t.Fatal(err)
	}
	perCorpus := map[string]int{}
	for _, b := range fuzz {
		for _, c := range FuzzCorpora {
			if strings.HasPrefix(b.Name, c+"/") {
				perCorpus[c]++
			}
		}
	}
	for _, c := range FuzzCorpora {
		if perCorpus[c] < 10 {
			t.Errorf("%s: %d bodies read, want the committed corpus (dozens)", c, perCorpus[c])
		}
	}
	seeds, err := Seeds(root)
	if err != nil || len(seeds) < 5 {
		t.Errorf("seeds: %d read, %v", len(seeds), err)
	}
	all, err := All(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) <= len(Edges()) {
		t.Errorf("All has %d bodies, Edges alone %d", len(all), len(Edges()))
	}
	byName := map[string][]byte{}
	for _, b := range Edges() {
		if _, dup := byName[b.Name]; dup {
			t.Errorf("two edge bodies named %q", b.Name)
		}
		byName[b.Name] = b.JSON
	}
	for name, want := range map[string]int{
		"note padded with white space to 16 KiB":         api.MaxRequestBytes,
		"note padded with white space past 16 KiB":       api.MaxRequestBytes + 1,
		"body at 5121 two-byte characters (10242 bytes)": len(`{"body":"","title":"t"}`) + 10242,
	} {
		if got := len(byName[name]); got != want {
			t.Errorf("%s: %d bytes, want %d", name, got, want)
		}
	}
	if n := utf8.RuneCount(byName["title at 201 four-byte characters (UTF-16 pairs)"]); n != len(`{"title":""}`)+api.MaxTitleChars+1 {
		t.Errorf("title at 201 four-byte characters: %d code points in the body", n)
	}
	if _, err := parseCorpusFile([]byte("not a corpus\n")); err == nil {
		t.Error("a file without the corpus header was read")
	}
	got, err := parseCorpusFile([]byte("go test fuzz v1\nbyte('\\x01')\n[]byte(\"{\\\"a\\\":1}\")\nstring(\"x\")\n"))
	if err != nil || len(got) != 1 || string(got[0]) != `{"a":1}` {
		t.Errorf("parseCorpusFile: %q %v", got, err)
	}
}
