// Package build holds the one Go build command for Lambda functions, so that the CDK
// bundling and the size benchmark compile exactly the same binary.
package build

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
)

// Flags are the `go build` flags that make a small, reproducible binary: no cgo, no paths,
// no VCS stamp, no build id, no RPC shim (provided.al2023 talks to the Runtime API).
var Flags = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-tags=lambda.norpc"}

// Env is the environment of the cross-compilation for Lambda on Graviton.
var Env = []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "GOFLAGS=-mod=readonly"}

// Command returns the command that compiles the package in pkgDir (relative to moduleRoot)
// into outDir/bootstrap.
func Command(moduleRoot, pkgDir, outDir string) *exec.Cmd {
	args := append([]string{"build"}, Flags...)
	args = append(args, "-o", filepath.Join(outDir, "bootstrap"), "./"+filepath.ToSlash(filepath.Clean(pkgDir)))
	cmd := exec.Command("go", args...)
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), Env...)
	return cmd
}

// ModuleRoot returns the nearest directory at or above the working directory that holds
// go.mod: the repository root, wherever it is checked out and whichever package runs.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory: run from inside the repository")
		}
		dir = parent
	}
}
