// Command app is the CDK app: it loads and validates the configuration from cdk.json
// context, builds one stage per environment and the pipeline, and synthesizes.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/lambdas/build"
	"github.com/example/notesplatform/stacks"
	"github.com/example/notesplatform/stacks/config"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "deploy-policy" {
		os.Exit(deployPolicy(os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "compat-gate" {
		os.Exit(compatGate(context.Background(), os.Args[2:], os.Stdout, os.Stderr, newDeployedReader))
	}
	if len(os.Args) > 1 && os.Args[1] == "diagram" {
		os.Exit(diagramCommand(os.Args[2:], os.Stdout, os.Stderr))
	}
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	ctx, _ := app.Node().GetAllContext(nil).(map[string]interface{})
	cfg, err := config.Load(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "invalid configuration (cdk.json context, -c overrides):\n%v\n", err)
		os.Exit(1)
	}
	root, err := build.ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	built := stacks.NewApp(app, cfg, root)
	assembly := app.Synth(nil)
	findings, err := stacks.Findings(*assembly.Directory())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, f := range findings {
		fmt.Fprintln(os.Stderr, f)
	}
	if len(findings) > 0 {
		fmt.Fprintf(os.Stderr, "synth failed: %d unsuppressed errors or warnings (cdk-nag and CDK); fix them or suppress each with a reason (constructs/nag)\n", len(findings))
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "synthesized %d environments x 4 stacks and %s: no unsuppressed cdk-nag finding or CDK warning\n",
		len(built.Stages), *built.Pipeline.StackName())
}

// deployPolicy is `go run . deploy-policy --env <name>`: the CloudFormation execution
// policy of that environment, for `cdk bootstrap --cloudformation-execution-policies`.
func deployPolicy(args []string) int {
	defer jsii.Close()
	root, err := build.ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return stacks.DeployPolicyCommand(args, root, os.Stdout, os.Stderr)
}
