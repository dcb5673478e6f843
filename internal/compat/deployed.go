package compat

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// cloudFormationTemplates reads deployed templates with CloudFormation GetTemplate, as the
// target account's bootstrap lookup role (cdk-<qualifier>-lookup-role-<account>-<region>,
// which `cdk bootstrap --trust` lets the pipeline account assume and which may read
// CloudFormation but not decrypt data).
type cloudFormationTemplates struct {
	// loadConfig gives the caller's own credentials (the pipeline step's role) in a region.
	loadConfig func(ctx context.Context, region string) (aws.Config, error)
	// endpoint overrides the STS and CloudFormation endpoints (tests). Default: AWS's.
	endpoint string
}

// newDeployedReader is the reader compat-gate uses: CloudFormation, or a directory of
// templates when --deployed is given.
func newDeployedReader(dir string) deployedTemplates {
	if dir != "" {
		return dirTemplates(dir)
	}
	return &cloudFormationTemplates{loadConfig: func(ctx context.Context, region string) (aws.Config, error) {
		return config.LoadDefaultConfig(ctx, config.WithRegion(region))
	}}
}

// DeployedTemplate reads the template that a stack runs now (CloudFormation GetTemplate,
// the original template) as its lookup role, or from <dir>/<stack name>.json when dir is
// set; found is false when the stack does not exist or never finished its first deploy.
// The pull-request check's infrastructure diff reads deployed templates through it, as the
// gate does.
func DeployedTemplate(ctx context.Context, dir string, s StackTemplate) (body []byte, found bool, err error) {
	return newDeployedReader(dir).Template(ctx, stageStack{Name: s.Name, Account: s.Account, Region: s.Region, LookupRoleArn: s.LookupRoleArn})
}

// notRunning are the states of a stack whose first deploy never completed: no version of
// its functions runs, so nothing can lose a permission.
var notRunning = []types.StackStatus{
	types.StackStatusReviewInProgress, types.StackStatusCreateInProgress, types.StackStatusCreateFailed,
	types.StackStatusRollbackInProgress, types.StackStatusRollbackFailed, types.StackStatusRollbackComplete,
	types.StackStatusDeleteComplete,
}

// Template implements deployedTemplates.
func (c *cloudFormationTemplates) Template(ctx context.Context, s stageStack) ([]byte, bool, error) {
	cfg, err := c.loadConfig(ctx, s.Region)
	if err != nil {
		return nil, false, err
	}
	stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) {
		if c.endpoint != "" {
			o.BaseEndpoint = aws.String(c.endpoint)
		}
	})
	creds := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, s.LookupRoleArn, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "compat-gate"
	}))
	client := cloudformation.NewFromConfig(cfg, func(o *cloudformation.Options) {
		o.Credentials = creds
		if c.endpoint != "" {
			o.BaseEndpoint = aws.String(c.endpoint)
		}
	})
	desc, err := client.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(s.Name)})
	if stackMissing(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if len(desc.Stacks) == 0 {
		return nil, false, nil
	}
	for _, st := range notRunning {
		if desc.Stacks[0].StackStatus == st {
			return nil, false, nil
		}
	}
	out, err := client.GetTemplate(ctx, &cloudformation.GetTemplateInput{
		StackName: aws.String(s.Name), TemplateStage: types.TemplateStageOriginal,
	})
	if err != nil {
		return nil, false, err
	}
	if out.TemplateBody == nil {
		return nil, false, errors.New("GetTemplate returned no template body")
	}
	return []byte(*out.TemplateBody), true, nil
}

// stackMissing: CloudFormation answers ValidationError "Stack with id X does not exist".
func stackMissing(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "ValidationError" && strings.Contains(api.ErrorMessage(), "does not exist")
}
