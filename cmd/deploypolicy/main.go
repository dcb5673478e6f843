// Command deploypolicy prints an account's CloudFormation execution policy
// (internal/deploypolicy), for `cdk bootstrap --cloudformation-execution-policies`: it
// builds the app of cdk.json (asset bundling skipped, nothing written but a temporary
// assembly) and derives the policy from the resource types of the templates that the
// account's execution role deploys: an environment's four stacks, or, with --env pipeline,
// the pipeline stack and its cross-region support stacks.
//
//	go run ./cmd/deploypolicy --env prod [--names | --name <policy name>]
//	go run ./cmd/deploypolicy --env pipeline [--names | --name <policy name>]
//
// Without flags it prints the bundle as JSON: {"executionPolicies": [{"name", "document"}...],
// "boundary": {"name", "document"}}, and for the pipeline also "roleBoundary", the boundary
// every pipeline role carries. --names prints the policy names, one a line; --name prints
// that one policy document, ready for `aws iam create-policy`.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/internal/cdkapp"
	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/internal/deploypolicy"
)

func main() {
	code := run(os.Args[1:], os.Stdout, os.Stderr)
	jsii.Close()
	os.Exit(code)
}

// run is the command; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("deploy-policy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	envName := fs.String("env", "", "environment name in cdk.json (config.environments[].name), or "+deploypolicy.PipelineEnv+" for the pipeline account")
	names := fs.Bool("names", false, "print the names of the policies to create, one a line")
	name := fs.String("name", "", "print only the policy document of this name")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "deploy-policy:", err)
		return 1
	}
	app, err := cdkapp.Build(cdkapp.Options{SkipBundling: true}) // only resource types matter
	if err != nil {
		return fail(err)
	}
	defer app.Cleanup()
	cfg := app.Config
	if _, ok := cfg.Environment(*envName); !ok && *envName != deploypolicy.PipelineEnv {
		known := []string{deploypolicy.PipelineEnv}
		for _, e := range cfg.Environments {
			known = append(known, e.Name)
		}
		return fail(fmt.Errorf("--env %q: allowed is one of %v", *envName, known))
	}
	bundle, err := build(app, *envName)
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

// build derives the bundle of one account: the pipeline's from the pipeline stack and its
// support stacks (every top-level stack of the app that is not in a stage), an
// environment's from its stage.
func build(app *cdkapp.App, envName string) (*deploypolicy.Bundle, error) {
	cfg := app.Config
	if envName == deploypolicy.PipelineEnv {
		if app.Pipeline == nil {
			return nil, errors.New("--env pipeline: the app has no pipeline (a sandbox)")
		}
		dir, err := app.Synth()
		if err != nil {
			return nil, err
		}
		asm, err := cfn.Read(dir)
		if err != nil {
			return nil, err
		}
		templates := map[string]map[string]any{}
		for _, s := range asm.Stacks {
			if s.Stage == "" && s.Parent == nil {
				if templates[s.Name], err = s.JSON(); err != nil {
					return nil, err
				}
			}
		}
		return deploypolicy.ForPipeline(cfg, templates)
	}
	for _, stage := range app.Stages {
		if stage.Env.Name == envName {
			return deploypolicy.ForEnvironment(cfg.AppName, stage.Env, slices.Collect(maps.Values(stage.Templates()))...)
		}
	}
	return nil, fmt.Errorf("no stage %q was built", envName)
}
