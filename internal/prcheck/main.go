package prcheck

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"

	"github.com/example/notesplatform/internal/config"
)

// Main is cmd/prcheck: `run` runs the check and exits 1 when it fails (which fails the
// build); `report` puts the result on the pull request (CodeCommit) or prints it into the
// build log (a connection: CodeBuild reports the commit status itself). It returns the exit
// code: 0, 1 (failed), 2 (usage or report error).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 || (args[0] != "run" && args[0] != "report") {
		fmt.Fprintln(stderr, "usage: prcheck run --source codecommit|connection --stage <env> --qualifier <q> --out <dir>\n       prcheck report --source codecommit|connection --out <dir>")
		return 2
	}
	fs := flag.NewFlagSet("prcheck "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	kind := fs.String("source", "", "config pipeline.source.kind: codecommit or connection")
	stage := fs.String("stage", "", "the first environment, checked against what is deployed there")
	qualifier := fs.String("qualifier", "hnb659fds", "the bootstrap qualifier of its account")
	out := fs.String("out", "", "directory for result.json, report.md and junit.xml")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	var prs PullRequests
	if *kind == string(config.CodeCommit) {
		cfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "prcheck:", err)
			return 2
		}
		prs = codecommit.NewFromConfig(cfg)
	}
	if args[0] == "run" {
		res, err := Run(ctx, Options{Out: *out, Kind: *kind, Stage: *stage, Qualifier: *qualifier, Getenv: getenv, Log: stdout, PullRequests: prs})
		if err != nil {
			fmt.Fprintln(stderr, "prcheck:", err)
			return 2
		}
		fmt.Fprintln(stdout, "\n"+Comment(res))
		if !res.Passed() {
			return 1
		}
		return 0
	}
	return report(ctx, *kind, *out, prs, stdout, stderr, getenv)
}

// report reads the result and reports it; a missing result (the run crashed or never
// started) is reported as a failure that points at the build log.
func report(ctx context.Context, kind, out string, prs PullRequests, stdout, stderr io.Writer, getenv func(string) string) int {
	if out == "" {
		fmt.Fprintln(stderr, "prcheck report: --out is required")
		return 2
	}
	res, err := ReadResult(out)
	if err != nil {
		fmt.Fprintf(stderr, "prcheck report: no result (%v): reporting a failed check\n", err)
		res = &Result{Source: sourceOf(kind, getenv), BuildURL: getenv("CODEBUILD_BUILD_URL"), Tier: Full,
			Steps: []StepResult{{Step: Step{Name: "check", Kind: Command, Command: "prcheck run"}, Status: Failed, Note: "the check stopped before it wrote a result: see the build log"}}}
	}
	switch kind {
	case string(config.CodeCommit):
		if err := ReportCodeCommit(ctx, prs, getenv("REPOSITORY_NAME"), res, stdout); err != nil {
			fmt.Fprintln(stderr, "prcheck report:", err)
			return 2
		}
	case string(config.Connection):
		fmt.Fprintln(stdout, "CodeBuild reports this build's result as the commit's status; the report:\n\n"+Comment(res))
	default:
		fmt.Fprintf(stderr, "prcheck report: --source %q: allowed are codecommit and connection\n", kind)
		return 2
	}
	return 0
}

// Getenv is os.Getenv, for cmd/prcheck.
var Getenv = os.Getenv
