package deploypolicy

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/example/notesplatform/internal/config"
)

// PipelineEnv is the "environment" part of the pipeline account's names: the pipeline stack
// is "<app>-pipeline" (config reserves the name, so no environment can take it), its
// support stacks "<app>-pipeline-support-<region>", and what CloudFormation names in them
// starts with that, so the pipeline's prefix is "<app>-pipeline".
const PipelineEnv = "pipeline"

// PipelineRoleBoundaryName is the permissions boundary that every role of the pipeline
// stack carries. Unlike an environment's boundary (the Base stack's), no stack creates it:
// the pipeline stack deploys itself on every push (self-mutation), so a boundary it owned
// would be one commit away from "*". The administrator creates it from the bundle at
// bootstrap, and the execution policies deny changing it. Its name does not start with the
// pipeline's prefix, which the execution policies let CloudFormation manage.
func PipelineRoleBoundaryName(app string) string {
	return "cdk-" + app + "-" + PipelineEnv + "-roles-boundary"
}

// PipelineRoleActions are the only actions a role of the pipeline may ever use: what CDK
// Pipelines and stacks/pipeline*.go grant the pipeline's roles (the pipeline's own role,
// its action roles, the CodeBuild projects of every step, the events roles that start the
// pipeline and the pull-request check, the permissions check's function, the pull-request
// check's project and the provider function of its approval rule template) and the AWS
// managed policy CDK attaches (AWSLambdaBasicExecutionRole). Written out, action by
// action and without wildcards where a role is granted one action, as
// stacks.BoundaryActions is: the boundary has no resource scope of its own (it allows
// these on "*", since it is the same for every configuration), so the roles' own policies
// scope them, and the boundary only bounds which actions any pipeline role could ever be
// given.
// test/pipelinepolicy_test.go fails when a pipeline role is granted an action this list
// does not cover: add it here in the same change, reviewed, and update the account's
// boundary (docs/accounts.md).
var PipelineRoleActions = []string{
	// CodePipeline runs the CodeBuild actions; the steps write test reports.
	"codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild",
	"codebuild:BatchPutCodeCoverages", "codebuild:BatchPutTestCases", "codebuild:CreateReport",
	"codebuild:CreateReportGroup", "codebuild:UpdateReport",
	// The source: a CodeCommit repository or a CodeConnections connection.
	"codecommit:CancelUploadArchive", "codecommit:GetBranch", "codecommit:GetCommit",
	"codecommit:GetUploadArchiveStatus", "codecommit:UploadArchive",
	"codestar-connections:UseConnection",
	// The pull-request check (stacks/pipeline_prcheck.go) on a CodeCommit source: its
	// project clones the pull request's source commit (CDK's CodeCommit source grants
	// GitPull on the repository), reads the pull request to tell whether its revision is
	// still the latest, comments the report on it and sets the check's approval; all on
	// the repository only (the role's policy names it).
	"codecommit:GitPull", "codecommit:GetPullRequest", "codecommit:PostCommentForPullRequest",
	"codecommit:UpdatePullRequestApprovalState",
	// The check's approval rule template (constructs/approvalrule): CloudFormation has no
	// type for it, so the AwsCustomResource provider function creates, updates and deletes
	// the template (wildcard-only actions in IAM) and associates it with the repository
	// (its policy names the repository). Only that function's role is granted them.
	"codecommit:CreateApprovalRuleTemplate", "codecommit:UpdateApprovalRuleTemplateContent",
	"codecommit:DeleteApprovalRuleTemplate", "codecommit:AssociateApprovalRuleTemplateWithRepository",
	"codecommit:DisassociateApprovalRuleTemplateFromRepository",
	// The check on a CodeConnections source: CodeBuild clones the repository and reports
	// the commit status with a token the connection vends to the project's role (the role's
	// policy names the connection). The check is granted the actions of the service its
	// connection's ARN names, and config accepts both forms (arn:aws:codeconnections:... and
	// the older arn:aws:codestar-connections:...), so the boundary allows both spellings
	// of these two actions.
	"codeconnections:GetConnection", "codeconnections:GetConnectionToken",
	"codestar-connections:GetConnection", "codestar-connections:GetConnectionToken",
	// The events role starts the pipeline; the gate reads its execution's type; the
	// permissions check approves its own manual approval.
	"codepipeline:GetPipelineExecution", "codepipeline:GetPipelineState", "codepipeline:PutApprovalResult",
	"codepipeline:StartPipelineExecution",
	// Self-mutation (`cdk deploy` of the pipeline stack) reads the stack.
	"cloudformation:DescribeStacks",
	// The artifact key and the support stacks' replication keys.
	"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*",
	// The approval step invokes the permissions check's function.
	"lambda:InvokeFunction",
	// Build logs.
	"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
	// Artifacts and build caches. A CodeConnections source action also sets the ACL of
	// the source archive it writes (CDK grants it s3:PutObjectAcl and PutObjectVersionAcl).
	"s3:Abort*", "s3:DeleteObject*", "s3:GetBucket*", "s3:GetObject*", "s3:List*", "s3:PutObject",
	"s3:PutObjectAcl", "s3:PutObjectVersionAcl",
	"s3:PutObjectLegalHold", "s3:PutObjectRetention", "s3:PutObjectTagging", "s3:PutObjectVersionTagging",
}

// PipelineRoleDenies are what no role of the pipeline may do whatever it is granted: change
// identities, policies or the account, or change or destroy the pipeline itself, its
// source, its artifacts' bucket and key and its logs (only a deploy of the pipeline stack
// may, through the execution role).
var PipelineRoleDenies = []string{
	"iam:*", "organizations:*", "account:*",
	"kms:CreateGrant", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey",
	"s3:DeleteBucket", "s3:PutBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:PutLifecycleConfiguration",
	"logs:DeleteLogGroup", "logs:PutRetentionPolicy",
	"codepipeline:CreatePipeline", "codepipeline:UpdatePipeline", "codepipeline:DeletePipeline",
	"codebuild:CreateProject", "codebuild:UpdateProject", "codebuild:DeleteProject",
	"codecommit:DeleteRepository", "lambda:UpdateFunctionCode", "lambda:AddPermission",
}

// BootstrapRoleKinds are the CDK bootstrap roles a pipeline role may assume, in any account
// (cdk-<qualifier>-<kind>-role-<account>-<region>): deploy (CloudFormation actions, the
// permissions check, self-mutation), file- and image-publishing (assets) and lookup (the
// compatibility gate, the policy check, the drift check). Not the execution role, which
// only CloudFormation assumes.
var BootstrapRoleKinds = []string{"deploy", "file-publishing", "image-publishing", "lookup"}

// PipelineRoleBoundary is the boundary document of the pipeline's roles: PipelineRoleActions
// on anything; sts:AssumeRole only of the CDK bootstrap roles (BootstrapRoleKinds, any
// account) and of the pipeline's own roles (CodePipeline assumes its action roles); and
// PipelineRoleDenies. A policy that grants a pipeline role iam:* or sts:AssumeRole on "*"
// grants it no more than this.
func PipelineRoleBoundary(app, partition, account, qualifier string) *Document {
	var assume []string
	for _, kind := range BootstrapRoleKinds {
		assume = append(assume, fmt.Sprintf("arn:%s:iam::*:role/cdk-%s-%s-role-*", partition, qualifier, kind))
	}
	assume = append(assume, fmt.Sprintf("arn:%s:iam::%s:role/%s-%s-*", partition, account, app, PipelineEnv))
	return &Document{Version: "2012-10-17", Statement: []Statement{
		{Sid: "PipelineActions", Effect: "Allow", Action: slices.Clone(PipelineRoleActions), Resource: []string{"*"}},
		{Sid: "AssumeBootstrapAndPipelineRoles", Effect: "Allow", Action: []string{"sts:AssumeRole"}, Resource: assume},
		{Sid: "DenyIdentitiesAndPipelineChanges", Effect: "Deny", Action: slices.Clone(PipelineRoleDenies), Resource: []string{"*"}},
	}}
}

// ForPipeline is the execution policy bundle of the pipeline account, from the templates
// of the pipeline stack and its cross-region support stacks (by stack name): the actions
// their resource types need, names under "<app>-pipeline", the support stacks' regions
// besides the pipeline's, the configured CodeCommit repository when the stack creates it,
// and the boundary every pipeline role carries (PipelineRoleBoundary), which the bundle
// creates. It is what `cmd/deploypolicy --env pipeline` prints and the tests check.
func ForPipeline(cfg *config.Config, templates map[string]map[string]any) (*Bundle, error) {
	app, p := cfg.AppName, cfg.Pipeline
	prefix := app + "-" + PipelineEnv
	if len(templates) == 0 {
		return nil, errors.New("deploypolicy: no pipeline templates: synthesize the pipeline stack first")
	}
	var tpls []map[string]any
	var others, aliases []string
	for _, name := range slices.Sorted(maps.Keys(templates)) {
		tpl := templates[name]
		if name != prefix && !strings.HasPrefix(name, prefix+"-support-") {
			return nil, fmt.Errorf("deploypolicy: stack %q is not the pipeline stack %s or one of its support stacks %s-support-<region>", name, prefix, prefix)
		}
		tpls = append(tpls, tpl)
		if name == prefix {
			continue
		}
		if region := strings.TrimPrefix(name, prefix+"-support-"); region != p.Region && !slices.Contains(others, region) {
			others = append(others, region)
		}
		res, _ := tpl["Resources"].(map[string]any)
		for _, r := range res {
			m, _ := r.(map[string]any)
			props, _ := m["Properties"].(map[string]any)
			if alias, ok := props["AliasName"].(string); ok && m["Type"] == "AWS::KMS::Alias" && !strings.HasPrefix(alias, "alias/"+prefix+"-") {
				aliases = append(aliases, alias)
			}
		}
	}
	slices.Sort(aliases)
	var repository string
	if p.Source.Kind == config.CodeCommit && p.Source.CreateRepository {
		repository = p.Source.RepositoryName
	}
	return New(Options{
		App: app, Env: PipelineEnv, Account: p.Account, Region: p.Region,
		BoundaryName:  PipelineRoleBoundaryName(app),
		RoleBoundary:  PipelineRoleBoundary(app, "aws", p.Account, DefaultQualifier),
		ResourceTypes: ResourceTypes(tpls...),
		Regions:       append([]string{p.Region}, others...),
		Repository:    repository,
		Aliases:       slices.Compact(aliases),
	})
}
