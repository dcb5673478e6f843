// Command prcheck is the pull-request check (internal/prcheck) that the pipeline stack's
// CodeBuild project runs on a pull request's source commit: `run` runs `make synth`,
// `make test`, the compatibility gate and the infrastructure diff of the first environment
// (a lighter tier for docs-only or web/-only changes); `report` puts the result on the pull
// request. It imports no CDK code.
//
//	prcheck run --source codecommit --stage dev --qualifier hnb659fds --out /tmp/prcheck
//	prcheck report --source codecommit --out /tmp/prcheck
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/example/notesplatform/internal/prcheck"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(prcheck.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, prcheck.Getenv))
}
