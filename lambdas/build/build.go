// Package build holds the one Go build command for Lambda functions, so that the CDK
// bundling and the size benchmark compile exactly the same binary.
package build

import (
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
