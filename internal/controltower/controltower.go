// Package controltower runs AWS Control Tower's proactive controls (the cfn-guard rules
// and binary of @cdklabs/cdk-validator-cfnguard, pinned in package.json) over templates
// resolved by internal/cfn as the controls' CloudFormation hooks see them, so that a
// failure shows up in `make test` instead of in a stuck pipeline.
package controltower

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/example/notesplatform/internal/cfn"
)

// Package is the npm package that ships the binary and the rules.
const Package = "@cdklabs/cdk-validator-cfnguard"

// Control is one proactive control: one guard rule file and its metadata.
type Control struct {
	// ID is the control id, e.g. "CT.S3.PR.1".
	ID string
	// Title is the control's display name.
	Title string
	// Severity is AWS's rating (LOW, MEDIUM, HIGH, CRITICAL).
	Severity string
	// Rule is the guard rule name, e.g. "s3_bucket_logging_enabled_check".
	Rule string
	// File is the rule file.
	File string
	// ResourceTypes are the CloudFormation types the control evaluates.
	ResourceTypes []string
}

// Catalog is the installed rule set and the cfn-guard binary for this machine.
type Catalog struct {
	// Guard is the cfn-guard executable.
	Guard string
	// RulesDir holds the rule files, one folder per service.
	RulesDir string
	// Version is the package version.
	Version string
	// Controls by control id.
	Controls map[string]Control
	byRule   map[string]Control
}

// Load finds the package under moduleRoot/node_modules (installed by `npm ci` from the lock
// file) and reads every control of the Control Tower rule set.
func Load(moduleRoot string) (*Catalog, error) {
	root := filepath.Join(moduleRoot, "node_modules", filepath.FromSlash(Package))
	var pkg struct {
		Version string `json:"version"`
	}
	b, err := os.ReadFile(filepath.Join(root, "package.json"))
	if err != nil {
		return nil, fmt.Errorf("controltower: %s is not installed (run `make node_modules/.installed`, i.e. npm ci): %w", Package, err)
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return nil, fmt.Errorf("controltower: %s/package.json: %w", Package, err)
	}
	guard, err := binary(root)
	if err != nil {
		return nil, err
	}
	c := &Catalog{Guard: guard, RulesDir: filepath.Join(root, "rules", "control-tower", "cfn-guard"), Version: pkg.Version,
		Controls: map[string]Control{}, byRule: map[string]Control{}}
	metaDir := filepath.Join(root, "rules", "control-tower", "metadata")
	err = filepath.WalkDir(c.RulesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".guard") {
			return err
		}
		ctl, err := readControl(path, metaDir)
		if err != nil {
			return err
		}
		if other, dup := c.byRule[ctl.Rule]; dup {
			return fmt.Errorf("controltower: rule %s is in both %s and %s: failures could not be told apart", ctl.Rule, other.File, ctl.File)
		}
		c.Controls[ctl.ID] = ctl
		c.byRule[ctl.Rule] = ctl
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(c.Controls) == 0 {
		return nil, fmt.Errorf("controltower: no rule files under %s", c.RulesDir)
	}
	return c, nil
}

// binary is the package's cfn-guard for this OS and CPU, checked to be executable (npm
// keeps the mode of the files in the tarball; the package has no install script).
func binary(root string) (string, error) {
	osName := map[string]string{"linux": "ubuntu", "darwin": "macos"}[runtime.GOOS]
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	if osName == "" || arch == "" {
		return "", fmt.Errorf("controltower: %s ships cfn-guard for linux and darwin on amd64 and arm64, not %s/%s", Package, runtime.GOOS, runtime.GOARCH)
	}
	path := filepath.Join(root, "bin", osName, arch, "cfn-guard")
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("controltower: %w", err)
	}
	if st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("controltower: %s is not executable (mode %v)", path, st.Mode())
	}
	return path, nil
}

var ruleName = regexp.MustCompile(`(?m)^rule\s+([A-Za-z0-9_]+)\s+when\b`)

func readControl(path, metaDir string) (Control, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Control{}, fmt.Errorf("controltower: %w", err)
	}
	m := ruleName.FindSubmatch(b)
	if m == nil {
		return Control{}, fmt.Errorf("controltower: %s has no primary rule (`rule <name> when ...`)", path)
	}
	base := strings.TrimSuffix(filepath.Base(path), ".guard")
	meta := filepath.Join(metaDir, filepath.Base(filepath.Dir(path)), base+".metadata.json")
	mb, err := os.ReadFile(meta)
	if err != nil {
		return Control{}, fmt.Errorf("controltower: metadata of %s: %w", path, err)
	}
	var md struct {
		ID                     string   `json:"Id"`
		DisplayName            string   `json:"DisplayName"`
		Severity               string   `json:"Severity"`
		EvaluatedResourceTypes []string `json:"EvaluatedResourceTypes"`
	}
	if err := json.Unmarshal(mb, &md); err != nil {
		return Control{}, fmt.Errorf("controltower: %s: %w", meta, err)
	}
	if md.ID == "" {
		return Control{}, fmt.Errorf("controltower: %s has no Id", meta)
	}
	return Control{ID: md.ID, Title: md.DisplayName, Severity: md.Severity, Rule: string(m[1]), File: path,
		ResourceTypes: md.EvaluatedResourceTypes}, nil
}

// Failure is one control that one resource of one template breaks.
type Failure struct {
	// Template is the data file guard read.
	Template string
	// LogicalID is the failing resource; empty when guard names no resource.
	LogicalID string
	// Control is the broken control.
	Control Control
	// Message is the control's own message: what it requires and the fix.
	Message string
	// Details are guard's findings on the resource's properties, deduplicated.
	Details []string
}

// Validate runs every control over the templates (JSON files) and returns the failures,
// sorted by template, resource and control. Each template is checked by its own cfn-guard
// process with the controls that evaluate a resource type it contains (any other control
// skips it, as its hook would never be invoked), one process per CPU at a time.
func (c *Catalog) Validate(templates []string) ([]Failure, error) {
	var (
		mu   sync.Mutex
		all  []Failure
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, runtime.NumCPU())
	)
	for _, t := range templates {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			fs, err := c.validate(t)
			mu.Lock()
			defer mu.Unlock()
			all = append(all, fs...)
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b Failure) int {
		return strings.Compare(a.Template+"\x00"+a.LogicalID+"\x00"+a.Control.ID, b.Template+"\x00"+b.LogicalID+"\x00"+b.Control.ID)
	})
	return all, nil
}

// For returns the controls that evaluate at least one of the resource types, by id.
func (c *Catalog) For(types []string) []Control {
	var out []Control
	for _, id := range slices.Sorted(maps.Keys(c.Controls)) {
		ctl := c.Controls[id]
		if slices.ContainsFunc(ctl.ResourceTypes, func(t string) bool { return slices.Contains(types, t) }) {
			out = append(out, ctl)
		}
	}
	return out
}

func (c *Catalog) validate(template string) ([]Failure, error) {
	b, err := os.ReadFile(template)
	if err != nil {
		return nil, fmt.Errorf("controltower: %w", err)
	}
	tpl, err := cfn.ParseTemplate(b)
	if err != nil {
		return nil, fmt.Errorf("controltower: %s: %w", template, err)
	}
	var types []string
	for _, r := range tpl.Resources {
		types = append(types, r.Type)
	}
	return c.Run(c.For(types), template)
}

// Run runs the given controls over the templates with one cfn-guard process.
func (c *Catalog) Run(controls []Control, templates ...string) ([]Failure, error) {
	if len(controls) == 0 || len(templates) == 0 {
		return nil, nil
	}
	args := []string{"validate", "--output-format", "json", "--show-summary", "none", "--structured"}
	for _, ctl := range controls {
		args = append(args, "--rules", ctl.File)
	}
	for _, t := range templates {
		args = append(args, "--data", t)
	}
	cmd := exec.Command(c.Guard, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	// cfn-guard exits 19 when a rule fails and 0 when all pass; anything else is an error.
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 19) {
		return nil, fmt.Errorf("controltower: %s: %v\n%s", c.Guard, err, stderr.String())
	}
	return c.Parse(stdout.Bytes())
}

var (
	resourcePath = regexp.MustCompile(`^/Resources/([^/]+)`)
	lineMarker   = regexp.MustCompile(`\[L:\d+,C:\d+\]`)
	spaces       = regexp.MustCompile(`\s+`)
)

// Parse reads cfn-guard's `validate --output-format json --structured` report.
func (c *Catalog) Parse(out []byte) ([]Failure, error) {
	var reports []struct {
		Name         string           `json:"name"`
		NotCompliant []map[string]any `json:"not_compliant"`
	}
	if err := json.Unmarshal(out, &reports); err != nil {
		return nil, fmt.Errorf("controltower: cfn-guard report: %w", err)
	}
	var failures []Failure
	for _, rep := range reports {
		for _, nc := range rep.NotCompliant {
			rule, _ := nc["Rule"].(map[string]any)
			name, _ := rule["name"].(string)
			ctl, ok := c.byRule[name]
			if !ok {
				return nil, fmt.Errorf("controltower: %s fails rule %q, which no rule file declares", rep.Name, name)
			}
			byResource := map[string]*Failure{}
			var order []string
			last := "" // a clause on a derived value (no path) belongs to the resource before it
			collect(nc, "", func(id, message, detail string) {
				if id == "" {
					id = last
				}
				last = id
				f, ok := byResource[id]
				if !ok {
					f = &Failure{Template: rep.Name, LogicalID: id, Control: ctl, Message: message}
					byResource[id] = f
					order = append(order, id)
				}
				if f.Message == "" {
					f.Message = message
				}
				if detail != "" && !slices.Contains(f.Details, detail) {
					f.Details = append(f.Details, detail)
				}
			})
			if len(order) == 0 { // a rule that failed without a clause to blame
				order, byResource[""] = []string{""}, &Failure{Template: rep.Name, Control: ctl}
			}
			for _, id := range order {
				failures = append(failures, *byResource[id])
			}
		}
	}
	return failures, nil
}

// collect walks one failed rule of guard's report and calls found for every failed clause,
// with the resource it is about, the nearest control message above it and guard's own
// message.
func collect(node any, message string, found func(id, message, detail string)) {
	switch x := node.(type) {
	case []any:
		for _, e := range x {
			collect(e, message, found)
		}
	case map[string]any:
		if m, ok := x["messages"].(map[string]any); ok {
			if cm, _ := m["custom_message"].(string); strings.Contains(cm, "[CT.") {
				message = strings.TrimSpace(spaces.ReplaceAllString(cm, " "))
			}
		}
		if clause, ok := x["Clause"]; ok {
			detail := ""
			visit(clause, func(k string, v any) {
				if s, ok := v.(string); ok && k == "error_message" && detail == "" {
					detail = strings.TrimSpace(spaces.ReplaceAllString(lineMarker.ReplaceAllString(s, ""), " "))
				}
			})
			if len(detail) > 400 {
				detail = detail[:400] + "..."
			}
			id := ""
			visit(clause, func(k string, v any) {
				if s, ok := v.(string); ok && k == "path" && id == "" {
					if m := resourcePath.FindStringSubmatch(s); m != nil {
						id = m[1]
					}
				}
			})
			found(id, message, detail)
			return
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			collect(x[k], message, found)
		}
	}
}

// visit calls f for every key and value below node.
func visit(node any, f func(key string, v any)) {
	switch x := node.(type) {
	case []any:
		for _, e := range x {
			visit(e, f)
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			f(k, x[k])
			visit(x[k], f)
		}
	}
}
