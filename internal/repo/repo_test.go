package repo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRootFindsGoModAbove(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "go.mod", "module x\n\ngo 1.26.0\n")
	deep := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(deep)
	got, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.EvalSymlinks(dir)
	if g, _ := filepath.EvalSymlinks(got); g != want {
		t.Fatalf("Root() = %s, want %s", got, dir)
	}
}

func TestRootWithoutGoMod(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, err := Root(); err == nil || !strings.Contains(err.Error(), "go.mod") {
		t.Fatalf("want an error naming go.mod, got %v", err)
	}
}

func TestTheRepositoryItself(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := CDKContext(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ctx["config"]; !ok {
		t.Error("cdk.json context has no config object")
	}
	if v, err := GoVersion(root); err != nil || !strings.HasPrefix(v, "1.") {
		t.Errorf("GoVersion = %q, %v", v, err)
	}
	if v, err := CDKCLIVersion(root); err != nil || !strings.HasPrefix(v, "2.") {
		t.Errorf("CDKCLIVersion = %q, %v", v, err)
	}
	csp, err := ContentSecurityPolicy(WebDir(root))
	if err != nil || !strings.Contains(csp, "default-src") || strings.Contains(csp, "\n") {
		t.Errorf("ContentSecurityPolicy = %q, %v", csp, err)
	}
}

func TestVersions(t *testing.T) {
	for _, tc := range []struct {
		name, gomod, pkg, wantGo, wantCLI, wantErr string
	}{
		{name: "pinned", gomod: "module x\ngo 1.26.8\n", pkg: `{"devDependencies":{"aws-cdk":"2.1148.1"}}`, wantGo: "1.26", wantCLI: "2.1148.1"},
		{name: "dependencies", gomod: "module x\ngo 1.27\n", pkg: `{"dependencies":{"aws-cdk":"2.1.0"}}`, wantGo: "1.27", wantCLI: "2.1.0"},
		{name: "range", gomod: "module x\ngo 1.26.0\n", pkg: `{"devDependencies":{"aws-cdk":"^2.1148.1"}}`, wantGo: "1.26", wantErr: `"^2.1148.1": allowed is an exact version`},
		{name: "major 3", gomod: "module x\ngo 1.26.0\n", pkg: `{"devDependencies":{"aws-cdk":"3.0.0"}}`, wantGo: "1.26", wantErr: "allowed is an exact 2.x version"},
		{name: "missing", gomod: "module x\ngo 1.26.0\n", pkg: `{}`, wantGo: "1.26", wantErr: `aws-cdk ""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "go.mod", tc.gomod)
			write(t, dir, "package.json", tc.pkg)
			if v, err := GoVersion(dir); err != nil || v != tc.wantGo {
				t.Errorf("GoVersion = %q, %v; want %q", v, err, tc.wantGo)
			}
			v, err := CDKCLIVersion(dir)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("CDKCLIVersion = %q, %v; want error containing %q", v, err, tc.wantErr)
				}
				return
			}
			if err != nil || v != tc.wantCLI {
				t.Errorf("CDKCLIVersion = %q, %v; want %q", v, err, tc.wantCLI)
			}
		})
	}
}

func TestGoVersionWithoutGoLine(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "go.mod", "module x\n")
	if _, err := GoVersion(dir); err == nil || !strings.Contains(err.Error(), "no go line") {
		t.Fatalf("want a no-go-line error, got %v", err)
	}
}

func TestCDKContextErrors(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "cdk.json", `{"app":"go run ."}`)
	if _, err := CDKContext(dir); err == nil || !strings.Contains(err.Error(), "no context object") {
		t.Errorf("want a no-context error, got %v", err)
	}
	write(t, dir, "cdk.json", `{`)
	if _, err := CDKContext(dir); err == nil || !strings.Contains(err.Error(), "cdk.json") {
		t.Errorf("want a cdk.json parse error, got %v", err)
	}
}

func TestContentSecurityPolicyIsOneLine(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "csp.txt", "default-src 'self';\n  img-src 'self'\n")
	got, err := ContentSecurityPolicy(dir)
	if err != nil || got != "default-src 'self'; img-src 'self'" {
		t.Fatalf("got %q, %v", got, err)
	}
	write(t, dir, "csp.txt", " \n")
	if _, err := ContentSecurityPolicy(dir); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("want an empty-file error, got %v", err)
	}
	if _, err := ContentSecurityPolicy(t.TempDir()); err == nil || !strings.Contains(err.Error(), "web/csp.txt") {
		t.Fatalf("want a missing-file error, got %v", err)
	}
}
