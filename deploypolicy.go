package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/example/notesplatform/internal/deploypolicy"
	"github.com/example/notesplatform/stacks"
)

// deployPolicy is `go run . deploy-policy --env <name>`: it synthesizes the app from
// cdk.json (asset bundling skipped, nothing written but a temporary assembly) and prints
// the environment's CloudFormation execution policy bundle as JSON, for `cdk bootstrap
// --cloudformation-execution-policies`: {"executionPolicies": [{"name", "document"}...],
// "boundary": {"name", "document"}}. --names prints the policy names, one a line; --name
// prints that one policy document, ready for `aws iam create-policy`. It returns the exit
// code.
func deployPolicy(args []string, root string, stdout, stderr io.Writer) int {
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
	_, cfg, built, cleanup, err := unbundled(root, "deploy-policy-*") // only resource types matter
	if err != nil {
		return fail(err)
	}
	defer cleanup()
	if _, ok := cfg.Environment(*envName); !ok {
		var known []string
		for _, e := range cfg.Environments {
			known = append(known, e.Name)
		}
		return fail(fmt.Errorf("--env %q: allowed is one of %v", *envName, known))
	}
	for _, stage := range built.Stages {
		if stage.Env.Name != *envName {
			continue
		}
		bundle, err := stagePolicy(cfg.AppName, stage)
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

// stagePolicy is the execution policy bundle of one stage, from the resource types its
// synthesized stacks contain.
func stagePolicy(app string, stage *stacks.Stage) (*deploypolicy.Bundle, error) {
	var templates []map[string]any
	for _, t := range stage.Templates() {
		templates = append(templates, t)
	}
	e := stage.Env
	return deploypolicy.New(deploypolicy.Options{
		App: app, Env: e.Name, Account: e.Account, Region: e.Region,
		BoundaryName:  stacks.BoundaryName(app, e.Name),
		ResourceTypes: deploypolicy.ResourceTypes(templates...),
	})
}
