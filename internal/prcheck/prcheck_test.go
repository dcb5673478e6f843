package prcheck

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codecommit/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/compat"
)

func TestChooseTier(t *testing.T) {
	for _, tc := range []struct {
		changed []string
		want    Tier
		why     string
	}{
		{nil, Full, "could not be listed"},
		{[]string{}, Full, "changes no file"},
		{[]string{"docs/pull-requests.md", "README.md", "lambdas/notes/NOTES.md"}, Docs, "only documentation changes (3 files)"},
		{[]string{"web/app.js", "docs/x.md"}, Web, "only web/ (and docs) change (2 files)"},
		{[]string{"web/csp.txt"}, Web, "1 file"},
		{[]string{"web/app.js", "stacks/frontend.go"}, Full, "for example stacks/frontend.go"},
		{[]string{"cdk.json"}, Full, "changes more than docs and web/"},
		{[]string{"webby/x.go"}, Full, "webby/x.go"},
	} {
		got, why := ChooseTier(tc.changed)
		assert.Equal(t, tc.want, got, "%v", tc.changed)
		assert.Contains(t, why, tc.why, "%v", tc.changed)
	}
}

// The full tier runs the README's two commands and the gate and diff of the stage; the
// lighter tiers say what they leave out by leaving it out.
func TestPlan(t *testing.T) {
	commands := func(steps []Step) []string {
		var out []string
		for _, s := range steps {
			out = append(out, string(s.Kind)+" "+s.Command)
		}
		return out
	}
	assert.Equal(t, []string{
		"command make synth",
		"command go run ./cmd/compatgate --assembly cdk.out --stage 'dev' --qualifier 'hnb659fds' --accept 'Backend/Health:*'",
		"diff ",
		"command make test",
	}, commands(Plan(Full, "dev", "hnb659fds", []string{"Backend/Health:*"})))
	web := commands(Plan(Web, "dev", "hnb659fds", nil))
	assert.Contains(t, web, "command make synth")
	assert.Contains(t, web, "command make e2e")
	assert.NotContains(t, web, "command make test")
	assert.Equal(t, []string{"command go run ./cmd/diagram --check"}, commands(Plan(Docs, "dev", "hnb659fds", nil)))
	for _, s := range Plan(Full, "dev", "q", nil)[1:] {
		assert.True(t, s.NeedsAssembly, "%s reads cdk.out", s.Name)
	}
}

// fakePRs is CodeCommit with one pull request at a given revision.
type fakePRs struct {
	revision string
	closed   bool
	getErr   error
	approve  error
	calls    []string
	comment  string
}

func (f *fakePRs) GetPullRequest(_ context.Context, in *codecommit.GetPullRequestInput, _ ...func(*codecommit.Options)) (*codecommit.GetPullRequestOutput, error) {
	f.calls = append(f.calls, "GetPullRequest "+aws.ToString(in.PullRequestId))
	if f.getErr != nil {
		return nil, f.getErr
	}
	status := types.PullRequestStatusEnumOpen
	if f.closed {
		status = types.PullRequestStatusEnumClosed
	}
	return &codecommit.GetPullRequestOutput{PullRequest: &types.PullRequest{RevisionId: aws.String(f.revision), PullRequestStatus: status}}, nil
}

func (f *fakePRs) PostCommentForPullRequest(_ context.Context, in *codecommit.PostCommentForPullRequestInput, _ ...func(*codecommit.Options)) (*codecommit.PostCommentForPullRequestOutput, error) {
	f.calls = append(f.calls, "PostCommentForPullRequest "+aws.ToString(in.RepositoryName)+" "+aws.ToString(in.BeforeCommitId)+".."+aws.ToString(in.AfterCommitId))
	f.comment = aws.ToString(in.Content)
	return &codecommit.PostCommentForPullRequestOutput{}, nil
}

func (f *fakePRs) UpdatePullRequestApprovalState(_ context.Context, in *codecommit.UpdatePullRequestApprovalStateInput, _ ...func(*codecommit.Options)) (*codecommit.UpdatePullRequestApprovalStateOutput, error) {
	f.calls = append(f.calls, "UpdatePullRequestApprovalState "+string(in.ApprovalState)+" "+aws.ToString(in.RevisionId))
	return &codecommit.UpdatePullRequestApprovalStateOutput{}, f.approve
}

func result(passed bool) *Result {
	st := Passed
	if !passed {
		st = Failed
	}
	return &Result{Source: Source{Kind: "codecommit", PullRequest: "7", Revision: "rev2", Commit: "src", Base: "dst"}, Stage: "dev", Tier: Full,
		Steps: []StepResult{{Step: Step{Name: "tests", Kind: Command, Command: Test}, Status: st, Tail: "--- FAIL: TestX"}}, BuildURL: "https://console/build/1"}
}

// Only the latest revision counts: the report comments and approves for it; an older
// check (the pull request moved on, or closed) reports nothing; CodeCommit's refusal of a
// revision that stopped being current in between is not an error.
func TestReportCodeCommit(t *testing.T) {
	ctx := context.Background()
	f := &fakePRs{revision: "rev2"}
	require.NoError(t, ReportCodeCommit(ctx, f, "notes-platform", result(true), io.Discard))
	assert.Equal(t, []string{"GetPullRequest 7", "PostCommentForPullRequest notes-platform dst..src", "UpdatePullRequestApprovalState APPROVE rev2"}, f.calls)
	assert.Contains(t, f.comment, "### Pull-request check: passed")
	assert.Contains(t, f.comment, "[Build log](https://console/build/1)")

	f = &fakePRs{revision: "rev2"}
	require.NoError(t, ReportCodeCommit(ctx, f, "notes-platform", result(false), io.Discard))
	assert.Equal(t, "UpdatePullRequestApprovalState REVOKE rev2", f.calls[2])
	assert.Contains(t, f.comment, "FAILED")
	assert.Contains(t, f.comment, "--- FAIL: TestX", "the failed step's output")

	f = &fakePRs{revision: "rev3"}
	require.NoError(t, ReportCodeCommit(ctx, f, "notes-platform", result(true), io.Discard))
	assert.Equal(t, []string{"GetPullRequest 7"}, f.calls, "an older revision's check reports nothing")

	f = &fakePRs{revision: "rev2", closed: true}
	require.NoError(t, ReportCodeCommit(ctx, f, "notes-platform", result(true), io.Discard))
	assert.Len(t, f.calls, 1, "a closed pull request gets no report")

	f = &fakePRs{revision: "rev2", approve: &types.RevisionNotCurrentException{}}
	var log bytes.Buffer
	require.NoError(t, ReportCodeCommit(ctx, f, "notes-platform", result(true), &log))
	assert.Contains(t, log.String(), "no longer current")

	f = &fakePRs{revision: "rev2", approve: errors.New("throttled")}
	assert.ErrorContains(t, ReportCodeCommit(ctx, f, "notes-platform", result(true), io.Discard), "throttled", "a failed approval fails the report")

	f = &fakePRs{getErr: errors.New("AccessDenied")}
	assert.Error(t, ReportCodeCommit(ctx, f, "r", result(true), io.Discard))
}

// Run in miniature: a failed synth skips what needs the assembly; the result, report and
// JUnit files are written; a superseded revision runs nothing.
func TestRun(t *testing.T) {
	out := t.TempDir()
	var ran []string
	env := map[string]string{"PULL_REQUEST_ID": "7", "REVISION_ID": "rev2", "SOURCE_COMMIT": "src", "DESTINATION_COMMIT": "dst", "CODEBUILD_BUILD_URL": "https://b"}
	o := Options{Root: t.TempDir(), Out: out, Kind: "codecommit", Stage: "dev", Qualifier: "hnb659fds", Getenv: func(k string) string { return env[k] },
		Log: io.Discard, PullRequests: &fakePRs{revision: "rev2"},
		Changed: func(context.Context, string, Source) []string { return []string{"stacks/data.go"} },
		Exec: func(_ context.Context, _, command string, w io.Writer) error {
			ran = append(ran, command)
			io.WriteString(w, "synth broke\n")
			return errors.New("exit status 2")
		},
		Deployed: func(context.Context, compat.StackTemplate) ([]byte, bool, error) {
			t.Fatal("no diff without an assembly")
			return nil, false, nil
		},
	}
	res, err := Run(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, []string{Synth}, ran, "nothing that needs cdk.out runs after synth failed")
	assert.False(t, res.Passed())
	assert.Equal(t, Failed, res.Steps[0].Status)
	assert.Equal(t, "synth broke", res.Steps[0].Tail)
	for _, s := range res.Steps[1:] {
		assert.Equal(t, Skipped, s.Status, s.Name)
	}
	back, err := ReadResult(out)
	require.NoError(t, err)
	assert.Equal(t, res.Source, back.Source)
	report, err := os.ReadFile(filepath.Join(out, ReportFile))
	require.NoError(t, err)
	assert.Contains(t, string(report), "| synth | **failed**")
	junit, err := os.ReadFile(filepath.Join(out, JUnitFile))
	require.NoError(t, err)
	var suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
	}
	require.NoError(t, xml.Unmarshal(junit, &suite))
	assert.Equal(t, 4, suite.Tests)
	assert.Equal(t, 1, suite.Failures)
	assert.Equal(t, 3, suite.Skipped)

	ran = nil
	o.PullRequests = &fakePRs{revision: "rev3"}
	res, err = Run(context.Background(), o)
	require.NoError(t, err)
	assert.Empty(t, ran, "a superseded revision is not checked")
	assert.Contains(t, res.Superseded, "newer revision rev3")
	assert.True(t, res.Passed())
}

// The comment fits CodeCommit's limit and says where the rest is; a lighter tier says so.
func TestCommentLimitAndTier(t *testing.T) {
	r := result(true)
	r.Diff = strings.Repeat("| ~ | Backend/Fn | AWS::Lambda::Function | changed: Code |\n", 400)
	c := Comment(r)
	assert.LessOrEqual(t, len(c), MaxCommentLength)
	assert.Contains(t, c, "the [build log](https://console/build/1) has the whole report")
	r = result(true)
	r.Tier, r.TierReason = Docs, "only documentation changes (1 file)"
	assert.Contains(t, Comment(r), "> Lighter tier: only documentation changes (1 file).")
	assert.NotContains(t, Comment(r), "artifact tests")
}

// Without a result (the run crashed), the report still tells the pull request.
func TestReportWithoutResult(t *testing.T) {
	env := map[string]string{"PULL_REQUEST_ID": "7", "REVISION_ID": "rev2", "SOURCE_COMMIT": "src", "DESTINATION_COMMIT": "dst", "REPOSITORY_NAME": "notes-platform"}
	f := &fakePRs{revision: "rev2"}
	code := report(context.Background(), "codecommit", t.TempDir(), f, io.Discard, io.Discard, func(k string) string { return env[k] })
	assert.Equal(t, 0, code)
	assert.Contains(t, f.comment, "the check stopped before it wrote a result")
	assert.Equal(t, "UpdatePullRequestApprovalState REVOKE rev2", f.calls[len(f.calls)-1])
}
