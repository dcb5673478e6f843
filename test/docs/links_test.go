package docs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pending are repository paths that the docs name and that a branch not merged yet
// creates. Delete an entry once its branch is merged (the test says so).
var pending = map[string]string{}

// Every relative link and #anchor of README.md and docs/*.md points at a file, folder or
// heading that exists; every repository path in backticks exists; every edit marker of a
// worked example finds its place in the file it edits.
func TestDocsLinksAnchorsAndPaths(t *testing.T) {
	root := root(t)
	for _, problem := range checkPages(root, pages(t, root), pending) {
		t.Error(problem)
	}
	for p, why := range pending {
		if _, err := os.Stat(filepath.Join(root, p)); err == nil {
			t.Logf("%s exists now (%s): delete it from pending in test/docs/links_test.go", p, why)
		}
	}
}

// The checks fail on bad input: testdata/repo is a small repository whose README holds one
// mistake of each kind beside correct links, paths and markers.
func TestDocsCheckCatchesMistakes(t *testing.T) {
	root := filepath.Join("testdata", "repo")
	got := checkPages(root, []string{"README.md", "docs/good.md"}, map[string]string{"lib/pending": "a branch"})
	want := []string{
		"README.md:7: link docs/missing.md: docs/missing.md does not exist",
		"README.md:7: link docs/good.md#nope: no heading of docs/good.md has the anchor #nope",
		"README.md:7: link ../../escape.md: points outside the repository",
		"README.md:8: link #nope: no heading of README.md has the anchor #nope",
		"README.md:8: `lib/missing.go` does not exist",
		"README.md:8: `libs/typo.go` does not exist",
		"README.md:21: edit lib/real.go: no line contains `func nope() {`",
		"README.md:31: edit lib/real.go: \"sideways\" is not an operation",
	}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
			t.Errorf("missing problem %q", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
}

// GitHub's anchors: lower case, punctuation and symbols dropped, spaces to hyphens,
// formatting dropped, a repeated heading numbered.
func TestSlug(t *testing.T) {
	for heading, want := range map[string]string{
		"The execution policy (`make deploy-policy ENV=<env>`)":         "the-execution-policy-make-deploy-policy-envenv",
		"AWS's own rules: Control Tower, the registry, the IAM catalog": "awss-own-rules-control-tower-the-registry-the-iam-catalog",
		"Browser tests (`test/e2e/`)":                                   "browser-tests-teste2e",
		"What an endpoint costs, and how far the API goes":              "what-an-endpoint-costs-and-how-far-the-api-goes",
		"A [link](x.md) and snake_case — dashes":                        "a-link-and-snake_case--dashes",
		"Tests and measured figures":                                    "tests-and-measured-figures",
	} {
		if got := slug(heading); got != want {
			t.Errorf("slug(%q) = %q, want %q", heading, got, want)
		}
	}
	p := parseMarkdown("x.md", "# A\n\n## A\n\n```\n# not a heading\n```\n")
	if !p.Anchors["a"] || !p.Anchors["a-1"] || p.Anchors["not-a-heading"] || len(p.Anchors) != 2 {
		t.Errorf("anchors %v, want a and a-1", p.Anchors)
	}
}

// Every Go package has a doc comment that says what it is.
func TestPackageDocs(t *testing.T) {
	for _, problem := range checkPackageDocs(root(t)) {
		t.Error(problem)
	}
	got := checkPackageDocs(filepath.Join("testdata", "repo"))
	if len(got) != 1 || !strings.HasPrefix(got[0], "lib: no package doc comment") {
		t.Errorf("on testdata/repo: %q, want one problem, for lib", got)
	}
}

// Each edit operation puts the block where its marker says.
func TestEditApply(t *testing.T) {
	src := "package x\n\nvar A = []int{\n\t1,\n}\n\nfunc f() {\n\tif true {\n\t}\n}\n"
	for op, want := range map[string]string{
		"append to the block opened by `var A = []int{`":     "package x\n\nvar A = []int{\n\t1,\n\tNEW\n}\n\nfunc f() {\n\tif true {\n\t}\n}\n",
		"insert after the block opened by `if true {`":       "package x\n\nvar A = []int{\n\t1,\n}\n\nfunc f() {\n\tif true {\n\t}\n\tNEW\n}\n",
		"insert after the line containing `func f() {`":      "package x\n\nvar A = []int{\n\t1,\n}\n\nfunc f() {\n\tNEW\n\tif true {\n\t}\n}\n",
		"append to the block opened by `{` after `func f()`": "package x\n\nvar A = []int{\n\t1,\n}\n\nfunc f() {\n\tif true {\n\t}\n\tNEW\n}\n",
		"append to the end of the file":                      src + "\n\tNEW\n",
		"new file":                                           "\tNEW\n",
	} {
		e, err := parseEdit("x.go", op)
		if err != nil {
			t.Fatal(err)
		}
		e.Body = "\tNEW\n"
		got, err := e.apply(src)
		if err != nil || got != want {
			t.Errorf("%s:\n%q, %v\nwant\n%q", op, got, err, want)
		}
	}
	for _, op := range []string{"append to the block opened by `package x`", "insert after the line containing `nothing`", "new file `x`", "append to the block opened by"} {
		e, err := parseEdit("x.go", op)
		if err == nil {
			_, err = e.apply(src)
		}
		if err == nil {
			t.Errorf("%s: no error", op)
		}
	}
}
