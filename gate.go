package main

import (
	"fmt"
	"io"

	"github.com/example/notesplatform/constructs/nag"
)

// gate fails synthesis on what the CDK CLI lets through: any error or warning annotation
// in the cloud assembly (the CLI does not stop on warnings, nor on errors inside stages).
// It prints one line per finding.
func gate(assemblyDir string, stderr io.Writer) error {
	findings, err := nag.Findings(assemblyDir)
	if err != nil {
		return err
	}
	for _, f := range findings {
		fmt.Fprintln(stderr, f)
	}
	if len(findings) > 0 {
		return fmt.Errorf("synth failed: %d unsuppressed errors or warnings (cdk-nag and CDK); fix them or suppress each with a reason (constructs/nag)", len(findings))
	}
	return nil
}
