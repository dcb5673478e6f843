// Command app is the CDK app that `cdk synth` and `cdk deploy` run (cdk.json: "go run
// ."): it loads and validates the configuration from the CDK context, builds one stage per
// environment and the pipeline (or one personal sandbox) through internal/cdkapp,
// synthesizes, and fails when the cloud assembly holds an unsuppressed finding or comes
// close to a deploy-time limit (gate.go). The project's other programs are under cmd/.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/internal/cdkapp"
	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/internal/synthprof"
	"github.com/example/notesplatform/internal/synthstamp"
)

func main() {
	synthprof.Mark("process start (Go init)")
	code := synth(cdkapp.Options{CLI: true}, os.Stderr)
	jsii.Close()
	os.Exit(code)
}

// synth builds what the context asks for (the configured environments and the pipeline,
// or with -c sandbox=<name> one personal sandbox and nothing else), synthesizes the cloud
// assembly, gates it and returns the exit code.
func synth(opts cdkapp.Options, stderr io.Writer) int {
	if opts.Root == "" {
		root, err := repo.Root()
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		opts.Root = root
	}
	inputs, err := synthstamp.Inputs(opts.Root)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	app, err := cdkapp.Build(opts)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer app.Cleanup()
	dir, err := app.Synth()
	if err == nil {
		err = gate(dir, app.Config, stderr)
	}
	if err == nil { // the tests read this assembly only when its stamp matches the sources
		err = app.WriteStamp(dir, inputs)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stderr, "synthesized %s: no unsuppressed cdk-nag finding or CDK warning, every deploy-time limit under 80%%\n", app.Summary())
	return 0
}
