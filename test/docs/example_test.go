package docs

import (
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// example is a worked example of docs/extending.md whose code steps are all edit markers:
// the test applies them to a copy of the tree and runs the tests of what they touch.
type example struct {
	heading string   // the section's heading
	only    []string // when set, the only files (or folders, ending in /) it may edit
	run     [][]string
}

var examples = []example{
	// The promise of the endpoint example: the route table, a handler and a test of the
	// reader's own, nothing else; every package that reads the table still passes.
	{heading: "Add an endpoint", only: []string{"lambdas/api/api.go", "lambdas/internal/app/"},
		run: [][]string{{"go", "vet", "./lambdas/..."}, {"go", "test", "-count=1", "./lambdas/..."}}},
	{heading: "Add a function",
		run: [][]string{{"go", "vet", "./lambdas/..."}, {"go", "test", "-count=1", "./lambdas/api", "./lambdas/internal/...", "./lambdas/limits", "./lambdas/cmd/local"}}},
	{heading: "Add a construct",
		run: [][]string{{"go", "vet", "./constructs/tablealarms", "./stacks"}, {"go", "test", "-count=1", "./constructs/tablealarms"}}},
	{heading: "Add a command",
		run: [][]string{{"go", "vet", "./internal/routes", "./cmd/routes"}, {"go", "test", "-count=1", "./internal/routes"}, {"go", "run", "./cmd/routes"}}},
}

// TestWorkedExamples applies the edits of the worked examples, taken from the edit
// markers of docs/extending.md itself (not from a copy kept here), to a copy of the tree
// each, checks that the edited Go files are gofmt-clean, runs the tests of the packages
// they touch, and checks that the test the reader adds ran and passed. It compiles and
// runs a lot, so it belongs to the full tier.
func TestWorkedExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("full tier: make test (applies docs/extending.md's worked examples to copies of the tree and runs their tests)")
	}
	root := root(t)
	src, err := os.ReadFile(filepath.Join(root, "docs", "extending.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range examples {
		t.Run(ex.heading, func(t *testing.T) {
			section, err := sectionOf(string(src), ex.heading)
			if err != nil {
				t.Fatal(err)
			}
			page := parseMarkdown("docs/extending.md", section)
			for _, e := range page.Errs {
				t.Error(e)
			}
			if len(page.Edits) == 0 {
				t.Fatalf("section %q has no edit markers", ex.heading)
			}
			if applied := appliedIn(root, page.Edits); applied != "" {
				t.Skipf("this tree already holds the example (%s): someone followed it, and its own tests run with the others", applied)
			}
			tree := copyTree(t, root)
			var goFiles, newTests []string
			for _, e := range page.Edits {
				if len(ex.only) > 0 && !allowed(e.File, ex.only) {
					t.Errorf("the example edits %s: it promises to touch only %s", e.File, strings.Join(ex.only, ", "))
				}
				file := filepath.Join(tree, filepath.FromSlash(e.File))
				old, err := os.ReadFile(file)
				if err != nil && e.Op != opNewFile {
					t.Fatalf("edit %s: %v", e.File, err)
				}
				edited, err := e.apply(string(old))
				if err != nil {
					t.Fatalf("edit %s: %v", e.File, err)
				}
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
					t.Fatal(err)
				}
				if strings.HasSuffix(e.File, ".go") {
					goFiles = append(goFiles, file)
				}
				if e.Op == opNewFile && strings.HasSuffix(e.File, "_test.go") {
					newTests = append(newTests, e.File)
				}
			}
			if out := goCmd(t, tree, append([]string{"gofmt", "-l"}, goFiles...)...); strings.TrimSpace(out) != "" {
				t.Errorf("the example's Go files are not gofmt-clean:\n%s", out)
			}
			for _, args := range ex.run {
				goCmd(t, tree, args...)
			}
			for _, f := range newTests {
				checkRan(t, tree, f)
			}
		})
	}
}

// appliedIn names an edit that the tree at root already holds, or is "".
func appliedIn(root string, edits []edit) string {
	for _, e := range edits {
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(e.File)))
		if err != nil {
			continue
		}
		if e.Op == opNewFile || strings.Contains(string(src), strings.TrimSpace(e.Body)) {
			return e.File
		}
	}
	return ""
}

// checkRan runs the tests of a file the example adds, verbosely, and fails unless each
// of them ran and passed.
func checkRan(t *testing.T, tree, file string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(tree, filepath.FromSlash(file)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^func (Test\w+)\(`).FindAllStringSubmatch(string(src), -1) {
		names = append(names, m[1])
	}
	if len(names) == 0 {
		t.Fatalf("%s, the example's test, has no test function", file)
	}
	out := goCmd(t, tree, "go", "test", "-count=1", "-v", "-run", "^("+strings.Join(names, "|")+")$", "./"+path.Dir(file))
	for _, n := range names {
		if !strings.Contains(out, "--- PASS: "+n+" ") {
			t.Errorf("%s did not run and pass:\n%s", n, out)
		}
	}
}

// sectionOf is the text of the "## heading" section of a page, up to the next "## ".
func sectionOf(src, heading string) (string, error) {
	start := strings.Index(src, "\n## "+heading+"\n")
	if start < 0 {
		return "", &os.PathError{Op: "find section", Path: "## " + heading, Err: fs.ErrNotExist}
	}
	rest := src[start+1:]
	if end := strings.Index(rest[3:], "\n## "); end >= 0 {
		rest = rest[:end+4]
	}
	return rest, nil
}

func allowed(file string, only []string) bool {
	for _, o := range only {
		if file == o || (strings.HasSuffix(o, "/") && strings.HasPrefix(file, o)) {
			return true
		}
	}
	return false
}

// copyTree copies the working tree (sources, docs, testdata; not .git, node_modules or
// generated output) into a temporary folder, with node_modules linked for dynalite.
func copyTree(t *testing.T, root string) string {
	t.Helper()
	dst := t.TempDir()
	ignored := gitignore(root)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		slash := filepath.ToSlash(rel)
		if d.Name() == ".git" || ignored(slash) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules")); err == nil {
		if err := os.Symlink(filepath.Join(root, "node_modules"), filepath.Join(dst, "node_modules")); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// goCmd runs a command in the tree and returns its output; it fails the test when the
// command fails.
func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	// -trimpath keeps the copy's absolute path out of the build: the packages the example
	// leaves alone come from the build cache instead of being compiled again in the copy.
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -trimpath"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s (in the copy with the example applied): %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
