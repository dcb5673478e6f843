// Command quotas prints every value of a synthesized cloud assembly that AWS limits at
// deploy time (internal/quotas), against its limit and any quota cdk.json declares as
// raised, and fails when one is at 80% or more. It reads cdk.out and imports no CDK code.
//
//	go run ./cmd/quotas [cloud assembly directory, default cdk.out]
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/quotas"
	"github.com/example/notesplatform/internal/repo"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "quotas:", err)
		return 1
	}
	dir := "cdk.out"
	if len(args) > 0 {
		dir = args[0]
	}
	root, err := repo.Root()
	if err != nil {
		return fail(err)
	}
	ctx, err := repo.CDKContext(root)
	if err != nil {
		return fail(err)
	}
	cfg, err := config.Load(ctx)
	if err != nil {
		return fail(err)
	}
	ms, err := quotas.Check(dir, quotas.RaisedBy(cfg)...)
	if err != nil {
		return fail(err)
	}
	fmt.Fprint(stdout, quotas.Table(ms))
	if b := quotas.Breaches(ms); len(b) > 0 {
		fmt.Fprintf(stderr, "%d values at %.0f%% or more of their limit\n", len(b), 100*quotas.Threshold)
		return 1
	}
	return 0
}
