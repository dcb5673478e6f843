// Package test checks the CDK app as a whole: the templates of every stack of every
// environment. The shipped configuration is the cloud assembly that `make synth` wrote
// (cdk.out); every other configuration is synthesized at most once per source tree and
// shared by the tests of every package (internal/cdkapp.Fixture).
package test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/guard"
	"github.com/example/notesplatform/internal/cdkapp"
	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/internal/synthstamp"
	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/stacks"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close() // one jsii kernel per test binary, closed once at the end
	os.Exit(code)
}

// synthesized is one configuration's cloud assembly, with a template per stack.
type synthesized struct {
	Config *config.Config
	// Templates are the stages' stacks by construct path, e.g. "dev/Backend".
	Templates map[string]assertions.Template
	// Pipeline is the pipeline stack's template.
	Pipeline assertions.Template
	// Assembly is the cloud assembly's directory and Cloud the assembly read.
	Assembly string
	Cloud    *cfn.Assembly
	// Waived are the resources a Control Tower waiver matches (constructs/guard).
	Waived []guard.Match
	Err    error
}

var (
	shippedOnce sync.Once
	shipped     synthesized
)

// repoRoot is the module root; the tests run in test/.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// cdkContext reads the context of cdk.json: feature flags and the shipped config.
func cdkContext(t testing.TB) map[string]interface{} {
	t.Helper()
	ctx, err := repo.CDKContext(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// shippedApp is the cloud assembly of the cdk.json that ships, as `make synth` wrote it
// to cdk.out. A missing or stale cdk.out fails the test with what to run; in the inner
// loop (-short) the test skips instead, since only a whole-app synth would bring it.
func shippedApp(t testing.TB) *synthesized {
	t.Helper()
	shippedOnce.Do(func() {
		dir, err := synthstamp.Shipped(repoRoot(t))
		if err != nil {
			shipped = synthesized{Err: err}
			return
		}
		shipped = load(t, dir, cdkContext(t))
	})
	if shipped.Err != nil {
		if testing.Short() && errors.Is(shipped.Err, synthstamp.ErrStale) {
			t.Skipf("full tier (make test): needs the shipped cloud assembly, and %v", shipped.Err)
		}
		t.Fatalf("the shipped configuration's cloud assembly: %v", shipped.Err)
	}
	return &shipped
}

// variant is a configuration other than the shipped one: cdk.json's context with
// changes, or another route table. It is synthesized once per source tree for every test
// package (cdkapp.Fixture); in the inner loop (-short) a test that would have to
// synthesize it skips.
type variant struct {
	once sync.Once
	s    synthesized
}

func (v *variant) get(t testing.TB, ctx map[string]any, routes *api.Table) *synthesized {
	t.Helper()
	v.once.Do(func() {
		dir, err := cdkapp.Fixture(cdkapp.Options{Root: repoRoot(t), Context: ctx, Routes: routes}, !testing.Short())
		if err != nil {
			v.s = synthesized{Err: err}
			return
		}
		v.s = load(t, dir, ctx)
	})
	if v.s.Err != nil {
		if errors.Is(v.s.Err, cdkapp.ErrNotCached) {
			t.Skipf("full tier (make test): %v", v.s.Err)
		}
		t.Fatalf("synth of the configuration failed: %v", v.s.Err)
	}
	return &v.s
}

// load reads a cloud assembly synthesized from ctx.
func load(t testing.TB, dir string, ctx map[string]any) (s synthesized) {
	defer func() {
		if r := recover(); r != nil {
			s = synthesized{Err: fmt.Errorf("panic reading the templates: %v", r)}
		}
	}()
	cfg, err := config.Load(ctx)
	if err != nil {
		return synthesized{Err: err}
	}
	asm, err := cfn.Read(dir)
	if err != nil {
		return synthesized{Err: err}
	}
	s = synthesized{Config: cfg, Templates: map[string]assertions.Template{}, Assembly: dir, Cloud: asm}
	var all []guard.Resource
	for _, st := range asm.Stacks {
		for id, r := range st.Template.Resources {
			all = append(all, guard.Resource{Stack: st.Name, LogicalID: id, Type: r.Type, Path: st.Paths[id]})
		}
		if st.Parent != nil {
			continue
		}
		tpl, err := st.JSON()
		if err != nil {
			return synthesized{Err: err}
		}
		switch {
		case st.Stage != "":
			s.Templates[st.Display] = assertions.Template_FromJSON(&tpl, nil)
		case st.Name == stacks.PipelineStackName(cfg.AppName):
			s.Pipeline = assertions.Template_FromJSON(&tpl, nil)
		}
	}
	s.Waived = guard.Matches(all, guard.Waivers)
	return s
}

// logicalID is the logical id of the resource at a construct path
// ("dev/Backend/NotesRead/Role/Resource"), from the assembly's metadata.
func (s *synthesized) logicalID(t testing.TB, path string) string {
	t.Helper()
	for _, st := range s.Cloud.Stacks {
		for id, p := range st.Paths {
			if p == path {
				return id
			}
		}
	}
	t.Fatalf("no resource at %s in the cloud assembly %s", path, s.Assembly)
	return ""
}

// stage is one environment's stacks in a cloud assembly.
type stage struct {
	Env config.Environment
	s   *synthesized
}

// stages are the configured environments' stages, in config order.
func (s *synthesized) stages() []stage {
	var out []stage
	for _, e := range s.Config.Environments {
		out = append(out, stage{Env: e, s: s})
	}
	return out
}

// stack is the stage's stack of a part ("Backend", "Edge"), or nil when the stage has
// none (no Edge stack without WAF).
func (st stage) stack(part string) *cfn.Stack {
	return st.s.Cloud.StackAt(st.Env.Name + "/" + part)
}

// stacks are the stage's top-level stacks (not the nested route shards).
func (st stage) stacks() []*cfn.Stack {
	var out []*cfn.Stack
	for _, s := range st.s.Cloud.StageStacks(st.Env.Name) {
		if s.Parent == nil {
			out = append(out, s)
		}
	}
	return out
}

// logicalID is the logical id of the resource at a construct path below the stage
// ("Backend/Api/Resource/Resource").
func (st stage) logicalID(t testing.TB, path string) string {
	t.Helper()
	return st.s.logicalID(t, st.Env.Name+"/"+path)
}

// stack is the stack of the assembly at a construct path ("dev/Base").
func (s *synthesized) stack(t testing.TB, path string) *cfn.Stack {
	t.Helper()
	st := s.Cloud.StackAt(path)
	if st == nil {
		t.Fatalf("no stack %s in the cloud assembly %s", path, s.Assembly)
	}
	return st
}

// noPanic turns a jsii panic (a failed assertion throws in JavaScript) into a test
// failure, so one failed assertion does not end the whole binary.
func noPanic(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%v", r)
		}
	}()
	f()
}

// stackParts are the construct ids of a stage's stacks; "Edge" exists only where WAF is on.
var stackParts = []string{"Base", "Data", "Backend", "Edge", "Frontend"}

// forEachStack runs f for every stack whose part ("Base", "Data", ...) is in parts, or
// every stack when parts is empty.
func forEachStack(t *testing.T, parts []string, f func(t *testing.T, tpl assertions.Template, env config.Environment)) {
	s := shippedApp(t)
	for _, env := range s.Config.Environments {
		for _, part := range stackParts {
			if len(parts) > 0 && !slices.Contains(parts, part) {
				continue
			}
			path := env.Name + "/" + part
			if _, ok := s.Templates[path]; !ok {
				continue // no Edge stack without WAF
			}
			t.Run(path, func(t *testing.T) {
				noPanic(t, func() { f(t, s.Templates[path], env) })
			})
		}
	}
}

func mustEnv(t testing.TB, c *config.Config, name string) config.Environment {
	e, ok := c.Environment(name)
	if !ok {
		t.Fatalf("no environment %q", name)
	}
	return e
}

// resources returns the template's resources of one type, by logical id.
func resources(tpl assertions.Template, typ string) map[string]map[string]interface{} {
	out := map[string]map[string]interface{}{}
	for id, r := range *tpl.FindResources(jsii.String(typ), nil) {
		out[id] = *r
	}
	return out
}

// templateJSON is the whole template as plain Go values.
func templateJSON(tpl assertions.Template) map[string]interface{} {
	return (*tpl.ToJSON())
}

// toJSON renders a template fragment for substring checks.
func toJSON(v interface{}) string {
	b, _ := json.Marshal(v)
	return string(b)
}
