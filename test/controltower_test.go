package test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/constructs/guard"
	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/controltower"
)

// bootstrapSSM answers the one SSM parameter the templates name: the CDK bootstrap
// version, read by the templates' Rules section (which hooks never see).
var bootstrapSSM = map[string]string{"/cdk-bootstrap/hnb659fds/version": "30"}

// hookView is one synthesized template as a Control Tower hook would judge it.
type hookView struct {
	config   string // which synthesized configuration
	stack    *cfn.Stack
	facts    guard.Facts
	resolved *cfn.Template
	file     string            // the resolved template on disk (shared by identical ones)
	paths    map[string]string // logical id -> construct path, where known
}

func (v *hookView) String() string {
	return fmt.Sprintf("%s: template %s (stack %s)", v.config, v.stack.Display, v.stack.Name)
}

// suppressed reports whether the resource's Metadata.guard.SuppressedRules names control.
func (v *hookView) suppressed(logicalID, control string) bool {
	return slices.Contains(suppressedRules(v.resolved, logicalID), control)
}

func suppressedRules(tpl *cfn.Template, logicalID string) []string {
	g, _ := tpl.Resources[logicalID].Metadata[guard.MetadataKey].(map[string]any)
	return strs(g[guard.SuppressedRules])
}

// Every synthesized template passes AWS Control Tower's proactive controls, judged as their
// CloudFormation hooks judge it: both shipped environments, the pipeline and its support
// stacks, the custom-domain variant, the CodeConnections variant and an app with routes on
// new paths (whose route shards are nested stacks, their parameters passed by the parent),
// with values that CloudFormation resolves before a hook runs (cross-stack references, Ref,
// GetAtt, ...) resolved first. A failure is allowed only where constructs/guard lists it: a control
// that cannot apply to the configuration, or a per-resource waiver that the template's
// metadata carries. Every listed exemption must still be needed.
func TestControlTowerProactiveControls(t *testing.T) {
	catalog, err := controltower.Load(repoRoot(t))
	require.NoError(t, err)
	for _, w := range guard.Waivers {
		require.Contains(t, catalog.Controls, w.Control, "waiver on %s names an unknown control", w.Path)
	}
	for _, na := range guard.NotApplicableControls {
		require.Contains(t, catalog.Controls, na.Control, "not-applicable entry names an unknown control")
	}

	configs := []struct {
		name string
		s    *synthesized
	}{
		{"shipped configuration", shippedApp(t)},
		{"custom-domain variant", customDomainApp(t)},
		{"CodeConnections variant", connectionApp(t)},
		{"routes on new paths (route shards)", newPathsApp(t)},
	}
	start := time.Now()
	dir := t.TempDir()
	var views []*hookView
	files := map[string]bool{}
	for _, c := range configs {
		asm, err := cfn.Read(c.s.Assembly)
		require.NoError(t, err)
		paths := constructPaths(c.s, asm)
		for path := range c.s.Templates {
			require.NotNil(t, asm.StackAt(path), "%s: stack %s is not in the assembly", c.name, path)
		}
		resolver := asm.Resolver(&cfn.Options{SSMParameters: bootstrapSSM})
		for _, st := range asm.Stacks {
			resolved, err := resolver.Template(st)
			require.NoError(t, err, "%s: resolve %s", c.name, st.Display)
			b, err := json.MarshalIndent(resolved, "", " ")
			require.NoError(t, err)
			sum := sha256.Sum256(b)
			file := filepath.Join(dir, hex.EncodeToString(sum[:8])+".json") // identical templates are checked once
			if !files[file] {
				require.NoError(t, os.WriteFile(file, b, 0o644))
				files[file] = true
			}
			views = append(views, &hookView{config: c.name, stack: st, facts: factsOf(t, c.s.Config, st),
				resolved: resolved, file: file, paths: paths[st.Display]})
		}
	}
	nested := 0
	for _, v := range views {
		if v.stack.Parent != nil {
			nested++
		}
	}
	require.Positive(t, nested, "no nested stack (route shard) was checked")
	resolvedIn := time.Since(start)
	failures, err := catalog.Validate(slices.Sorted(func(yield func(string) bool) {
		for f := range files {
			if !yield(f) {
				return
			}
		}
	}))
	require.NoError(t, err)
	t.Logf("%d templates (%d nested, %d distinct) resolved in %v and checked against %d controls in %v",
		len(views), nested, len(files), resolvedIn.Round(time.Millisecond), len(catalog.Controls), (time.Since(start) - resolvedIn).Round(time.Millisecond))

	byFile := map[string][]controltower.Failure{}
	for _, f := range failures {
		byFile[f.Template] = append(byFile[f.Template], f)
	}
	type use struct{ stack, logicalID, control string }
	usedWaiver := map[use]bool{}
	usedNA := map[string]bool{}
	var problems []string
	inConfigs := map[string][]string{} // a failure of identical templates, in which configurations
	for _, v := range views {
		for _, f := range byFile[v.file] {
			if f.LogicalID != "" && v.suppressed(f.LogicalID, f.Control.ID) {
				usedWaiver[use{v.stack.Name, f.LogicalID, f.Control.ID}] = true
				continue
			}
			if i := slices.IndexFunc(guard.NotApplicableControls, func(na guard.NotApplicable) bool {
				return na.Control == f.Control.ID && na.When(v.facts)
			}); i >= 0 {
				usedNA[f.Control.ID] = true
				continue
			}
			d := describe(v, f)
			if len(inConfigs[d]) == 0 {
				problems = append(problems, d)
			}
			inConfigs[d] = append(inConfigs[d], v.config)
		}
	}
	for i, d := range problems {
		problems[i] = fmt.Sprintf(d, strings.Join(inConfigs[d], ", "))
	}
	assert.Empty(t, problems, "%d Control Tower failures; fix the resource, or exempt it in constructs/guard/exemptions.go with a reason a reviewer accepts:\n%s",
		len(problems), strings.Join(problems, "\n"))

	// Every waiver matches resources and still exempts a failure somewhere; every piece of
	// suppression metadata comes from a waiver.
	type applied struct{ stack, logicalID string }
	fromWaivers := map[applied][]string{}
	for _, c := range configs {
		for _, m := range c.s.Waived {
			k := applied{m.Stack, m.LogicalID}
			fromWaivers[k] = append(fromWaivers[k], m.Waiver.Control)
		}
	}
	for _, w := range guard.Waivers {
		matched, used := false, false
		for _, c := range configs {
			for _, m := range c.s.Waived {
				if m.Waiver == w {
					matched = true
					used = used || usedWaiver[use{m.Stack, m.LogicalID, w.Control}]
				}
			}
		}
		assert.True(t, matched, "stale waiver: %s on %s %s matches no resource of any configuration", w.Control, w.Type, w.Path)
		assert.True(t, !matched || used, "stale waiver: %s passes on every resource %s %s matches; remove the waiver", w.Control, w.Type, w.Path)
	}
	for _, na := range guard.NotApplicableControls {
		assert.True(t, usedNA[na.Control], "stale not-applicable entry: %s fails in no configuration it is listed for; remove it", na.Control)
	}
	for _, v := range views {
		for id := range v.resolved.Resources {
			for _, control := range suppressedRules(v.resolved, id) {
				assert.Contains(t, fromWaivers[applied{v.stack.Name, id}], control,
					"%s: resource %s suppresses %s without a waiver in constructs/guard/exemptions.go", v, id, control)
			}
		}
	}
}

// describe is a failure as the test reports it: the template, the resource (logical id
// and construct path), the control, its message and guard's findings; %s is left for
// the configurations it fails in.
func describe(v *hookView, f controltower.Failure) string {
	where := "resource " + f.LogicalID
	if f.LogicalID == "" {
		where = "the template"
	} else if p, ok := v.paths[f.LogicalID]; ok {
		where += " (" + p + ")"
	}
	details := f.Details
	if len(details) > 2 {
		details = append(details[:2:2], fmt.Sprintf("... %d more", len(f.Details)-2))
	}
	esc := func(s string) string { return strings.ReplaceAll(s, "%", "%%") }
	return esc(fmt.Sprintf("- template %s (stack %s, %s): %s fails %s (%s)", v.stack.Display, v.stack.Name, filepath.Base(v.stack.TemplateFile),
		where, f.Control.ID, f.Control.Severity)) +
		" in %s\n    " + esc(f.Message+"\n    guard: "+strings.Join(details, " | "))
}

// factsOf is the configuration of a stack, as far as the exemptions need it.
func factsOf(t *testing.T, cfg *config.Config, st *cfn.Stack) guard.Facts {
	envName, _, isStage := strings.Cut(st.Display, "/")
	if !isStage {
		return guard.Facts{Pipeline: true}
	}
	e := mustEnv(t, cfg, envName)
	return guard.Facts{LogRetentionDays: e.LogRetentionDays, CustomDomain: e.DomainName != "", PrivateFunctions: e.Private()}
}

// constructPaths maps each stack's logical ids to construct paths: from the assembly's
// metadata (every resource records its logical id there) and from the waivers' matches.
func constructPaths(s *synthesized, asm *cfn.Assembly) map[string]map[string]string {
	out := map[string]map[string]string{}
	stackPaths := map[string]string{} // stack name -> stack path
	for _, st := range asm.Stacks {
		out[st.Display] = maps.Clone(st.Paths)
		stackPaths[st.Name] = st.Display
	}
	for _, m := range s.Waived {
		if sp, ok := stackPaths[m.Stack]; ok {
			out[sp][m.LogicalID] = m.Path
		}
	}
	return out
}
