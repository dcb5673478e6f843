package build

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
)

type listedPackage struct {
	ImportPath string
	Dir        string
	Standard   bool
	Module     *struct {
		Path string
		Main bool
	}
	Deps                                                     []string
	GoFiles, CgoFiles, SFiles, EmbedFiles, IgnoredOtherFiles []string
}

// SourceHash is a SHA-256 over the relative path and content of every Go source file of
// the module that the package compiles (for Lambda: linux/arm64, cgo off), go.mod,
// go.sum and the build flags. It does not depend on where the module is checked out. The
// CDK asset of a function is keyed on it, and the function's BUILD_VERSION is its first 12
// hex digits, so tests can tell whether a cloud assembly was built from the sources at
// hand. It lives here, without CDK dependencies, so that such tests stay light.
func SourceHash(root, pkg string) (string, error) {
	hashes, err := SourceHashes(root, pkg)
	if err != nil {
		return "", err
	}
	return hashes[pkg], nil
}

// SourceHashes is SourceHash of several packages (directories relative to root) from one
// `go list`, which is most of the cost: synth hashes every function with one call.
func SourceHashes(root string, pkgs ...string) (map[string]string, error) {
	args := []string{"list", "-deps", "-json"}
	for _, p := range pkgs {
		args = append(args, "./"+filepath.ToSlash(p))
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %v: %v: %s", pkgs, err, stderr.String())
	}
	listed := map[string]*listedPackage{} // by import path
	byDir := map[string]*listedPackage{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		lp := &listedPackage{}
		if err := dec.Decode(lp); err != nil {
			return nil, fmt.Errorf("go list %v: %v", pkgs, err)
		}
		listed[lp.ImportPath] = lp
		byDir[filepath.Clean(lp.Dir)] = lp
	}
	hashes := map[string]string{}
	for _, pkg := range pkgs {
		top, ok := byDir[filepath.Join(root, pkg)]
		if !ok {
			return nil, fmt.Errorf("go list %v: package %s not listed", pkgs, pkg)
		}
		var files []string
		for _, path := range append([]string{top.ImportPath}, top.Deps...) {
			lp := listed[path]
			if lp == nil || lp.Standard || lp.Module == nil || !lp.Module.Main {
				continue // the standard library and dependencies are pinned by go.mod/go.sum
			}
			for _, group := range [][]string{lp.GoFiles, lp.CgoFiles, lp.SFiles, lp.EmbedFiles} {
				for _, f := range group {
					rel, err := filepath.Rel(root, filepath.Join(lp.Dir, f))
					if err != nil {
						return nil, err
					}
					files = append(files, filepath.ToSlash(rel))
				}
			}
		}
		if hashes[pkg], err = hashFiles(root, files); err != nil {
			return nil, err
		}
	}
	return hashes, nil
}

// hashFiles hashes the build flags, the files (relative to root), go.mod and go.sum.
func hashFiles(root string, files []string) (string, error) {
	files = append(files, "go.mod", "go.sum")
	slices.Sort(files)
	h := sha256.New()
	fmt.Fprintf(h, "flags %q env %q\n", Flags, Env)
	for _, f := range files {
		fh, err := os.Open(filepath.Join(root, f))
		if err != nil {
			return "", fmt.Errorf("hashing %s: %w", f, err)
		}
		fmt.Fprintf(h, "file %s\n", f)
		_, err = io.Copy(h, fh)
		fh.Close()
		if err != nil {
			return "", fmt.Errorf("hashing %s: %w", f, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
