package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/example/notesplatform/lambdas/api"
)

const module = "github.com/example/notesplatform"

// forbidden are the development-only packages: the local server and, under its internal/
// folder, the sign-in issuer that accepts any user name. No deployed function may contain
// them. The compiler already refuses lambdas/cmd/local/internal/... to any package outside
// lambdas/cmd/local; localserver cannot be internal (the browser tests in test/e2e start
// it), so this test is what keeps it out of the functions.
var forbidden = []string{
	module + "/lambdas/cmd/local",
}

// TestNoLambdaFunctionDependsOnLocalOnlyCode lists the dependencies of every function's
// package, as built for Lambda and as built here, and fails if anything under
// lambdas/cmd/local (the local server, the local issuer) is among them.
func TestNoLambdaFunctionDependsOnLocalOnlyCode(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	if len(api.Functions) == 0 {
		t.Fatal("api.Functions is empty")
	}
	envs := map[string][]string{
		"lambda": {"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64"},
		"host":   nil,
	}
	for _, f := range api.Functions {
		for envName, env := range envs {
			args := []string{"list", "-deps", "-f", "{{.ImportPath}}"}
			if envName == "lambda" {
				args = append(args, "-tags", "lambda.norpc")
			}
			args = append(args, "./"+f.Package)
			cmd := exec.Command("go", args...)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), env...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Errorf("%s (%s build): go list -deps ./%s: %v\n%s", f.Name, envName, f.Package, err, stderr.String())
				continue
			}
			deps := strings.Fields(string(out))
			if len(deps) == 0 || deps[len(deps)-1] != module+"/"+f.Package {
				t.Errorf("%s (%s build): go list printed no dependencies of %s", f.Name, envName, f.Package)
			}
			for _, d := range deps {
				for _, bad := range forbidden {
					if d == bad || strings.HasPrefix(d, bad+"/") {
						t.Errorf("%s (%s build): %s depends on %s, which is local-development-only code", f.Name, envName, f.Package, d)
					}
				}
			}
		}
	}
}

func TestRunRefusesNonLoopbackAddresses(t *testing.T) {
	for _, addr := range []string{":8080", "0.0.0.0:8080", "[::]:8080"} {
		var out, errOut bytes.Buffer
		err := run([]string{"-addr", addr, "-fresh", "-web", t.TempDir()}, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("-addr %s: err = %v, want a refusal naming loopback", addr, err)
		}
	}
}
