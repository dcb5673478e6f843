// Package prcheck is the pull-request check that the pipeline stack's CodeBuild project
// runs (cmd/prcheck): on a pull request's source commit, the README's two commands
// (`make synth`, `make test`), the compatibility gate and an infrastructure diff of the
// first environment, read-only through its lookup role; then a report on the pull request:
// a comment and the check's approval on CodeCommit (only for the pull request's latest
// revision), the build log elsewhere (CodeBuild reports the commit status). A pull request
// that changes only docs or only web/ gets a lighter tier, and the report says so.
package prcheck

import (
	"fmt"
	"slices"
	"strings"
)

// Tier is how much of the check a change needs.
type Tier string

// The tiers.
const (
	// Full runs everything.
	Full Tier = "full"
	// Web is for a change under web/ (and docs) only: the single-page app and its
	// Content-Security-Policy are deployed by the Frontend stack, so synth, the gate,
	// the diff, the infrastructure tests and the browser tests run; the Go code of the
	// functions did not change, so their tests do not.
	Web Tier = "web"
	// Docs is for a change of documentation only (docs/, *.md): nothing that is deployed
	// changes, so only the check that the generated diagram in the docs is current runs.
	Docs Tier = "docs"
)

// ChooseTier picks the tier from the paths a pull request changes (relative to the
// repository root, as git prints them); why says so for the report. An unknown list (nil)
// means the full check.
func ChooseTier(changed []string) (tier Tier, why string) {
	if changed == nil {
		return Full, "the changed files could not be listed, so everything runs"
	}
	if len(changed) == 0 {
		return Full, "the pull request changes no file"
	}
	docs, web := 0, 0
	for _, p := range changed {
		switch {
		case isDoc(p):
			docs++
		case strings.HasPrefix(p, "web/"):
			web++
		default:
			return Full, fmt.Sprintf("%s changes more than docs and web/ (for example %s)", plural(len(changed), "file"), p)
		}
	}
	if web == 0 {
		return Docs, fmt.Sprintf("only documentation changes (%s): nothing that is deployed changes, so only the docs' generated diagram is checked; synth, tests, the gate and the diff do not run", plural(docs, "file"))
	}
	return Web, fmt.Sprintf("only web/ (and docs) change (%s): synth, the compatibility gate, the infrastructure diff, the infrastructure tests and the browser tests run; the Go tests of the functions and libraries do not (no Go code changed)", plural(web+docs, "file"))
}

func isDoc(p string) bool {
	return strings.HasPrefix(p, "docs/") || strings.HasSuffix(strings.ToLower(p), ".md")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// StepKind says how a step runs.
type StepKind string

// The step kinds.
const (
	// Command runs a shell command in the repository root.
	Command StepKind = "command"
	// InfraDiff compares the stage's new templates with the deployed ones, in process.
	InfraDiff StepKind = "diff"
)

// Step is one thing the check does.
type Step struct {
	Name    string
	Kind    StepKind
	Command string
	// NeedsAssembly steps read cdk.out: they do not run when synth failed.
	NeedsAssembly bool
}

// Synth and Test are the README's two commands.
const (
	Synth = "make synth"
	Test  = "make test"
)

// Plan is what a tier runs, in order, for the first environment (stage) with the
// contractions its config accepts.
func Plan(tier Tier, stage, qualifier string, accept []string) []Step {
	gate := []string{"go", "run", "./cmd/compatgate", "--assembly", "cdk.out", "--stage", quote(stage), "--qualifier", quote(qualifier)}
	for _, a := range accept {
		gate = append(gate, "--accept", quote(a))
	}
	synth := Step{Name: "synth", Kind: Command, Command: Synth}
	infra := []Step{
		{Name: "compatibility gate (" + stage + ")", Kind: Command, Command: strings.Join(gate, " "), NeedsAssembly: true},
		{Name: "infrastructure diff (" + stage + ")", Kind: InfraDiff, NeedsAssembly: true},
	}
	switch tier {
	case Docs:
		return []Step{{Name: "docs: generated diagram is current", Kind: Command, Command: "go run ./cmd/diagram --check"}}
	case Web:
		return slices.Concat([]Step{synth}, infra, []Step{
			{Name: "infrastructure tests", Kind: Command, Command: "go test -count=1 ./test", NeedsAssembly: true},
			{Name: "browser tests", Kind: Command, Command: "make e2e", NeedsAssembly: true},
		})
	}
	// `make test` synthesizes again (synth is its prerequisite); running synth first
	// gives the gate and the diff their assembly early, and a failure its own line.
	return slices.Concat([]Step{synth}, infra, []Step{{Name: "tests", Kind: Command, Command: Test, NeedsAssembly: true}})
}

// quote quotes one argument for bash.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
