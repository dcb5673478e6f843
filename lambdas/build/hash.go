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
	GoFiles, CgoFiles, SFiles, EmbedFiles, IgnoredOtherFiles []string
}

// SourceHash is a SHA-256 over the relative path and content of every Go source file of
// the module that the package compiles (for Lambda: linux/arm64, cgo off), go.mod,
// go.sum and the build flags. It does not depend on where the module is checked out. The
// CDK asset of a function is keyed on it, and the function's BUILD_VERSION is its first 12
// hex digits, so tests can tell whether a cloud assembly was built from the sources at
// hand. It lives here, without CDK dependencies, so that such tests stay light.
func SourceHash(root, pkg string) (string, error) {
	cmd := exec.Command("go", "list", "-deps", "-json", "./"+filepath.ToSlash(pkg))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list %s: %v: %s", pkg, err, stderr.String())
	}
	var files []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var lp listedPackage
		if err := dec.Decode(&lp); err != nil {
			return "", fmt.Errorf("go list %s: %v", pkg, err)
		}
		if lp.Standard || lp.Module == nil || !lp.Module.Main {
			continue // the standard library and dependencies are pinned by go.mod/go.sum
		}
		for _, group := range [][]string{lp.GoFiles, lp.CgoFiles, lp.SFiles, lp.EmbedFiles} {
			for _, f := range group {
				rel, err := filepath.Rel(root, filepath.Join(lp.Dir, f))
				if err != nil {
					return "", err
				}
				files = append(files, filepath.ToSlash(rel))
			}
		}
	}
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
