package prcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/example/notesplatform/internal/compat"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/internal/templatediff"
)

// Status is how a step ended.
type Status string

// The statuses.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "not run"
)

// StepResult is one step's outcome.
type StepResult struct {
	Step
	Status   Status        `json:"status"`
	Duration time.Duration `json:"duration"`
	// Note says why a step did not run, or what it found.
	Note string `json:"note,omitempty"`
	// Tail is the end of a failed command's output.
	Tail string `json:"tail,omitempty"`
}

// Source is the commit under check and what it is compared with.
type Source struct {
	// Kind is "codecommit" or "connection".
	Kind string `json:"kind"`
	// PullRequest is its id (CodeCommit) or CodeBuild's "pr/<number>" (connection).
	PullRequest string `json:"pullRequest,omitempty"`
	// Revision is CodeCommit's revision id: approvals belong to it.
	Revision string `json:"revision,omitempty"`
	// Commit is the source commit under check; Base the destination commit or ref.
	Commit string `json:"commit,omitempty"`
	Base   string `json:"base,omitempty"`
}

// Result is what one check found; cmd/prcheck writes it to result.json for the report.
type Result struct {
	Source Source `json:"source"`
	Stage  string `json:"stage"`
	Tier   Tier   `json:"tier"`
	// TierReason says why the tier (for the report).
	TierReason string       `json:"tierReason"`
	Steps      []StepResult `json:"steps"`
	// Diff is the infrastructure diff of the stage's stacks (Markdown), when it ran.
	Diff    string `json:"diff,omitempty"`
	Summary string `json:"summary,omitempty"`
	// Superseded is set when the pull request had a newer revision (or was closed) when
	// the check started: it ran nothing and reports nothing.
	Superseded string        `json:"superseded,omitempty"`
	BuildURL   string        `json:"buildUrl,omitempty"`
	Duration   time.Duration `json:"duration"`
}

// Passed reports whether every step that ran passed.
func (r *Result) Passed() bool {
	for _, s := range r.Steps {
		if s.Status == Failed {
			return false
		}
	}
	return true
}

// Options configure Run. Zero fields get the real thing.
type Options struct {
	// Root is the repository checkout. Default: repo.Root().
	Root string
	// Out is where result.json, report.md and junit.xml go. Required.
	Out string
	// Source kind ("codecommit" or "connection"), first environment and its bootstrap
	// qualifier. Required.
	Kind, Stage, Qualifier string
	// Getenv reads the build's variables. Default: os.Getenv.
	Getenv func(string) string
	// Log receives the commands' output (the build log). Default: os.Stdout.
	Log io.Writer
	// Exec runs a shell command in dir. Default: bash -c.
	Exec func(ctx context.Context, dir, command string, out io.Writer) error
	// Deployed reads a deployed template. Default: compat.DeployedTemplate (lookup role).
	Deployed func(ctx context.Context, s compat.StackTemplate) ([]byte, bool, error)
	// PullRequests asks CodeCommit whether the revision is still the latest (kind
	// codecommit). Nil skips the question.
	PullRequests PullRequests
	// Changed lists the changed paths. Default: git diff against the base.
	Changed func(ctx context.Context, root string, src Source) []string
}

// Files the check writes into Options.Out.
const (
	ResultFile = "result.json"
	ReportFile = "report.md"
	JUnitFile  = "junit.xml"
)

// tailLines is how much of a failed command's output the report quotes.
const tailLines = 40

// Run runs the check and writes its result, report and JUnit file.
func Run(ctx context.Context, o Options) (*Result, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	start := time.Now()
	res := &Result{Source: sourceOf(o.Kind, o.Getenv), Stage: o.Stage, BuildURL: o.Getenv("CODEBUILD_BUILD_URL")}
	if o.Kind == string(config.CodeCommit) && o.PullRequests != nil {
		if why, err := superseded(ctx, o.PullRequests, res.Source); err != nil {
			fmt.Fprintf(o.Log, "prcheck: could not ask CodeCommit whether revision %s is the latest (%v): checking it anyway\n", res.Source.Revision, err)
		} else if why != "" {
			res.Superseded = why
			fmt.Fprintln(o.Log, "prcheck: "+why+": nothing to check")
			return res, write(o.Out, res)
		}
	}
	res.Tier, res.TierReason = ChooseTier(o.Changed(ctx, o.Root, res.Source))
	fmt.Fprintf(o.Log, "prcheck: tier %s: %s\n", res.Tier, res.TierReason)
	var accept []string
	if ctxMap, err := repo.CDKContext(o.Root); err == nil {
		if cfg, err := config.Load(ctxMap); err == nil {
			if e, ok := cfg.Environment(o.Stage); ok {
				accept = e.AcceptContractions
			}
		}
	}
	synthFailed := false
	for _, step := range Plan(res.Tier, o.Stage, o.Qualifier, accept) {
		r := StepResult{Step: step}
		if step.NeedsAssembly && synthFailed {
			r.Status, r.Note = Skipped, "synth failed: there is no cloud assembly"
			res.Steps = append(res.Steps, r)
			continue
		}
		fmt.Fprintf(o.Log, "\n==== prcheck: %s\n", step.Name)
		t0 := time.Now()
		switch step.Kind {
		case InfraDiff:
			r.Status, r.Note, res.Diff = o.diff(ctx)
		default:
			tail := &tailBuffer{max: 64 << 10}
			err := o.Exec(ctx, o.Root, step.Command, io.MultiWriter(o.Log, tail))
			r.Status = Passed
			if err != nil {
				r.Status, r.Tail = Failed, lastLines(tail.String(), tailLines)
				r.Note = err.Error()
			}
		}
		r.Duration = time.Since(t0).Round(time.Second)
		if step.Command == Synth && r.Status == Failed {
			synthFailed = true
		}
		fmt.Fprintf(o.Log, "==== prcheck: %s: %s in %s\n", step.Name, r.Status, r.Duration)
		res.Steps = append(res.Steps, r)
	}
	res.Duration = time.Since(start).Round(time.Second)
	return res, write(o.Out, res)
}

func (o *Options) defaults() error {
	if o.Out == "" || o.Stage == "" || o.Qualifier == "" {
		return errors.New("prcheck: --out, --stage and --qualifier are required")
	}
	if o.Kind != string(config.CodeCommit) && o.Kind != string(config.Connection) {
		return fmt.Errorf("prcheck: --source %q: allowed are codecommit and connection (config pipeline.source.kind)", o.Kind)
	}
	if o.Root == "" {
		root, err := repo.Root()
		if err != nil {
			return err
		}
		o.Root = root
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Log == nil {
		o.Log = os.Stdout
	}
	if o.Exec == nil {
		o.Exec = bash
	}
	if o.Deployed == nil {
		o.Deployed = func(ctx context.Context, s compat.StackTemplate) ([]byte, bool, error) {
			return compat.DeployedTemplate(ctx, "", s)
		}
	}
	if o.Changed == nil {
		o.Changed = gitChanged
	}
	return os.MkdirAll(o.Out, 0o755)
}

// sourceOf reads the pull request from the build's variables: the ones the CodeCommit
// rule sets, or CodeBuild's webhook variables.
func sourceOf(kind string, getenv func(string) string) Source {
	if kind == string(config.CodeCommit) {
		return Source{Kind: kind, PullRequest: getenv("PULL_REQUEST_ID"), Revision: getenv("REVISION_ID"),
			Commit: getenv("SOURCE_COMMIT"), Base: getenv("DESTINATION_COMMIT")}
	}
	return Source{Kind: kind, PullRequest: getenv("CODEBUILD_WEBHOOK_TRIGGER"),
		Commit: getenv("CODEBUILD_RESOLVED_SOURCE_VERSION"), Base: getenv("CODEBUILD_WEBHOOK_BASE_REF")}
}

// gitChanged lists the paths the pull request changes against the merge base with its
// destination (both names of a rename), or nil when git cannot tell.
func gitChanged(ctx context.Context, root string, src Source) []string {
	bases := []string{src.Base}
	if branch, ok := strings.CutPrefix(src.Base, "refs/heads/"); ok {
		bases = []string{"origin/" + branch, branch}
	}
	for _, base := range bases {
		if base == "" {
			continue
		}
		out, err := exec.CommandContext(ctx, "git", "-C", root, "diff", "--name-only", "--no-renames", base+"...HEAD").Output()
		if err == nil {
			return strings.Fields(string(out))
		}
	}
	return nil
}

func bash(ctx context.Context, dir, command string, out io.Writer) error {
	cmd := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", command)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, out, out
	return cmd.Run()
}

// diff compares each stack of the stage with what is deployed.
func (o *Options) diff(ctx context.Context) (Status, string, string) {
	stacks, err := compat.ReadStageTemplates(filepath.Join(o.Root, "cdk.out"), o.Stage, o.Qualifier)
	if err != nil {
		return Failed, err.Error(), ""
	}
	var md strings.Builder
	var counts []string
	for _, s := range stacks {
		body, found, err := o.Deployed(ctx, s)
		if err != nil {
			return Failed, fmt.Sprintf("%s: reading the deployed template as %s: %v", s.Name, s.LookupRoleArn, err), md.String()
		}
		if !found {
			body = nil
		}
		d, err := templatediff.Diff(s.Name, body, s.Template)
		if err != nil {
			return Failed, err.Error(), md.String()
		}
		md.WriteString(d.Markdown())
		counts = append(counts, s.Name+": "+d.Counts())
		fmt.Fprintf(o.Log, "%s: %s\n", s.Name, d.Counts())
	}
	return Passed, strings.Join(counts, "; "), md.String()
}

// tailBuffer keeps the last max bytes written to it (a command's output can be long; the
// report quotes its end, where the failure is). It is safe for the concurrent writes of a
// process's stdout and stderr.
type tailBuffer struct {
	max int
	mu  sync.Mutex
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append([]byte(nil), t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// write saves the result, the report and the JUnit file.
func write(dir string, r *Result) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	j, err := JUnit(r)
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{ResultFile: b, ReportFile: []byte(Comment(r)), JUnitFile: j} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ReadResult reads the result that Run wrote.
func ReadResult(dir string) (*Result, error) {
	b, err := os.ReadFile(filepath.Join(dir, ResultFile))
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(bytes.TrimSpace(b), &r); err != nil {
		return nil, fmt.Errorf("%s: %w", ResultFile, err)
	}
	return &r, nil
}
