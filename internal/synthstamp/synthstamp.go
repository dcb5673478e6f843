// Package synthstamp tells whether a cloud assembly was synthesized from the sources at
// hand: synth writes a stamp (a hash of every file synth reads and of what was built from
// them) into the assembly, and the tests that read cdk.out check it instead of
// synthesizing again. It imports no CDK code, so the packages that only read an assembly
// stay light.
package synthstamp

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

	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/repo"
)

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

// Of is what an assembly's stamp says: the repository's inputs and what was built from
// them (the configuration, a sandbox, other routes).
func Of(inputs string, what any) (string, error) {
	b, err := json.Marshal(what)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append([]byte(inputs+"\n"), b...))
	return hex.EncodeToString(sum[:]), nil
}

// Built is what a stamp records of an app beyond the repository's inputs.
type Built struct {
	Config  *config.Config
	Sandbox *config.Environment
	Routes  any
}

// Write records in the cloud assembly dir that it holds what b says, built from the
// repository's inputs (Inputs at the time the build started).
func Write(dir, inputs string, b Built) error {
	s, err := Of(inputs, b)
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
	want, err := Of(inputs, Built{Config: cfg})
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
