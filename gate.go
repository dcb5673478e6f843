package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/example/notesplatform/constructs/nag"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/quotas"
	"github.com/example/notesplatform/internal/repo"
)

// gate fails synthesis on what the CDK CLI lets through: any error or warning annotation
// in the cloud assembly (the CLI does not stop on warnings, nor on errors inside stages),
// and any value at 80% or more of a limit that AWS enforces only at deploy time. It
// prints one line per problem.
func gate(assemblyDir string, cfg *config.Config, stderr io.Writer) error {
	findings, err := nag.Findings(assemblyDir)
	if err != nil {
		return err
	}
	for _, f := range findings {
		fmt.Fprintln(stderr, f)
	}
	measures, err := quotas.Check(assemblyDir, raisedQuotas(cfg)...)
	if err != nil {
		return err
	}
	breaches := quotas.Breaches(measures)
	for _, b := range breaches {
		fmt.Fprintln(stderr, "quota", b)
	}
	var errs []error
	if len(findings) > 0 {
		errs = append(errs, fmt.Errorf("synth failed: %d unsuppressed errors or warnings (cdk-nag and CDK); fix them or suppress each with a reason (constructs/nag)", len(findings)))
	}
	if len(breaches) > 0 {
		errs = append(errs, fmt.Errorf("synth failed: %d values at %.0f%% or more of a limit AWS enforces at deploy time (`make quotas` prints them all)", len(breaches), 100*quotas.Threshold))
	}
	return errors.Join(errs...)
}

// raisedQuotas are the quotas an environment declares as raised in its account.
func raisedQuotas(cfg *config.Config) []quotas.Raise {
	var out []quotas.Raise
	for _, e := range cfg.Environments {
		if float64(e.APIResourcesQuota) != quotas.APIResources.Max {
			out = append(out, quotas.Raise{StackPrefix: e.Name + "/", Limit: quotas.APIResources, Max: float64(e.APIResourcesQuota)})
		}
	}
	return out
}

// printQuotas is `go run . quotas [cloud assembly]`: every measured value of the
// assembly (default cdk.out) against its limit, as a table.
func printQuotas(args []string, root string, stdout, stderr io.Writer) int {
	dir := "cdk.out"
	if len(args) > 0 {
		dir = args[0]
	}
	ctx, err := repo.CDKContext(root)
	if err != nil {
		fmt.Fprintln(stderr, "quotas:", err)
		return 1
	}
	cfg, err := config.Load(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "quotas:", err)
		return 1
	}
	ms, err := quotas.Check(dir, raisedQuotas(cfg)...)
	if err != nil {
		fmt.Fprintln(stderr, "quotas:", err)
		return 1
	}
	fmt.Fprint(stdout, quotas.Table(ms))
	if b := quotas.Breaches(ms); len(b) > 0 {
		fmt.Fprintf(stderr, "%d values at %.0f%% or more of their limit\n", len(b), 100*quotas.Threshold)
		return 1
	}
	return 0
}
