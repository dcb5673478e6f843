// Package repo reads what the repository itself declares: where its root is, the CDK
// context of cdk.json, the Go version of go.mod, the npm versions pinned in package.json
// and the single-page app's Content-Security-Policy. The CDK app, the pipeline, the
// tests and the local server all read these facts here, so each has one reader.
package repo

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Root returns the nearest directory at or above the working directory that holds
// go.mod: the repository root, wherever it is checked out and whichever package runs.
func Root() (string, error) {
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

// CDKContext reads the "context" object of cdk.json (feature flags and the config), as
// the CDK CLI passes it to the app.
func CDKContext(root string) (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		return nil, err
	}
	var f struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	if f.Context == nil {
		return nil, errors.New("cdk.json: no context object")
	}
	return f.Context, nil
}

var goLine = regexp.MustCompile(`(?m)^go\s+([0-9]+)\.([0-9]+)(\.[0-9]+)?\s*$`)

// GoVersion is the "major.minor" of the go line of go.mod: the Go runtime CodeBuild
// selects for the pipeline's builds.
func GoVersion(root string) (string, error) {
	path := filepath.Join(root, "go.mod")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	m := goLine.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("%s has no go line such as \"go 1.26.0\"", path)
	}
	return string(m[1]) + "." + string(m[2]), nil
}

var exactVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

// NPMVersion is the exact version of an npm package pinned in package.json
// (devDependencies or dependencies). A range such as ^2.0.0 is an error: what the
// pipeline installs must be what the repository was tested with.
func NPMVersion(root, pkg string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "package.json"))
	if err != nil {
		return "", err
	}
	var p struct {
		DevDependencies map[string]string `json:"devDependencies"`
		Dependencies    map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return "", fmt.Errorf("package.json: %w", err)
	}
	v := p.DevDependencies[pkg]
	if v == "" {
		v = p.Dependencies[pkg]
	}
	if !exactVersion.MatchString(v) {
		return "", fmt.Errorf("package.json pins %s %q: allowed is an exact version such as 1.2.3", pkg, v)
	}
	return v, nil
}

// CDKCLIVersion is the aws-cdk CLI version pinned in package.json: the pipeline runs the
// same CLI as `npx cdk`. Only 2.x is accepted; the registry's 3.0.0 cannot read today's
// cloud assemblies.
func CDKCLIVersion(root string) (string, error) {
	v, err := NPMVersion(root, "aws-cdk")
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(v, "2.") {
		return "", fmt.Errorf("package.json pins aws-cdk %q: allowed is an exact 2.x version", v)
	}
	return v, nil
}

// WebDir is the folder of the single-page app.
func WebDir(root string) string { return filepath.Join(root, "web") }

// ContentSecurityPolicy reads web/csp.txt as one line: the one policy that the app is
// written to pass and that both CloudFront and the local server send.
func ContentSecurityPolicy(webDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(webDir, "csp.txt"))
	if err != nil {
		return "", fmt.Errorf("the Content-Security-Policy of the app must be in web/csp.txt: %w", err)
	}
	csp := strings.Join(strings.Fields(string(b)), " ")
	if csp == "" {
		return "", fmt.Errorf("%s is empty: it must hold the Content-Security-Policy of the app", filepath.Join(webDir, "csp.txt"))
	}
	return csp, nil
}
