package cdkapp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/internal/synthstamp"
)

// A synthesized cloud assembly is expensive (seconds of jsii per configuration), so `make
// test` synthesizes each configuration at most once: the shipped one is the cdk.out that
// `make synth` wrote, recognized by its stamp (internal/synthstamp); the others are
// fixtures cached under the inputs they were synthesized from.

// WriteStamp records in the cloud assembly dir that it holds the app a, built from the
// repository's inputs (synthstamp.Inputs at the time the build started).
func (a *App) WriteStamp(dir, inputs string) error {
	return synthstamp.Write(dir, inputs, synthstamp.Built{Config: a.Config, Sandbox: a.Sandbox})
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
	inputs, err := synthstamp.Inputs(root)
	if err != nil {
		return "", err
	}
	key, err := synthstamp.Of(inputs, map[string]any{"context": opts.Context, "extra": opts.Extra, "routes": opts.Routes,
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
