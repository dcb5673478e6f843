package artifact_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/example/notesplatform/internal/artifact"
	"github.com/example/notesplatform/internal/cfn"
)

// TestPreTrafficCheck runs the PreTrafficCheck bundle of cdk.out as CodeDeploy runs it
// during a stack update: for each API function, a deployment that moves its live alias
// to the template's version, with the AppSpec CloudFormation writes; the check reads it
// from the CodeDeploy stand-in, invokes the version through the Lambda stand-in (which
// runs the function's real artifact) and reports its verdict. Then a deployment that
// brings a broken version (a bootstrap that panics at init) must be reported Failed.
func TestPreTrafficCheck(t *testing.T) {
	driver(t)
	h := stage(t)
	if len(h.Operational) == 0 {
		t.Fatal("the dev stage has no PreTrafficCheck function: its alias updates would run without a pre-traffic hook")
	}
	for _, f := range h.Functions {
		t.Run(f.Name, func(t *testing.T) {
			d := checkDeployment(t, h, f, cfn.LambdaVersion)
			if d.Status != "Succeeded" || d.Reports != 1 {
				t.Errorf("the check reported %q (%d reports) for the real %s artifact, want Succeeded once; its log:\n%s",
					d.Status, d.Reports, f.Name, h.Instances["PreTrafficCheck"].FunctionOutput())
			}
			name, _ := h.Resolver.Ref(f.Stack, f.LogicalID)
			want := h.Lambda.ARN(name, cfn.LambdaVersion)
			invoked := 0
			for _, c := range h.Recorder.CallsBy("PreTrafficCheck") {
				if c.Action == "lambda:InvokeFunction" && slices.Contains(c.Resources, want) {
					invoked++
				}
			}
			if invoked == 0 {
				t.Errorf("the check never invoked %s (the version the deployment brings)", want)
			}
		})
	}
	t.Run("broken version fails", func(t *testing.T) { brokenVersionFails(t, h) })
}

// checkDeployment runs the hook for a deployment of f to version target.
func checkDeployment(t *testing.T, h *artifact.Harness, f *artifact.Function, target string) artifact.Deployment {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := h.CheckDeployment(ctx, f, target)
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return d
}

// brokenVersionFails publishes, as Health's next version, the panic-at-init bundle of the
// negative tests, and deploys it: the check must report Failed (CodeDeploy then rolls
// back before the version gets traffic).
func brokenVersionFails(t *testing.T, h *artifact.Harness) {
	var health *artifact.Function
	for _, f := range h.Functions {
		if f.Name == "Health" {
			c := *f
			health = &c
		}
	}
	if health == nil {
		t.Fatal("no Health function")
	}
	health.AssetDir = filepath.Join(t.TempDir(), "asset.broken")
	buildBootstrap(t, "test/artifact/testdata/panicinit", health.AssetDir, artifact.GoArch(health.Architecture))
	in, err := h.StartInstance(health)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Stop()
	name, _ := h.Resolver.Ref(health.Stack, health.LogicalID)
	version, err := h.Lambda.Publish(name, in)
	if err != nil {
		t.Fatal(err)
	}
	d := checkDeployment(t, h, health, version)
	log := h.Instances["PreTrafficCheck"].FunctionOutput()
	if d.Status != "Failed" || d.Reports != 1 {
		t.Fatalf("the check reported %q (%d reports) for a version that panics at init, want Failed once; its log:\n%s", d.Status, d.Reports, log)
	}
	for _, w := range []string{"pre-traffic check failed", "Health version " + version, "Runtime.ExitError"} {
		if !strings.Contains(log, w) {
			t.Errorf("the check's log does not say %q:\n%s", w, log)
		}
	}
}
