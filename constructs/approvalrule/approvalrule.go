// Package approvalrule makes a CodeCommit approval rule template and associates it with
// repositories. CloudFormation has no resource type for approval rule templates, so the
// template and each association are custom resources that call the CodeCommit API
// (CreateApprovalRuleTemplate, UpdateApprovalRuleTemplateContent, DeleteApprovalRuleTemplate,
// AssociateApprovalRuleTemplateWithRepository, DisassociateApprovalRuleTemplateFromRepository)
// through CDK's AwsCustomResource.
//
// A template applies to the pull requests opened after it is associated, whose destination
// branch is one of DestinationBranches: CodeCommit then creates an approval rule on the pull
// request that only the approvers in the pool can satisfy.
package approvalrule

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodecommit"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/nag"
)

// ContentVersion is the only version of the approval rule content language.
const ContentVersion = "2018-11-08"

// Limits CodeCommit enforces on a template (CreateApprovalRuleTemplate).
const (
	// MaxNameLength is the longest approval rule template name.
	MaxNameLength = 100
	// MaxDescriptionLength is the longest template description.
	MaxDescriptionLength = 1000
	// MaxDestinationBranches is how many branch filters a template may have.
	MaxDestinationBranches = 100
)

// Template is an approval rule template and its repository associations.
type Template struct {
	constructs.Construct
	// Name is the template's name (its physical id).
	Name string
	// Resource is the custom resource that creates, updates and deletes the template.
	Resource customresources.AwsCustomResource
	// Associations are the custom resources that associate it, one per repository.
	Associations []customresources.AwsCustomResource
}

// Props configures the template.
type Props struct {
	// Name of the template, unique in the account and region. Required.
	Name string
	// Description says what the rule is for; CodeCommit shows it on every pull request that
	// gets the rule. Required.
	Description string
	// DestinationBranches are the branch names (not refs) whose pull requests get the rule.
	// Required: a template without them would apply to pull requests into any branch.
	DestinationBranches []string
	// Approvers are the approval pool: fully qualified ARNs (a wildcard allowed), such as
	// "arn:aws:sts::111111111111:assumed-role/CheckRole/*" for every session of a role.
	// Required.
	Approvers []string
	// Approvals is how many approvals from the pool a pull request needs. Default: 1.
	Approvals int
	// Repositories the template is associated with. Required.
	Repositories []awscodecommit.IRepository
}

var (
	namePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	// branchPattern is a git branch name; a wildcard may not start it (CodeCommit's rule).
	branchPattern = regexp.MustCompile(`^[A-Za-z0-9._/-][A-Za-z0-9._/*-]{0,254}$`)
)

func (p *Props) validate() error {
	var errs []error
	if !namePattern.MatchString(p.Name) {
		errs = append(errs, fmt.Errorf("approval rule: Name %q: allowed is 1-%d of A-Z a-z 0-9 . _ -", p.Name, MaxNameLength))
	}
	if d := strings.TrimSpace(p.Description); d == "" || len(p.Description) > MaxDescriptionLength {
		errs = append(errs, fmt.Errorf("approval rule: Description of %d characters: allowed is 1-%d, saying what the rule is for", len(p.Description), MaxDescriptionLength))
	}
	if n := len(p.DestinationBranches); n == 0 || n > MaxDestinationBranches {
		errs = append(errs, fmt.Errorf("approval rule: %d DestinationBranches: allowed is 1-%d branch names (none would apply the rule to every branch)", n, MaxDestinationBranches))
	}
	for _, b := range p.DestinationBranches {
		if !branchPattern.MatchString(b) || strings.HasPrefix(b, "refs/") || strings.Contains(b, "..") {
			errs = append(errs, fmt.Errorf("approval rule: DestinationBranches %q: allowed is a branch name such as main (not a ref), not starting with a wildcard", b))
		}
	}
	if len(p.Approvers) == 0 {
		errs = append(errs, errors.New("approval rule: Approvers is required: without a pool anyone's approval counts"))
	}
	for _, a := range p.Approvers {
		if !strings.HasPrefix(a, "arn:") && !isToken(a) {
			errs = append(errs, fmt.Errorf("approval rule: Approvers %q: allowed is a fully qualified ARN such as arn:aws:sts::<account>:assumed-role/<role>/*", a))
		}
	}
	if p.Approvals < 1 {
		errs = append(errs, fmt.Errorf("approval rule: Approvals %d: allowed is 1 or more", p.Approvals))
	}
	if len(p.Repositories) == 0 {
		errs = append(errs, errors.New("approval rule: Repositories is required: a template associated with no repository does nothing"))
	}
	return errors.Join(errs...)
}

// isToken reports whether s is (or starts with) a CDK string token such as a role's ARN,
// which CDK encodes as "${Token[...]}" until synth; checked without the jsii runtime.
func isToken(s string) bool { return strings.HasPrefix(s, "${Token[") }

// Content is the approval rule content the template holds (CodeCommit's approval rule
// language, version 2018-11-08): the destination refs and one Approvers statement.
func Content(branches, approvers []string, approvals int) map[string]any {
	refs := make([]any, len(branches))
	for i, b := range branches {
		refs[i] = "refs/heads/" + b
	}
	pool := make([]any, len(approvers))
	for i, a := range approvers {
		pool[i] = a
	}
	return map[string]any{
		"Version":               ContentVersion,
		"DestinationReferences": refs,
		"Statements": []any{map[string]any{
			"Type": "Approvers", "NumberOfApprovalsNeeded": approvals, "ApprovalPoolMembers": pool,
		}},
	}
}

// New makes the template and its associations.
func New(scope constructs.Construct, id string, props *Props) *Template {
	if props == nil {
		props = &Props{}
	}
	p := *props
	if p.Approvals == 0 {
		p.Approvals = 1
	}
	if err := p.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	stack := awscdk.Stack_Of(c)
	content := stack.ToJsonString(Content(p.DestinationBranches, p.Approvers, p.Approvals), nil)
	call := func(action string, params map[string]any) *customresources.AwsSdkCall {
		return &customresources.AwsSdkCall{
			Service: jsii.String("CodeCommit"), Action: jsii.String(action), Parameters: params,
			PhysicalResourceId: customresources.PhysicalResourceId_Of(jsii.String(p.Name)),
		}
	}
	// The template actions have no resource-level permissions (the IAM catalog lists
	// them as wildcard-only); the association actions act on the repositories.
	templateActions := []string{"codecommit:CreateApprovalRuleTemplate", "codecommit:UpdateApprovalRuleTemplateContent", "codecommit:DeleteApprovalRuleTemplate"}
	deleteCall := call("DeleteApprovalRuleTemplate", map[string]any{"approvalRuleTemplateName": p.Name})
	// A template that is already gone (deleted by hand) must not block the stack's delete.
	deleteCall.IgnoreErrorCodesMatching = jsii.String("ApprovalRuleTemplateDoesNotExistException")
	t := customresources.NewAwsCustomResource(c, jsii.String("Resource"), &customresources.AwsCustomResourceProps{
		ResourceType: jsii.String("Custom::CodeCommitApprovalRuleTemplate"),
		OnCreate: call("CreateApprovalRuleTemplate", map[string]any{
			"approvalRuleTemplateName": p.Name, "approvalRuleTemplateDescription": p.Description, "approvalRuleTemplateContent": content,
		}),
		OnUpdate: call("UpdateApprovalRuleTemplateContent", map[string]any{
			"approvalRuleTemplateName": p.Name, "newRuleContent": content,
		}),
		OnDelete: deleteCall,
		Policy: customresources.AwsCustomResourcePolicy_FromStatements(&[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid: jsii.String("ApprovalRuleTemplate"), Actions: jsii.Strings(templateActions...), Resources: jsii.Strings("*"),
			}),
		}),
		InstallLatestAwsSdk: jsii.Bool(false),
	})
	nag.Suppress(t.Node().FindChild(jsii.String("CustomResourcePolicy")).Node().FindChild(jsii.String("Resource")), false, "AwsSolutions-IAM5",
		"CreateApprovalRuleTemplate, UpdateApprovalRuleTemplateContent and DeleteApprovalRuleTemplate take no resource: the IAM service authorization reference lists them as wildcard-only (Resource \"*\").",
		"Resource::*")
	suppressProviderFindings(stack)
	out := &Template{Construct: c, Name: p.Name, Resource: t}
	for i, repo := range p.Repositories {
		params := map[string]any{"approvalRuleTemplateName": p.Name, "repositoryName": repo.RepositoryName()}
		assoc := call("AssociateApprovalRuleTemplateWithRepository", params)
		assoc.PhysicalResourceId = customresources.PhysicalResourceId_Of(awscdk.Fn_Join(jsii.String("/"), &[]*string{jsii.String(p.Name), repo.RepositoryName()}))
		disassoc := call("DisassociateApprovalRuleTemplateFromRepository", params)
		disassoc.PhysicalResourceId = nil
		disassoc.IgnoreErrorCodesMatching = jsii.String("ApprovalRuleTemplateDoesNotExistException|RepositoryDoesNotExistException")
		a := customresources.NewAwsCustomResource(c, jsii.String(fmt.Sprintf("Association%d", i)), &customresources.AwsCustomResourceProps{
			ResourceType: jsii.String("Custom::CodeCommitApprovalRuleTemplateAssociation"),
			OnCreate:     assoc,
			OnDelete:     disassoc,
			Policy: customresources.AwsCustomResourcePolicy_FromStatements(&[]awsiam.PolicyStatement{
				awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Sid:       jsii.String("AssociateApprovalRuleTemplate"),
					Actions:   jsii.Strings("codecommit:AssociateApprovalRuleTemplateWithRepository", "codecommit:DisassociateApprovalRuleTemplateFromRepository"),
					Resources: &[]*string{repo.RepositoryArn()},
				}),
			}),
			InstallLatestAwsSdk: jsii.Bool(false),
		})
		// The association needs the template; deleting it first keeps the template's
		// delete from failing on an association that still exists.
		a.Node().AddDependency(t)
		out.Associations = append(out.Associations, a)
	}
	return out
}

// providerID is the construct id of the one Lambda function, per stack, that runs every
// AwsCustomResource's SDK calls (CDK's AwsCustomResource.PROVIDER_FUNCTION_UUID).
const providerID = "AWS679f53fac002430cb0da5b7982bd2287"

// suppressProviderFindings records, once per stack, the reviewed finding of CDK's provider
// function: it logs through the AWS managed policy AWSLambdaBasicExecutionRole, and the
// construct takes no role of its own for it.
func suppressProviderFindings(stack awscdk.Stack) {
	fn := stack.Node().TryFindChild(jsii.String(providerID))
	if fn == nil {
		panic(fmt.Errorf("approval rule: no AwsCustomResource provider %s in stack %s (a CDK upgrade renamed it?)", providerID, *stack.StackName()))
	}
	role := fn.Node().TryFindChild(jsii.String("ServiceRole"))
	if role == nil {
		panic(fmt.Errorf("approval rule: the AwsCustomResource provider %s has no ServiceRole", providerID))
	}
	resource := role.Node().FindChild(jsii.String("Resource"))
	if cfn, ok := resource.(awscdk.CfnResource); ok && strings.Contains(fmt.Sprint(cfn.GetMetadata(jsii.String("cdk_nag"))), "AwsSolutions-IAM4") {
		return // another template of this stack already recorded it
	}
	nag.Suppress(resource, false, "AwsSolutions-IAM4",
		"CDK's AwsCustomResource provider function logs through AWSLambdaBasicExecutionRole (CreateLogGroup, CreateLogStream, PutLogEvents only); the construct takes no role for its provider.",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
}
