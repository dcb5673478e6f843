package stacks

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/stacks/config"
	"github.com/example/notesplatform/stacks/deploypolicy"
)

// StageTemplates returns the CloudFormation templates of a stage's stacks, by stack name,
// from its cloud assembly (synthesized once and cached by the stage).
func StageTemplates(stage *Stage) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, st := range *stage.Synth(nil).Stacks() {
		tpl, _ := st.Template().(map[string]any)
		out[*st.StackName()] = tpl
	}
	return out
}

// DeployPolicy is the CloudFormation execution policy bundle of one environment (execution
// policies and the execution role's boundary), derived from the resource types its
// synthesized stacks contain.
func DeployPolicy(cfg *config.Config, stage *Stage) (*deploypolicy.Bundle, error) {
	e, ok := cfg.Environment(*stage.StageName())
	if !ok {
		return nil, fmt.Errorf("deploy-policy: stage %q is not a configured environment", *stage.StageName())
	}
	var templates []map[string]any
	for _, t := range StageTemplates(stage) {
		templates = append(templates, t)
	}
	return deploypolicy.New(deploypolicy.Options{
		App: cfg.AppName, Env: e.Name, Account: e.Account, Region: e.Region,
		BoundaryName:  BoundaryName(cfg.AppName, e.Name),
		ResourceTypes: deploypolicy.ResourceTypes(templates...),
	})
}

// DeployPolicyCommand is `go run . deploy-policy --env <name>`: it synthesizes the app from
// cdk.json (asset bundling skipped, nothing written but a temporary assembly) and prints the
// environment's policy bundle as JSON: {"executionPolicies": [{"name", "document"}...],
// "boundary": {"name", "document"}}. With --names it prints the policy names, one a line;
// with --name it prints that one policy document, ready for `aws iam create-policy`.
// It returns the process exit code.
func DeployPolicyCommand(args []string, moduleRoot string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("deploy-policy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	envName := fs.String("env", "", "environment name in cdk.json (config.environments[].name)")
	names := fs.Bool("names", false, "print the names of the policies to create, one a line")
	name := fs.String("name", "", "print only the policy document of this name")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "deploy-policy:", err)
		return 1
	}
	ctx, err := CDKJSONContext(moduleRoot)
	if err != nil {
		return fail(err)
	}
	cfg, err := config.Load(ctx)
	if err != nil {
		return fail(err)
	}
	if _, ok := cfg.Environment(*envName); !ok {
		var names []string
		for _, e := range cfg.Environments {
			names = append(names, e.Name)
		}
		return fail(fmt.Errorf("--env %q: allowed is one of %v", *envName, names))
	}
	outdir, err := os.MkdirTemp("", "deploy-policy-*")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(outdir)
	ctx["aws:cdk:bundling-stacks"] = []any{} // only resource types matter: skip bundling
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(outdir)})
	built := NewApp(app, cfg, moduleRoot)
	for _, stage := range built.Stages {
		if *stage.StageName() != *envName {
			continue
		}
		bundle, err := DeployPolicy(cfg, stage)
		if err != nil {
			return fail(err)
		}
		var out any = bundle
		switch {
		case *names:
			for _, p := range bundle.Documents() {
				fmt.Fprintln(stdout, p.Name)
			}
			return 0
		case *name != "":
			doc, ok := bundle.Find(*name)
			if !ok {
				return fail(fmt.Errorf("--name %q: allowed is a name that --names prints", *name))
			}
			out = doc
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fail(err)
		}
		return 0
	}
	return fail(fmt.Errorf("no stage %q was built", *envName))
}

// CDKJSONContext reads the "context" object of cdk.json (feature flags and the config), as
// the CDK CLI would pass it to the app.
func CDKJSONContext(moduleRoot string) (map[string]any, error) {
	b, err := os.ReadFile(filepath.Join(moduleRoot, "cdk.json"))
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
