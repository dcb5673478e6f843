// Command compatgate is the old-version compatibility gate (internal/compat): before a
// stage deploys, it compares each function's deployed template with the new one and fails
// when the new one takes a permission or variable away from the running version. It
// imports no CDK code, so the pipeline step that runs it compiles in seconds.
//
//	go run ./cmd/compatgate --assembly cdk.out --stage dev [--accept <id>]... [--deployed <dir>]
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/example/notesplatform/internal/compat"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(compat.Main(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
