// Command policycheck is the pre-deploy policy check (internal/policycheck): before a
// stage's first change set, it asks the IAM policy evaluator whether the target account's
// CloudFormation execution policies (read through the account's lookup role) allow what
// the stage's new templates need, and fails, printing the missing actions and the commands
// that update the policies, when they do not. It imports no CDK code, so the pipeline step
// that runs it compiles in seconds.
//
//	go run ./cmd/policycheck --assembly cdk.out --app notes --stage prod [--trust <account>] [--deployed <file>]
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/example/notesplatform/internal/policycheck"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(policycheck.Main(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
