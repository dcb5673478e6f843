// Package driftcheck runs CloudFormation drift detection on deployed stacks and reports,
// per resource, what was changed or deleted outside CloudFormation:
//
//	go run ./cmd/driftcheck --region eu-west-1 --stack notes-dev-base --stack notes-dev-data \
//	    [--role arn:aws:iam::111111111111:role/cdk-hnb659fds-lookup-role-111111111111-eu-west-1] [--fail-on-drift]
//
// Each pipeline stage runs it after its smoke test (stacks.DriftCheckStep). CloudFormation
// reads the live resources with the caller's credentials, so the caller needs read access
// to every resource type of the stacks: the pipeline assumes the target account's CDK
// bootstrap lookup role, which has AWS's ReadOnlyAccess (cloudformation:Detect* included)
// and may not decrypt. The command imports no CDK code, so it compiles in seconds.
//
// Exit codes: 0 no drift, or drift reported without --fail-on-drift; 1 drift (or a
// detection that could not check every resource) with --fail-on-drift; 2 usage or AWS error.
package driftcheck

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// cfnAPI is the part of CloudFormation the check calls.
type cfnAPI interface {
	DetectStackDrift(context.Context, *cloudformation.DetectStackDriftInput, ...func(*cloudformation.Options)) (*cloudformation.DetectStackDriftOutput, error)
	DescribeStackDriftDetectionStatus(context.Context, *cloudformation.DescribeStackDriftDetectionStatusInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackDriftDetectionStatusOutput, error)
	cloudformation.DescribeStackResourceDriftsAPIClient
}

var _ cfnAPI = (*cloudformation.Client)(nil)

// clients makes the CloudFormation client of a region, as the caller or, with a role, as
// that role.
type clients interface {
	CloudFormation(ctx context.Context, region, role string) (cfnAPI, error)
}

// awsClients are the real clients. endpoint overrides STS and CloudFormation (tests);
// AWS_ENDPOINT_URL does the same for a run.
type awsClients struct {
	load     func(ctx context.Context, region string) (aws.Config, error)
	endpoint string
}

// CloudFormation implements clients.
func (c awsClients) CloudFormation(ctx context.Context, region, role string) (cfnAPI, error) {
	cfg, err := c.load(ctx, region)
	if err != nil {
		return nil, err
	}
	var creds aws.CredentialsProvider
	if role != "" {
		stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) {
			if c.endpoint != "" {
				o.BaseEndpoint = aws.String(c.endpoint)
			}
		})
		creds = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, role, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "drift-check"
		}))
	}
	return cloudformation.NewFromConfig(cfg, func(o *cloudformation.Options) {
		if creds != nil {
			o.Credentials = creds
		}
		if c.endpoint != "" {
			o.BaseEndpoint = aws.String(c.endpoint)
		}
	}), nil
}

// report is the drift of one stack.
type report struct {
	Stack string
	// Status is CloudFormation's stack drift status: DRIFTED, IN_SYNC, UNKNOWN or NOT_CHECKED.
	Status types.StackDriftStatus
	// Incomplete says why detection did not check every resource ("" when it did).
	Incomplete string
	Resources  []types.StackResourceDrift
}

// drifted are the resources changed or deleted outside CloudFormation.
func (r report) drifted() []types.StackResourceDrift {
	return slices.DeleteFunc(slices.Clone(r.Resources), func(d types.StackResourceDrift) bool {
		return d.StackResourceDriftStatus != types.StackResourceDriftStatusModified && d.StackResourceDriftStatus != types.StackResourceDriftStatusDeleted
	})
}

// unchecked are the resources whose drift CloudFormation could not tell.
func (r report) unchecked() []types.StackResourceDrift {
	return slices.DeleteFunc(slices.Clone(r.Resources), func(d types.StackResourceDrift) bool {
		return d.StackResourceDriftStatus != types.StackResourceDriftStatusUnknown
	})
}

// severity orders resources in a report: what drifted first.
func severity(s types.StackResourceDriftStatus) int {
	switch s {
	case types.StackResourceDriftStatusDeleted:
		return 0
	case types.StackResourceDriftStatusModified:
		return 1
	case types.StackResourceDriftStatusUnknown:
		return 2
	case types.StackResourceDriftStatusInSync:
		return 4
	}
	return 3
}

// detect starts drift detection on every stack (CloudFormation runs them concurrently),
// waits for each, and reads its resources' drift.
func detect(ctx context.Context, cfn cfnAPI, stacks []string, interval time.Duration) ([]report, error) {
	ids := make([]string, len(stacks))
	for i, s := range stacks {
		out, err := cfn.DetectStackDrift(ctx, &cloudformation.DetectStackDriftInput{StackName: aws.String(s)})
		if err != nil {
			return nil, fmt.Errorf("%s: starting drift detection: %w", s, err)
		}
		ids[i] = aws.ToString(out.StackDriftDetectionId)
	}
	var reports []report
	for i, s := range stacks {
		var status *cloudformation.DescribeStackDriftDetectionStatusOutput
		for {
			var err error
			status, err = cfn.DescribeStackDriftDetectionStatus(ctx, &cloudformation.DescribeStackDriftDetectionStatusInput{StackDriftDetectionId: aws.String(ids[i])})
			if err != nil && ctx.Err() != nil {
				return nil, fmt.Errorf("%s: drift detection %s still running: %w", s, ids[i], ctx.Err())
			}
			if err != nil {
				return nil, fmt.Errorf("%s: drift detection %s: %w", s, ids[i], err)
			}
			if status.DetectionStatus != types.StackDriftDetectionStatusDetectionInProgress {
				break
			}
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("%s: drift detection %s still running: %w", s, ids[i], ctx.Err())
			case <-time.After(interval):
			}
		}
		r := report{Stack: s, Status: status.StackDriftStatus}
		if status.DetectionStatus != types.StackDriftDetectionStatusDetectionComplete {
			r.Incomplete = fmt.Sprintf("%s: %s", status.DetectionStatus, cmp.Or(aws.ToString(status.DetectionStatusReason), "no reason given"))
		}
		pages := cloudformation.NewDescribeStackResourceDriftsPaginator(cfn, &cloudformation.DescribeStackResourceDriftsInput{StackName: aws.String(s)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("%s: reading resource drift: %w", s, err)
			}
			r.Resources = append(r.Resources, page.StackResourceDrifts...)
		}
		slices.SortStableFunc(r.Resources, func(a, b types.StackResourceDrift) int {
			return cmp.Or(cmp.Compare(severity(a.StackResourceDriftStatus), severity(b.StackResourceDriftStatus)),
				strings.Compare(aws.ToString(a.LogicalResourceId), aws.ToString(b.LogicalResourceId)))
		})
		reports = append(reports, r)
	}
	return reports, nil
}

// maxValue is how much of an expected or actual property value is printed.
const maxValue = 400

func shorten(s string) string {
	if len(s) <= maxValue {
		return s
	}
	return s[:maxValue] + fmt.Sprintf("... (%d more bytes)", len(s)-maxValue)
}

// print writes a stack's report: one line per resource, the property differences of each
// drifted resource under it.
func (r report) print(w io.Writer) {
	fmt.Fprintf(w, "%s: %s (%d of %d checked resources drifted)\n", r.Stack, r.Status, len(r.drifted()), len(r.Resources))
	for _, d := range r.Resources {
		line := fmt.Sprintf("  %-9s %s %s", d.StackResourceDriftStatus, aws.ToString(d.ResourceType), aws.ToString(d.LogicalResourceId))
		if id := aws.ToString(d.PhysicalResourceId); id != "" {
			line += " (" + id + ")"
		}
		if reason := aws.ToString(d.DriftStatusReason); reason != "" {
			line += ": " + reason
		}
		fmt.Fprintln(w, line)
		if d.StackResourceDriftStatus == types.StackResourceDriftStatusDeleted {
			fmt.Fprintln(w, "      the resource no longer exists")
		}
		for _, p := range d.PropertyDifferences {
			fmt.Fprintf(w, "      %s %s: expected %s, actual %s\n", aws.ToString(p.PropertyPath), p.DifferenceType,
				shorten(cmp.Or(aws.ToString(p.ExpectedValue), "(none)")), shorten(cmp.Or(aws.ToString(p.ActualValue), "(none)")))
		}
	}
	if r.Incomplete != "" {
		fmt.Fprintf(w, "  detection incomplete (%s): not every resource could be checked\n", r.Incomplete)
	}
}

// howToFix is printed with drift.
const howToFix = `Drift is a change made outside CloudFormation (console, CLI, another tool). A deploy
updates only the resources whose template changed, so the next deploy does not undo it.
Either undo the change by hand, or make it in the code and let the pipeline deploy it.`

type stackList []string

func (l *stackList) String() string     { return strings.Join(*l, ",") }
func (l *stackList) Set(v string) error { *l = append(*l, v); return nil }

var (
	// stackNamePattern is what CloudFormation accepts as a stack name.
	stackNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,127}$`)
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	rolePattern      = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`)
)

// Main is the driftcheck command, with the caller's AWS credentials (the pipeline step's
// role, which assumes the lookup role): it returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, stdout, stderr, awsClients{load: func(ctx context.Context, region string) (aws.Config, error) {
		return config.LoadDefaultConfig(ctx, config.WithRegion(region))
	}})
}

// run is the command with the given clients; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, cl clients) int {
	fs := flag.NewFlagSet("driftcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	region := fs.String("region", "", "region of the stacks")
	role := fs.String("role", "", "role to assume for the check (the target account's CDK lookup role); default: the caller's credentials")
	failOnDrift := fs.Bool("fail-on-drift", false, "exit 1 when a resource drifted or could not be checked")
	timeout := fs.Duration("timeout", 15*time.Minute, "give up when detection takes longer")
	interval := fs.Duration("interval", 5*time.Second, "how often to ask whether detection finished")
	var stacks stackList
	fs.Var(&stacks, "stack", "CloudFormation stack name; repeatable")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var bad []string
	if fs.NArg() > 0 || len(stacks) == 0 {
		bad = append(bad, "usage: driftcheck --region <region> --stack <name> [--stack <name>]... [--role <arn>] [--fail-on-drift]")
	}
	if !regionPattern.MatchString(*region) {
		bad = append(bad, fmt.Sprintf("--region %q: allowed is an AWS region such as eu-west-1", *region))
	}
	if *role != "" && !rolePattern.MatchString(*role) {
		bad = append(bad, fmt.Sprintf("--role %q: allowed is an IAM role ARN", *role))
	}
	for _, s := range stacks {
		if !stackNamePattern.MatchString(s) {
			bad = append(bad, fmt.Sprintf("--stack %q: allowed is a CloudFormation stack name (a letter, then letters, digits or '-', at most 128)", s))
		}
	}
	if *timeout <= 0 || *interval <= 0 {
		bad = append(bad, "--timeout and --interval: allowed are positive durations such as 15m and 5s")
	}
	if len(bad) > 0 {
		fmt.Fprintln(stderr, "driftcheck: "+strings.Join(bad, "\ndriftcheck: "))
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	cfn, err := cl.CloudFormation(ctx, *region, *role)
	if err != nil {
		fmt.Fprintln(stderr, "driftcheck:", err)
		return 2
	}
	as := "the caller's credentials"
	if *role != "" {
		as = *role
	}
	fmt.Fprintf(stdout, "drift check of %s in %s, as %s\n", strings.Join(stacks, ", "), *region, as)
	reports, err := detect(ctx, cfn, stacks, *interval)
	if err != nil {
		fmt.Fprintln(stderr, "driftcheck:", err)
		return 2
	}
	var drifted, incomplete []string
	for _, r := range reports {
		r.print(stdout)
		if n := len(r.drifted()); n > 0 {
			drifted = append(drifted, fmt.Sprintf("%s (%d %s)", r.Stack, n, map[bool]string{true: "resource", false: "resources"}[n == 1]))
		}
		if r.Incomplete != "" || len(r.unchecked()) > 0 {
			incomplete = append(incomplete, r.Stack)
		}
	}
	if len(drifted) == 0 && len(incomplete) == 0 {
		fmt.Fprintf(stdout, "drift check: no drift in %d stacks\n", len(reports))
		return 0
	}
	var summary []string
	if len(drifted) > 0 {
		summary = append(summary, "drift in "+strings.Join(drifted, ", "))
	}
	if len(incomplete) > 0 {
		summary = append(summary, "not every resource could be checked in "+strings.Join(incomplete, ", "))
	}
	fmt.Fprintf(stdout, "\ndrift check: %s\n", strings.Join(summary, "; "))
	if len(drifted) > 0 {
		fmt.Fprintln(stdout, howToFix)
	}
	if *failOnDrift {
		fmt.Fprintln(stdout, "drift check FAILED (failOnDrift is on for this environment)")
		return 1
	}
	fmt.Fprintln(stdout, "reported only: failOnDrift is off for this environment")
	return 0
}
