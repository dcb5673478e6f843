package cdkapp

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/repo"
)

// A synthesized cloud assembly is expensive (seconds of jsii per configuration), so `make
// test` synthesizes each configuration at most once: the shipped one is the cdk.out that
// `make synth` wrote, recognized by its stamp; the others are fixtures cached under the
// inputs they were synthesized from.

// StampFile is the file in a cloud assembly that records what it was synthesized from.
const StampFile = "synth-inputs.sha256"

// ErrStale marks a cloud assembly that is missing or was synthesized from other inputs:
// run `make synth`.
var ErrStale = errors.New("cloud assembly missing or stale")

// skipped are what synth does not read: version control, installed packages, outputs,
// docs and tests. The Makefile's SYNTH_INPUTS follows the same rule; keep them in step.
func skipped(rel string, dir bool) bool {
	base := filepath.Base(rel)
	if dir {
		switch rel {
		case ".git", "node_modules", "cdk.out", ".local", "docs", "test", ".ci", ".cdk.staging":
			return true
		}
		return base == "testdata" || strings.HasPrefix(base, ".") && rel != "."
	}
	return strings.HasSuffix(base, "_test.go") || strings.HasSuffix(base, ".md") || strings.HasPrefix(base, ".")
}

// Inputs is a hash of every file synth can read from the repository at root (Go sources
// of the app and the functions, cdk.json, go.mod and go.sum, package.json and its lock,
// web/, embedded data), by path and content. Tests, docs and outputs are not inputs.
func Inputs(root string) (string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if skipped(filepath.ToSlash(rel), d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	slices.Sort(files)
	h := sha256.New()
	for _, f := range files {
		fh, err := os.Open(filepath.Join(root, f))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "file %s\n", f)
		_, err = io.Copy(h, fh)
		fh.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// stamp is what an assembly's stamp says: the repository's inputs and what was built from
// them (the configuration, a sandbox, other routes).
func stamp(inputs string, what any) (string, error) {
	b, err := json.Marshal(what)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append([]byte(inputs+"\n"), b...))
	return hex.EncodeToString(sum[:]), nil
}

// built is what a stamp records of an app beyond the repository's inputs.
type built struct {
	Config  *config.Config
	Sandbox *config.Environment
	Routes  any
}

// WriteStamp records in the cloud assembly dir that it holds the app a, built from the
// repository's inputs (Inputs at the time the build started).
func (a *App) WriteStamp(dir, inputs string) error {
	s, err := stamp(inputs, built{Config: a.Config, Sandbox: a.Sandbox})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, StampFile), []byte(s+"\n"), 0o644)
}

// Shipped is the cloud assembly of cdk.json's configuration that `make synth` wrote to
// root/cdk.out, or an ErrStale error saying to run `make synth` when it is missing or its
// stamp names other inputs or another configuration.
func Shipped(root string) (string, error) {
	dir := filepath.Join(root, "cdk.out")
	ctx, err := repo.CDKContext(root)
	if err != nil {
		return "", err
	}
	cfg, err := config.Load(ctx)
	if err != nil {
		return "", err
	}
	inputs, err := Inputs(root)
	if err != nil {
		return "", err
	}
	want, err := stamp(inputs, built{Config: cfg})
	if err != nil {
		return "", err
	}
	got, err := os.ReadFile(filepath.Join(dir, StampFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%s has no synth stamp (%s): %w: run make synth", dir, StampFile, ErrStale)
	case err != nil:
		return "", err
	case strings.TrimSpace(string(got)) != want:
		return "", fmt.Errorf("%s was synthesized from other sources or another configuration than the ones at hand: %w: run make synth", dir, ErrStale)
	}
	return dir, nil
}

// ErrNotCached marks a fixture that is not in the cache and was not to be built.
var ErrNotCached = errors.New("fixture not synthesized yet")

// fixtureKeep is how many fixtures the cache keeps: those of a few recent source trees.
const fixtureKeep = 24

// Fixture returns the cloud assembly of opts, asset bundling skipped, synthesized at most
// once for the repository's inputs and the options: it is kept in the user's cache
// directory under a key of both, so the tests of every package share it and a rerun with
// unchanged sources synthesizes nothing. When it is not there and build is false, it
// returns an ErrNotCached error. opts.Outdir and opts.CLI must be unset.
func Fixture(opts Options, build bool) (string, error) {
	if opts.CLI || opts.Outdir != "" {
		return "", errors.New("cdkapp: a fixture chooses its own directory and context")
	}
	opts.SkipBundling = true
	root := opts.Root
	if root == "" {
		var err error
		if root, err = repo.Root(); err != nil {
			return "", err
		}
		opts.Root = root
	}
	inputs, err := Inputs(root)
	if err != nil {
		return "", err
	}
	key, err := stamp(inputs, map[string]any{"context": opts.Context, "extra": opts.Extra, "routes": opts.Routes,
		"env": [2]string{getenvOr(opts.Getenv)("CDK_DEFAULT_ACCOUNT"), getenvOr(opts.Getenv)("CDK_DEFAULT_REGION")}})
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	base := filepath.Join(cache, "notes-platform", "assemblies")
	dir := filepath.Join(base, key[:32])
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err == nil {
		now := time.Now()
		_ = os.Chtimes(dir, now, now) // recently used
		return dir, nil
	}
	if !build {
		return "", fmt.Errorf("%w (a whole-app synth)", ErrNotCached)
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(base, "tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	opts.Outdir = tmp
	app, err := Build(opts)
	if err != nil {
		return "", err
	}
	if _, err := app.Synth(); err != nil {
		return "", err
	}
	// Another process may have made the same fixture meanwhile: either copy is good.
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "manifest.json")); statErr != nil {
			return "", err
		}
	}
	prune(base)
	return dir, nil
}

// prune removes all but the fixtureKeep most recently used fixtures.
func prune(base string) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	type used struct {
		path string
		at   time.Time
	}
	var all []used
	for _, e := range entries {
		if info, err := e.Info(); err == nil && e.IsDir() && !strings.HasPrefix(e.Name(), "tmp-") {
			all = append(all, used{filepath.Join(base, e.Name()), info.ModTime()})
		}
	}
	slices.SortFunc(all, func(a, b used) int { return b.at.Compare(a.at) })
	for _, u := range all[min(len(all), fixtureKeep):] {
		os.RemoveAll(u.path)
	}
}

func getenvOr(getenv func(string) string) func(string) string {
	if getenv == nil {
		return os.Getenv
	}
	return getenv
}
