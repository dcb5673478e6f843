// Package test checks the CDK app as a whole: the templates of every stack of every
// environment, synthesized once per configuration and shared by all tests of the binary.
package test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/example/notesplatform/internal/repo"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/internal/cdkapp"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/stacks"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close() // one jsii kernel per test binary, closed once at the end
	os.Exit(code)
}

// synthesized is one configuration's app, with a template per stack.
type synthesized struct {
	Config    *config.Config
	App       *stacks.App
	Stages    []*stacks.Stage
	Templates map[string]assertions.Template // by construct path, e.g. "dev/Backend"
	Pipeline  assertions.Template            // the pipeline stack's
	Stacks    map[string]awscdk.Stack
	Assembly  string // cloud assembly directory
	Err       error
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

// shippedApp synthesizes the app with the cdk.json that ships, once per test binary.
func shippedApp(t testing.TB) *synthesized {
	t.Helper()
	shippedOnce.Do(func() { shipped = synthesize(t, cdkContext(t)) })
	if shipped.Err != nil {
		t.Fatalf("synth of the shipped configuration failed: %v", shipped.Err)
	}
	return &shipped
}

// synthesize builds exactly what app.go builds, with asset bundling skipped (the asset
// hashes are computed from sources either way).
func synthesize(t testing.TB, ctx map[string]interface{}) synthesized {
	return synthesizeWith(t, ctx, stacks.Options{})
}

// synthesizeWith is synthesize with the app's options (another route table).
func synthesizeWith(t testing.TB, ctx map[string]interface{}, opts stacks.Options) (s synthesized) {
	app, err := cdkapp.Build(cdkapp.Options{Root: repoRoot(t), Context: ctx, SkipBundling: true, Routes: opts.Routes})
	if err != nil {
		return synthesized{Err: err}
	}
	dir, err := app.Synth()
	if err != nil {
		return synthesized{Err: err}
	}
	s = synthesized{Config: app.Config, App: app.App, Stages: app.Stages, Templates: map[string]assertions.Template{},
		Stacks: map[string]awscdk.Stack{}, Assembly: dir}
	defer func() {
		if r := recover(); r != nil {
			s = synthesized{Err: fmt.Errorf("panic reading the templates: %v", r)}
		}
	}()
	if app.Pipeline != nil {
		s.Pipeline = assertions.Template_FromStack(app.Pipeline.Stack, nil)
	}
	for _, st := range app.Stages {
		for _, stack := range st.Stacks() {
			path := *stack.Node().Path()
			s.Stacks[path] = stack
			s.Templates[path] = assertions.Template_FromStack(stack, nil)
		}
	}
	return s
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
	for _, st := range s.Stages {
		env := mustEnv(t, s.Config, *st.StageName())
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
