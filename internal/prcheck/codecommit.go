package prcheck

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codecommit"
	"github.com/aws/aws-sdk-go-v2/service/codecommit/types"
)

// PullRequests is the part of CodeCommit the check calls, all on this repository's pull
// requests: the check's role may do these and nothing else there.
type PullRequests interface {
	GetPullRequest(ctx context.Context, in *codecommit.GetPullRequestInput, opts ...func(*codecommit.Options)) (*codecommit.GetPullRequestOutput, error)
	PostCommentForPullRequest(ctx context.Context, in *codecommit.PostCommentForPullRequestInput, opts ...func(*codecommit.Options)) (*codecommit.PostCommentForPullRequestOutput, error)
	UpdatePullRequestApprovalState(ctx context.Context, in *codecommit.UpdatePullRequestApprovalStateInput, opts ...func(*codecommit.Options)) (*codecommit.UpdatePullRequestApprovalStateOutput, error)
}

var _ PullRequests = (*codecommit.Client)(nil)

// superseded says why a check of src must not report: the pull request is closed, or has
// a newer revision (a push to its source branch started another check, which reports).
// Empty means src is the pull request's latest revision.
func superseded(ctx context.Context, c PullRequests, src Source) (string, error) {
	if src.PullRequest == "" || src.Revision == "" {
		return "", errors.New("PULL_REQUEST_ID and REVISION_ID are not set: the build was not started by the pull-request rule")
	}
	out, err := c.GetPullRequest(ctx, &codecommit.GetPullRequestInput{PullRequestId: aws.String(src.PullRequest)})
	if err != nil {
		return "", err
	}
	pr := out.PullRequest
	if pr == nil {
		return "", errors.New("GetPullRequest returned no pull request")
	}
	if pr.PullRequestStatus == types.PullRequestStatusEnumClosed {
		return fmt.Sprintf("pull request %s is closed", src.PullRequest), nil
	}
	if latest := aws.ToString(pr.RevisionId); latest != src.Revision {
		return fmt.Sprintf("pull request %s has a newer revision %s than %s (a later push): that revision's check reports", src.PullRequest, latest, src.Revision), nil
	}
	return "", nil
}

// ReportCodeCommit puts the result on the pull request, for its latest revision only: a
// comment on the commits it checked, then the check's approval (passed) or its revocation
// (failed). CodeCommit ties an approval to a revision and refuses one for a revision that
// is no longer current, so an older check can never approve a newer revision.
func ReportCodeCommit(ctx context.Context, c PullRequests, repository string, r *Result, log io.Writer) error {
	if r.Superseded != "" {
		fmt.Fprintln(log, "prcheck: not reporting: "+r.Superseded)
		return nil
	}
	src := r.Source
	why, err := superseded(ctx, c, src)
	if err != nil {
		return err
	}
	if why != "" {
		fmt.Fprintln(log, "prcheck: not reporting: "+why)
		return nil
	}
	if _, err := c.PostCommentForPullRequest(ctx, &codecommit.PostCommentForPullRequestInput{
		PullRequestId: aws.String(src.PullRequest), RepositoryName: aws.String(repository),
		BeforeCommitId: aws.String(src.Base), AfterCommitId: aws.String(src.Commit),
		Content: aws.String(Comment(r)),
	}); err != nil {
		return fmt.Errorf("commenting on pull request %s: %w", src.PullRequest, err)
	}
	state := types.ApprovalStateApprove
	if !r.Passed() {
		state = types.ApprovalStateRevoke
	}
	_, err = c.UpdatePullRequestApprovalState(ctx, &codecommit.UpdatePullRequestApprovalStateInput{
		PullRequestId: aws.String(src.PullRequest), RevisionId: aws.String(src.Revision), ApprovalState: state,
	})
	var notCurrent *types.RevisionNotCurrentException
	switch {
	case errors.As(err, &notCurrent):
		fmt.Fprintf(log, "prcheck: revision %s is no longer current: its approval state is not set (the newer revision's check sets it)\n", src.Revision)
		return nil
	case err != nil && state == types.ApprovalStateRevoke:
		// Nothing to revoke (the check never approved this revision) or the call failed:
		// either way the rule still waits for an approval this revision does not have.
		fmt.Fprintf(log, "prcheck: revoking the check's approval of revision %s: %v (the revision is not approved by the check either way)\n", src.Revision, err)
		return nil
	case err != nil:
		return fmt.Errorf("setting the approval state of pull request %s: %w", src.PullRequest, err)
	}
	fmt.Fprintf(log, "prcheck: commented on pull request %s and set the check's approval state to %s for revision %s\n", src.PullRequest, state, src.Revision)
	return nil
}
