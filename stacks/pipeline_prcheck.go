package stacks

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodecommit"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/approvalrule"
	"github.com/example/notesplatform/constructs/logging"
	"github.com/example/notesplatform/constructs/nag"
	"github.com/example/notesplatform/internal/config"
)

// The pull-request check runs, on a pull request's source commit, what the pipeline would
// run after the merge: `make synth`, `make test`, the compatibility gate and an
// infrastructure diff of the first environment (both read-only, through that environment's
// lookup role), and reports the result on the pull request. See docs/pull-requests.md.
//
// Code from an unmerged branch runs with the check's role, so the role can do little: read
// the source, write its own logs, cache (its own prefix of the artifact bucket) and
// reports, comment on and approve the pull requests of this repository, and assume the
// lookup role of the first environment. It can assume no deploy, file-publishing or
// CloudFormation execution role, and it has its own cache: a cache shared with the
// pipeline's steps would let a branch plant compiled code that the synth step, which
// writes the artifacts that get deployed, would then run.
const (
	// PullRequestCheckID is the construct id of the check in the pipeline stack.
	PullRequestCheckID = "PullRequestCheck"
	// PullRequestCheckCachePrefix is where, in the artifact bucket, the check keeps its
	// Go and npm caches; its role may write there and nowhere else in the bucket.
	PullRequestCheckCachePrefix = "build-cache/pull-request-check"
	// PullRequestCheckDir holds the check's program, its result, report and JUnit file.
	PullRequestCheckDir = "/tmp/prcheck"
	// PullRequestCheckReportGroup is the CodeBuild report (JUnit XML, one case per step)
	// the check writes; CodeBuild names the group <project>-<this>.
	PullRequestCheckReportGroup = "steps"
	// PullRequestCheckTimeoutMinutes bounds one check: `make test` takes most of it.
	PullRequestCheckTimeoutMinutes = 60
)

// PullRequestCheckProjectName is the CodeBuild project of the check,
// "<app>-pipeline-pull-request-check": like every name of the pipeline stack it starts
// with the stack's name, the prefix under which the pipeline account's execution policies
// let CloudFormation manage projects (deploypolicy.ForPipeline); its report group,
// "<project>-steps", follows.
func PullRequestCheckProjectName(app string) string {
	return PipelineStackName(app) + "-pull-request-check"
}

// PullRequestCheckApprovalRule is the name of the approval rule template that makes
// CodeCommit pull requests into the pipeline's branch need the check's approval. The
// template is account-wide, so it carries the pipeline's prefix too.
func PullRequestCheckApprovalRule(app string) string {
	return PipelineStackName(app) + "-pull-request-check"
}

// PullRequestCheckStatusContext is the name of the commit status the check reports on a
// CodeConnections repository (GitHub's context, Bitbucket's name).
func PullRequestCheckStatusContext(app string) string { return app + "/pull-request-check" }

// PullRequestEvents are the CodeCommit pull-request events that start the check: a new
// pull request and a push to its source branch (a new revision).
var PullRequestEvents = []string{"pullRequestCreated", "pullRequestSourceBranchUpdated"}

// PullRequestEnv are the build's variables that the CodeCommit rule fills from the event
// (names as the event's detail has them); the check's program reads them.
var PullRequestEnv = map[string]string{
	"PULL_REQUEST_ID":       "pullRequestId",
	"REVISION_ID":           "revisionId",
	"SOURCE_COMMIT":         "sourceCommit",
	"DESTINATION_COMMIT":    "destinationCommit",
	"SOURCE_REFERENCE":      "sourceReference",
	"DESTINATION_REFERENCE": "destinationReference",
}

// PullRequestCheckProps configures the check.
type PullRequestCheckProps struct {
	// Config is the whole validated configuration: the app name, the source and its
	// branch. Required.
	Config *config.Config
	// Repository is the CodeCommit repository (source kind codecommit). Required for that
	// kind, nil for a connection.
	Repository awscodecommit.IRepository
	// Stage is the first environment's stage: the check diffs it and runs the
	// compatibility gate against it through its lookup role. Required.
	Stage *Stage
	// GoVersion is the "major.minor" Go runtime for CodeBuild (GoVersion of go.mod).
	// Required.
	GoVersion string
	// ArtifactBucket holds the check's cache under PullRequestCheckCachePrefix. Required.
	ArtifactBucket awss3.IBucket
	// ArtifactKey encrypts the artifact bucket, and so the cache; it also encrypts the
	// check's log group. Required.
	ArtifactKey awskms.IKey
	// Qualifier is the bootstrap qualifier of the first environment's account.
	// Default: "hnb659fds".
	Qualifier string
}

// PullRequestCheck is the check's CodeBuild project, its role and log group, and its
// trigger: an EventBridge rule and an approval rule template (CodeCommit) or the project's
// webhook (CodeConnections).
type PullRequestCheck struct {
	constructs.Construct
	// Project runs the check.
	Project awscodebuild.Project
	// Role is the project's role: what code from an unmerged branch may do.
	Role awsiam.IRole
	// Logs is the check's own log group.
	Logs awslogs.ILogGroup
	// Rule starts the check on CodeCommit pull-request events; nil for a connection.
	Rule awsevents.Rule
	// ApprovalRule makes pull requests into the pipeline's branch need the check's
	// approval; nil for a connection.
	ApprovalRule *approvalrule.Template
	// LookupRoleArn is the first environment's lookup role, the only role the check may
	// assume.
	LookupRoleArn string
}

func (p *PullRequestCheckProps) validate() error {
	if p.Config == nil {
		return errors.New("pull-request check: Config is required")
	}
	var errs []error
	kind := p.Config.Pipeline.Source.Kind
	switch {
	case kind == config.CodeCommit && p.Repository == nil:
		errs = append(errs, errors.New("pull-request check: Repository is required for source kind codecommit"))
	case kind == config.Connection && p.Repository != nil:
		errs = append(errs, errors.New("pull-request check: Repository must be nil for source kind connection: the check reads the connection's repository"))
	}
	if p.Stage == nil {
		errs = append(errs, errors.New("pull-request check: Stage (the first environment) is required"))
	}
	if !goRuntime.MatchString(p.GoVersion) {
		errs = append(errs, fmt.Errorf("pull-request check: GoVersion %q: allowed is major.minor such as 1.26", p.GoVersion))
	}
	if p.ArtifactBucket == nil || p.ArtifactKey == nil {
		errs = append(errs, errors.New("pull-request check: ArtifactBucket and ArtifactKey are required: the check keeps its cache in the artifact bucket"))
	}
	if !qualifierPat.MatchString(p.Qualifier) {
		errs = append(errs, fmt.Errorf("pull-request check: Qualifier %q: allowed is 1-10 of A-Z a-z 0-9 _ - (the cdk bootstrap qualifier)", p.Qualifier))
	}
	return errors.Join(errs...)
}

// PullRequestCheckCommands are the check's buildspec commands by phase: build the check's
// program (cmd/prcheck) from the pull request's source, run it (it exits non-zero when the
// check fails, which fails the build), then report. The report runs in post_build, which
// CodeBuild runs after a failed build phase too; on CodeCommit, when the program could not
// even be built, the AWS CLI posts a comment that says so and links the log.
func PullRequestCheckCommands(kind config.SourceKind, stage, qualifier string) (build, postBuild []string) {
	bin := PullRequestCheckDir + "/prcheck"
	build = []string{
		"mkdir -p " + PullRequestCheckDir,
		"go build -o " + bin + " ./cmd/prcheck",
		strings.Join([]string{bin, "run", "--source", string(kind), "--stage", shellQuote(stage), "--qualifier", shellQuote(qualifier), "--out", PullRequestCheckDir}, " "),
	}
	report := strings.Join([]string{bin, "report", "--source", string(kind), "--out", PullRequestCheckDir}, " ")
	if kind == config.CodeCommit {
		report += ` || aws codecommit post-comment-for-pull-request --pull-request-id "$PULL_REQUEST_ID" --repository-name "$REPOSITORY_NAME"` +
			` --before-commit-id "$DESTINATION_COMMIT" --after-commit-id "$SOURCE_COMMIT"` +
			` --content "**Pull-request check: could not report** on $SOURCE_COMMIT: the check's program did not build or run. Build log: $CODEBUILD_BUILD_URL"`
	}
	return build, []string{report}
}

// ArtifactTestsNotInCheck is what the check tells test/artifact: the x86 image the browser
// tests need has no arm64 emulator, so the artifact tests run after the merge.
const ArtifactTestsNotInCheck = "the pipeline's " + ArtifactTestsStepID + " step after the merge (the pull-request check's x86 image has no arm64 emulator)"

// NewPullRequestCheck makes the check in the pipeline stack.
func NewPullRequestCheck(scope constructs.Construct, id string, props *PullRequestCheckProps) *PullRequestCheck {
	if props == nil {
		props = &PullRequestCheckProps{}
	}
	p := *props
	p.Qualifier = cmp.Or(p.Qualifier, "hnb659fds")
	if err := p.validate(); err != nil {
		panic(err)
	}
	cfg := p.Config
	src := cfg.Pipeline.Source
	e := p.Stage.Env
	c := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(c)
	lookupRole := config.LookupRoleArn(p.Qualifier, e.Account, e.Region)

	// Its own log group, not the pipeline's: a branch's code could otherwise write lines
	// into the log streams of the builds that deploy.
	logs := logging.NewLogGroup(c, "Logs", &logging.LogGroupProps{Key: p.ArtifactKey, RetentionDays: PipelineLogRetentionDays})

	// The same build environment as the synth step: the x86 image (Chromium for the
	// browser tests), Go of go.mod, Node, and the Go and npm caches at the same paths.
	step := goStep{image: synthImage(), compute: awscodebuild.ComputeType_MEDIUM, goVersion: p.GoVersion, node: true,
		caches: []cacheDir{goModCache, goCache, npmCache},
		extra:  map[string]string{"CI": "true", ArtifactTestsDeferEnv: ArtifactTestsNotInCheck}}
	build, postBuild := PullRequestCheckCommands(src.Kind, e.Name, p.Qualifier)
	specObject := step.buildSpecObject()
	specObject["version"] = "0.2"
	phases := specObject["phases"].(map[string]any)
	phases["install"].(map[string]any)["commands"] = []any{"go version", "node --version", "chromium --version"}
	phases["build"] = map[string]any{"commands": toAny(build)}
	phases["post_build"] = map[string]any{"commands": toAny(postBuild)}
	specObject["reports"] = map[string]any{PullRequestCheckReportGroup: map[string]any{
		"files": []any{"junit.xml"}, "base-directory": PullRequestCheckDir, "file-format": "JUNITXML",
	}}
	spec := awscodebuild.BuildSpec_FromObject(&specObject)
	vars := map[string]*awscodebuild.BuildEnvironmentVariable{}
	if src.Kind == config.CodeCommit {
		vars["REPOSITORY_NAME"] = &awscodebuild.BuildEnvironmentVariable{Value: p.Repository.RepositoryName()}
	}
	projectProps := &awscodebuild.ProjectProps{
		ProjectName: jsii.String(PullRequestCheckProjectName(cfg.AppName)),
		Description: jsii.String(fmt.Sprintf("Checks every pull request into %s of %s: make synth, make test, the compatibility gate and an infrastructure diff of %s (read-only)", src.Branch, cfg.AppName, e.Name)),
		Environment: step.environment(), EnvironmentVariables: &vars,
		BuildSpec: spec,
		Logging: &awscodebuild.LoggingOptions{
			CloudWatch: &awscodebuild.CloudWatchLoggingOptions{LogGroup: logs},
		},
		EncryptionKey: p.ArtifactKey,
		Timeout:       awscdk.Duration_Minutes(jsii.Number(PullRequestCheckTimeoutMinutes)),
		QueuedTimeout: awscdk.Duration_Minutes(jsii.Number(PullRequestCheckTimeoutMinutes)),
	}
	if src.Kind == config.CodeCommit {
		// The full history: the check diffs the source commit against the destination
		// commit to pick its tier.
		projectProps.Source = awscodebuild.Source_CodeCommit(&awscodebuild.CodeCommitSourceProps{Repository: p.Repository})
	}
	project := awscodebuild.NewProject(c, jsii.String("Project"), projectProps)
	cfn := project.Node().DefaultChild().(awscodebuild.CfnProject)
	role := project.Role()

	// The check's own cache: a prefix of the artifact bucket that only it writes. (CDK's
	// Cache.bucket would grant read-write on the whole bucket, which holds the artifacts
	// the pipeline deploys.)
	cfn.SetCache(&awscodebuild.CfnProject_ProjectCacheProperty{
		Type:     jsii.String("S3"),
		Location: awscdk.Fn_Join(jsii.String("/"), &[]*string{p.ArtifactBucket.BucketName(), jsii.String(PullRequestCheckCachePrefix)}),
	})
	statements := []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("OwnCache"),
			Actions:   jsii.Strings("s3:GetObject", "s3:PutObject"),
			Resources: jsii.Strings(*p.ArtifactBucket.ArnForObjects(jsii.String(PullRequestCheckCachePrefix + "/*"))),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("CacheBucketLocation"),
			Actions:   jsii.Strings("s3:GetBucketLocation"),
			Resources: &[]*string{p.ArtifactBucket.BucketArn()},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadFirstEnvironmentAsLookupRole"),
			Actions:   jsii.Strings("sts:AssumeRole"),
			Resources: jsii.Strings(lookupRole),
		}),
	}
	switch src.Kind {
	case config.CodeCommit:
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReportOnPullRequests"),
			Actions:   jsii.Strings("codecommit:GetPullRequest", "codecommit:PostCommentForPullRequest", "codecommit:UpdatePullRequestApprovalState"),
			Resources: &[]*string{p.Repository.RepositoryArn()},
		}))
	case config.Connection:
		// CodeBuild clones the repository and reports the commit status with tokens the
		// connection vends to the project's role.
		service := strings.SplitN(src.ConnectionArn, ":", 4)[2] // codeconnections or codestar-connections
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("UseConnection"),
			Actions:   jsii.Strings(service+":GetConnectionToken", service+":GetConnection"),
			Resources: jsii.Strings(src.ConnectionArn),
		}))
		connectionSource(cfn, cfg)
	}
	for _, s := range statements {
		role.AddToPrincipalPolicy(s)
	}

	check := &PullRequestCheck{Construct: c, Project: project, Role: role, Logs: logs, LookupRoleArn: lookupRole}
	if src.Kind == config.CodeCommit {
		check.Rule = pullRequestRule(c, p.Repository, src.Branch, project)
		check.ApprovalRule = approvalrule.New(c, "ApprovalRule", &approvalrule.Props{
			Name: PullRequestCheckApprovalRule(cfg.AppName),
			Description: fmt.Sprintf("A pull request into %s needs the approval of the pull-request check (CodeBuild project %s), which it gives when the pull request's latest revision passes.",
				src.Branch, PullRequestCheckProjectName(cfg.AppName)),
			DestinationBranches: []string{src.Branch},
			Approvers:           []string{*AssumedRoleArn(stack, role)},
			Repositories:        []awscodecommit.IRepository{p.Repository},
		})
	}
	suppressCheckFindings(stack, check, p.ArtifactBucket)
	return check
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// AssumedRoleArn is the ARN pattern of every session of a role (CodeBuild assumes the
// project's role with a session name of its own): the approval pool member that
// CodeCommit's approval rule language documents for roles that services assume.
func AssumedRoleArn(stack awscdk.Stack, role awsiam.IRole) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), stack.Partition(), jsii.String(":sts::"), stack.Account(), jsii.String(":assumed-role/"), role.RoleName(), jsii.String("/*"),
	})
}

// PullRequestEventPattern is the EventBridge pattern of the events that start the check:
// the repository's pull-request state changes of PullRequestEvents, of open pull requests
// into the branch.
func PullRequestEventPattern(repositoryArn *string, branch string) *awsevents.EventPattern {
	return &awsevents.EventPattern{
		Source:     jsii.Strings("aws.codecommit"),
		DetailType: jsii.Strings("CodeCommit Pull Request State Change"),
		Resources:  &[]*string{repositoryArn},
		Detail: &map[string]any{
			"event":                toAny(PullRequestEvents),
			"destinationReference": []any{"refs/heads/" + branch},
			"pullRequestStatus":    []any{"Open"},
		},
	}
}

// pullRequestRule starts the check on a pull request's events, on its source commit, with
// the pull request's identity in the build's variables (PullRequestEnv).
func pullRequestRule(scope constructs.Construct, repo awscodecommit.IRepository, branch string, project awscodebuild.IProject) awsevents.Rule {
	var env []any
	for _, name := range sortedKeys(PullRequestEnv) {
		env = append(env, map[string]any{
			"name": name, "type": "PLAINTEXT", "value": awsevents.EventField_FromPath(jsii.String("$.detail." + PullRequestEnv[name])),
		})
	}
	return awsevents.NewRule(scope, jsii.String("Trigger"), &awsevents.RuleProps{
		Description:  jsii.String("Starts the pull-request check when a pull request into " + branch + " opens or its source branch moves"),
		EventPattern: PullRequestEventPattern(repo.RepositoryArn(), branch),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewCodeBuildProject(project, &awseventstargets.CodeBuildProjectProps{
			// The event becomes StartBuild's input: build the pull request's source commit.
			Event: awsevents.RuleTargetInput_FromObject(map[string]any{
				"sourceVersion":                awsevents.EventField_FromPath(jsii.String("$.detail.sourceCommit")),
				"environmentVariablesOverride": env,
			}),
		})},
	})
}

// webhookEvents are the pull-request events of each host that start a build (CodeBuild's
// EVENT filter; PULL_REQUEST_REOPENED exists for GitHub only).
var webhookEvents = map[config.SourceProvider]string{
	config.GitHub:    "PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED",
	config.GitLab:    "PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED",
	config.Bitbucket: "PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED",
}

// trustedRoles are the repository roles whose pull requests build without a comment: those
// who may push to the repository anyway. Anyone else's pull request (a fork's, an outside
// contributor's) waits until one of them comments /codebuild_run(<commit>): their code
// would otherwise run with the check's role.
var trustedRoles = map[config.SourceProvider][]string{
	config.GitHub:    {"GITHUB_WRITE", "GITHUB_MAINTAIN", "GITHUB_ADMIN"},
	config.GitLab:    {"GITLAB_DEVELOPER", "GITLAB_MAINTAINER", "GITLAB_OWNER"},
	config.Bitbucket: {"BITBUCKET_WRITE", "BITBUCKET_ADMIN"},
}

var hosts = map[config.SourceProvider]struct{ sourceType, url string }{
	config.GitHub:    {"GITHUB", "https://github.com/"},
	config.GitLab:    {"GITLAB", "https://gitlab.com/"},
	config.Bitbucket: {"BITBUCKET", "https://bitbucket.org/"},
}

// connectionSource points the project at the connection's repository, authenticated by
// the connection, with a webhook that starts a build for each pull request into the
// pipeline's branch and the build's result reported as the commit's status.
func connectionSource(cfn awscodebuild.CfnProject, cfg *config.Config) {
	src := cfg.Pipeline.Source
	h, ok := hosts[src.Provider]
	if !ok {
		panic(fmt.Errorf("pull-request check: pipeline.source.provider %q: allowed are %q", src.Provider, config.SourceProviders))
	}
	cfn.AddPropertyOverride(jsii.String("Source.Type"), jsii.String(h.sourceType))
	cfn.AddPropertyOverride(jsii.String("Source.Location"), jsii.String(h.url+src.Repository+".git"))
	cfn.AddPropertyOverride(jsii.String("Source.Auth"), map[string]any{"Type": "CODECONNECTIONS", "Resource": src.ConnectionArn})
	cfn.AddPropertyOverride(jsii.String("Source.GitCloneDepth"), jsii.Number(0)) // full history: the tier needs the base branch
	cfn.AddPropertyOverride(jsii.String("Source.ReportBuildStatus"), jsii.Bool(true))
	cfn.AddPropertyOverride(jsii.String("Source.BuildStatusConfig"), map[string]any{"Context": PullRequestCheckStatusContext(cfg.AppName)})
	cfn.AddPropertyOverride(jsii.String("Triggers"), map[string]any{
		"Webhook":   true,
		"BuildType": "BUILD",
		"FilterGroups": []any{[]any{
			map[string]any{"Type": "EVENT", "Pattern": webhookEvents[src.Provider]},
			map[string]any{"Type": "BASE_REF", "Pattern": "^refs/heads/" + regexp.QuoteMeta(src.Branch) + "$"},
		}},
		"PullRequestBuildPolicy": map[string]any{
			"RequiresCommentApproval": "ALL_PULL_REQUESTS",
			"ApproverRoles":           toAny(trustedRoles[src.Provider]),
		},
	})
}

// suppressCheckFindings records the reviewed cdk-nag findings of the check's role: its
// cache prefix, the log and report groups that CDK's Project grants for any project, named
// after it, and the project key's data-key actions.
func suppressCheckFindings(stack awscdk.Stack, check *PullRequestCheck, artifacts awss3.IBucket) {
	policy := check.Role.Node().TryFindChild(jsii.String("DefaultPolicy"))
	if policy == nil {
		panic(errors.New("pull-request check: the project's role has no default policy to review"))
	}
	projectID := *stack.GetLogicalId(check.Project.Node().DefaultChild().(awscdk.CfnElement))
	nag.Suppress(policy.Node().FindChild(jsii.String("Resource")), false, "AwsSolutions-IAM5",
		"CDK's codebuild.Project grants every project its default log group /aws/codebuild/<project> (the check logs to its own group instead)"+
			" and the report groups named <project>-*, where CodeBuild creates the check's JUnit report per build; the wildcards are the streams and reports of this one project.",
		fmt.Sprintf("Resource::arn:aws:logs:%s:%s:log-group:/aws/codebuild/<%s>:*", *stack.Region(), *stack.Account(), projectID),
		fmt.Sprintf("Resource::arn:aws:codebuild:%s:%s:report-group/<%s>-*", *stack.Region(), *stack.Account(), projectID))
	bucketID := *stack.GetLogicalId(artifacts.Node().DefaultChild().(awscdk.CfnElement))
	nag.Suppress(policy.Node().FindChild(jsii.String("Resource")), false, "AwsSolutions-IAM5",
		"The check reads and writes its cache objects under its own prefix "+PullRequestCheckCachePrefix+"/ of the artifact bucket (CodeBuild names the objects), and nothing else there;"+
			" CodeBuild encrypts them with the project's key, the artifact key, for which CDK grants kms:GenerateDataKey* and kms:ReEncrypt* with Encrypt/Decrypt:"+
			" the only ciphertext the role can read is its own cache's.",
		"Resource::<"+bucketID+".Arn>/"+PullRequestCheckCachePrefix+"/*", "Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*")
}
