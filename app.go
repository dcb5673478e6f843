// Command app is the CDK app: it loads and validates the configuration from cdk.json
// context, builds one stage per environment and the pipeline, synthesizes, and fails when
// the cloud assembly holds an unsuppressed finding or comes close to a deploy-time limit.
// Its other commands: `go run . deploy-policy` prints an environment's CloudFormation
// execution policy, `go run . quotas` the measured deploy-time limits, `go run .
// compat-gate` compares a stage with what is deployed, and `go run . diagram` rewrites
// the README's architecture diagram.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/lambdas/repo"
	"github.com/example/notesplatform/stacks"
	"github.com/example/notesplatform/stacks/config"
)

func main() { os.Exit(run(os.Args[1:])) }

// run dispatches to a command and returns its exit code, after closing the jsii kernel.
func run(args []string) int {
	defer jsii.Close()
	root, err := repo.Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if len(args) > 0 {
		switch args[0] {
		case "deploy-policy":
			return deployPolicy(args[1:], root, os.Stdout, os.Stderr)
		case "quotas":
			return printQuotas(args[1:], root, os.Stdout, os.Stderr)
		case "compat-gate":
			return compatGate(context.Background(), args[1:], os.Stdout, os.Stderr, newDeployedReader)
		case "diagram":
			return diagramCommand(args[1:], os.Stdout, os.Stderr)
		}
	}
	return synth(root, os.Stderr)
}

// synth is what `cdk synth` runs: the configuration from the CLI's context, the app, the
// cloud assembly, then the gate over it. It returns the exit code.
func synth(root string, stderr io.Writer) int {
	app := awscdk.NewApp(nil)
	ctx, _ := app.Node().GetAllContext(nil).(map[string]any)
	cfg, err := config.Load(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "invalid configuration (cdk.json context, -c overrides):\n%v\n", err)
		return 1
	}
	built := stacks.NewApp(app, cfg, root)
	assembly := app.Synth(nil)
	if err := gate(*assembly.Directory(), cfg, stderr); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stderr, "synthesized %d environments x 4 stacks and %s: no unsuppressed cdk-nag finding or CDK warning, every deploy-time limit under 80%%\n",
		len(built.Stages), *built.Pipeline.StackName())
	return 0
}
