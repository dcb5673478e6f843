// Command driftcheck runs CloudFormation drift detection on deployed stacks and reports,
// per resource, what was changed or deleted outside CloudFormation (internal/driftcheck).
// Each pipeline stage runs it after its smoke test; it imports no CDK code, so it
// compiles in seconds.
//
//	go run ./cmd/driftcheck --region eu-west-1 --stack notes-dev-base [--role <lookup role ARN>] [--fail-on-drift]
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/example/notesplatform/internal/driftcheck"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(driftcheck.Main(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
