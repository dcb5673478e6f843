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

	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/stacks"
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

// synth is what `cdk synth` (and `cdk deploy`) runs: the app of the CLI's context.
func synth(root string, stderr io.Writer) int {
	return synthApp(awscdk.NewApp(nil), root, os.Getenv, stderr)
}

// unbundled builds the app of cdk.json, asset bundling skipped, into a new temporary
// directory (pattern names it): for the commands that read the app's constructs or
// templates, which do not depend on the bundles. cleanup removes the directory.
func unbundled(root, pattern string) (app awscdk.App, cfg *config.Config, built *stacks.App, cleanup func(), err error) {
	ctx, err := repo.CDKContext(root)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if cfg, err = config.Load(ctx); err != nil {
		return nil, nil, nil, nil, err
	}
	outdir, err := os.MkdirTemp("", pattern)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	ctx["aws:cdk:bundling-stacks"] = []any{}
	app = awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: jsii.String(outdir)})
	return app, cfg, stacks.NewApp(app, cfg, root), func() { os.RemoveAll(outdir) }, nil
}

// synthApp builds what the context asks for into app: the configured environments and the
// pipeline, or (with -c sandbox=<name>) one personal sandbox and nothing else. It then
// synthesizes the cloud assembly and gates it, and returns the exit code. getenv reads the
// account and region that the CDK CLI resolved from the caller's credentials.
func synthApp(app awscdk.App, root string, getenv func(string) string, stderr io.Writer) int {
	ctx, _ := app.Node().GetAllContext(nil).(map[string]any)
	cfg, err := config.Load(ctx)
	var sandbox *config.Environment
	if err == nil {
		sandbox, err = cfg.Sandbox(ctx, getenv("CDK_DEFAULT_ACCOUNT"), getenv("CDK_DEFAULT_REGION"))
	}
	if err != nil {
		fmt.Fprintf(stderr, "invalid configuration (cdk.json context, -c overrides):\n%v\n", err)
		return 1
	}
	var built *stacks.App
	if sandbox != nil {
		built = stacks.NewSandbox(app, cfg, *sandbox, root)
	} else {
		built = stacks.NewApp(app, cfg, root)
	}
	assembly := app.Synth(nil)
	if err := gate(*assembly.Directory(), cfg, stderr); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	what := fmt.Sprintf("sandbox %s (account %s, %s): 4 stacks, no pipeline", built.Stages[0].Env.Name, built.Stages[0].Env.Account, built.Stages[0].Env.Region)
	if built.Pipeline != nil {
		what = fmt.Sprintf("%d environments x 4 stacks and %s", len(built.Stages), *built.Pipeline.StackName())
	}
	fmt.Fprintf(stderr, "synthesized %s: no unsuppressed cdk-nag finding or CDK warning, every deploy-time limit under 80%%\n", what)
	return 0
}
