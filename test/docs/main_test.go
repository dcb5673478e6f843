// Package docs checks the documentation against the repository: every relative link and
// #anchor of README.md and docs/ points somewhere, every repository path named in
// backticks exists, every package has a doc comment, and the endpoint example of
// docs/extending.md still works when applied to a copy of the tree.
package docs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/example/notesplatform/internal/repo"
)

// root is the module root.
func root(t testing.TB) string {
	t.Helper()
	r, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// pages are README.md and every page of docs/, relative to the root.
func pages(t testing.TB, root string) []string {
	t.Helper()
	out := []string{"README.md"}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range more {
		rel, _ := filepath.Rel(root, m)
		out = append(out, filepath.ToSlash(rel))
	}
	if len(out) < 2 {
		t.Fatalf("no page in %s", filepath.Join(root, "docs"))
	}
	for _, p := range out {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
