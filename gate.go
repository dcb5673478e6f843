package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/quotas"
	"github.com/example/notesplatform/internal/synthprof"
)

// gate fails synthesis on what the CDK CLI lets through: any error or warning annotation
// in the cloud assembly (the CLI does not stop on warnings, nor on errors inside stages),
// and any value at 80% or more of a limit that AWS enforces only at deploy time. It
// prints one line per problem.
func gate(assemblyDir string, cfg *config.Config, stderr io.Writer) error {
	asm, err := cfn.Read(assemblyDir)
	if err != nil {
		return err
	}
	findings := asm.Findings()
	synthprof.Mark("gate: findings")
	for _, f := range findings {
		fmt.Fprintln(stderr, f)
	}
	measures, err := quotas.Check(assemblyDir, quotas.RaisedBy(cfg)...)
	if err != nil {
		return err
	}
	breaches := quotas.Breaches(measures)
	synthprof.Mark("gate: deploy-time limits")
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
