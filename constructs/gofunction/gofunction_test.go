package gofunction

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/example/notesplatform/internal/repo"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/lambdas/api"
)

// cloneModule copies what the functions compile (go.mod, go.sum and lambdas/) to dir, as a
// second checkout at another path would have it.
func cloneModule(t *testing.T, dir string) {
	t.Helper()
	root, err := repo.Root()
	require.NoError(t, err)
	for _, f := range []string{"go.mod", "go.sum"} {
		copyFile(t, filepath.Join(root, f), filepath.Join(dir, f))
	}
	err = filepath.WalkDir(filepath.Join(root, "lambdas"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		copyFile(t, path, filepath.Join(dir, rel))
		return nil
	})
	require.NoError(t, err)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(to), 0o755))
	require.NoError(t, os.WriteFile(to, b, 0o644))
}

func hashes(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range api.Functions {
		h, err := SourceHash(root, f.Package)
		require.NoError(t, err, f.Name)
		require.Len(t, h, 64)
		out[f.Name] = h
	}
	return out
}

// Two checkouts at different paths produce the same asset hashes; an edit to a Go file
// changes the hash of exactly the functions that compile it.
func TestSourceHashIsPathIndependentAndPrecise(t *testing.T) {
	a := filepath.Join(t.TempDir(), "checkout")
	b := filepath.Join(t.TempDir(), "some", "other", "place", "repo")
	cloneModule(t, a)
	cloneModule(t, b)
	ha, hb := hashes(t, a), hashes(t, b)
	assert.Equal(t, ha, hb, "same sources at different paths must hash the same")

	edit := func(rel string) {
		path := filepath.Join(b, rel)
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, append(src, []byte("\n// edited\n")...), 0o644))
		sourceHashes.Clear()
	}

	edit("lambdas/health/main.go")
	after := hashes(t, b)
	assert.NotEqual(t, ha["Health"], after["Health"], "Health's own main changed")
	assert.Equal(t, ha["NotesRead"], after["NotesRead"])
	assert.Equal(t, ha["NotesWrite"], after["NotesWrite"])

	secret := firstGoFile(t, filepath.Join(b, "lambdas/internal/secretkey"))
	edit(secret)
	again := hashes(t, b)
	assert.NotEqual(t, after["NotesRead"], again["NotesRead"], "only NotesRead compiles internal/secretkey")
	assert.Equal(t, after["Health"], again["Health"])
	assert.Equal(t, after["NotesWrite"], again["NotesWrite"])

	// One go list for every function (Prefetch, as synth does) hashes as one per function.
	sourceHashes.Clear()
	var pkgs []string
	for _, f := range api.Functions {
		pkgs = append(pkgs, f.Package)
	}
	Prefetch(b, pkgs...)
	assert.Equal(t, again, hashes(t, b), "hashed together, each function keeps its own hash")

	// A test file is not compiled into the function.
	require.NoError(t, os.WriteFile(filepath.Join(b, "lambdas/health/extra_test.go"), []byte("package main\n"), 0o644))
	sourceHashes.Clear()
	assert.Equal(t, again, hashes(t, b), "test files do not change asset hashes")

	// go.mod and go.sum pin every dependency: any change redeploys every function.
	edit("go.mod")
	final := hashes(t, b)
	for name := range final {
		assert.NotEqual(t, again[name], final[name], name)
	}
}

func firstGoFile(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
			rel, _ := filepath.Rel(filepath.Dir(filepath.Dir(filepath.Dir(dir))), filepath.Join(dir, e.Name()))
			return rel
		}
	}
	t.Fatalf("no Go file in %s", dir)
	return ""
}

func TestPropsValidation(t *testing.T) {
	root, err := repo.Root()
	require.NoError(t, err)
	p := Props{Package: "lambdas/nope", ModuleRoot: root, MemoryMB: 64, Timeout: 20 * time.Minute}
	err = p.validate()
	require.Error(t, err)
	for _, want := range []string{`Package "lambdas/nope"`, "MemoryMB 64: allowed is 128..10240", "Timeout 20m0s: allowed is 1s..15m", "LogKey is required"} {
		assert.Contains(t, err.Error(), want)
	}
	p = Props{Package: "../outside", ModuleRoot: root}
	assert.ErrorContains(t, p.validate(), "relative to the module root")
}
