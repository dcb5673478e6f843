package stacks

import (
	"fmt"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/apigwaccount"
	"github.com/example/notesplatform/constructs/audittrail"
	"github.com/example/notesplatform/constructs/boundary"
	"github.com/example/notesplatform/constructs/bucket"
	"github.com/example/notesplatform/constructs/logging"
	"github.com/example/notesplatform/constructs/nag"
	"github.com/example/notesplatform/constructs/network"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/deploypolicy"
	"github.com/example/notesplatform/lambdas/api"
)

// BaseStack holds what the other stacks of an environment rely on and what an auditor
// asks for: the audit trail, the network, the log key and the permissions boundary.
type BaseStack struct {
	awscdk.Stack
	// LogKey encrypts every log group and the trail of the environment.
	LogKey awskms.IKey
	// Network is the private VPC, its endpoints and, for private functions, the
	// endpoints' security group and the DynamoDB prefix list.
	Network *network.Network
	// Boundary is the permissions boundary that every role of the environment carries.
	Boundary awsiam.IManagedPolicy
}

// BoundaryActions are the only actions a role of the app may ever use: what the
// stage's roles are granted by their own policies, by CDK's grants and by the AWS
// managed policies CDK attaches (AWSLambdaBasicExecutionRole, and
// AWSLambdaVPCAccessExecutionRole for functions in the VPC). They are written out, not
// "service:*": AWS Control Tower's CT.IAM.PR.3 rejects service-wide wildcards in any
// managed policy. test/deploypolicy_test.go fails when a role is granted an action that
// this list does not cover; add it here in the same change, reviewed.
var BoundaryActions = []string{
	// The SPA's deployment: CDK's BucketDeployment invalidates the CloudFront cache.
	"cloudfront:CreateInvalidation", "cloudfront:GetInvalidation",
	// CodeDeploy's pre-traffic check reads its deployment and reports.
	"codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus",
	// CodeDeploy reads the alarms that roll a deployment back.
	"cloudwatch:DescribeAlarms",
	// The functions' table access (stacks.TableActions).
	"dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem",
	// Functions in the VPC (Lambda's network interfaces), CDK's removal of the default
	// security group's rules, and the DynamoDB prefix-list look-up.
	"ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
	"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:UnassignPrivateIpAddresses",
	"ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress",
	"ec2:RevokeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress", "ec2:DescribeManagedPrefixLists",
	// Customer-managed keys of the table, logs, topic and buckets.
	"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*",
	// CodeDeploy moves the live aliases; the pre-traffic check invokes new versions.
	"lambda:GetAlias", "lambda:GetProvisionedConcurrencyConfig", "lambda:InvokeFunction", "lambda:UpdateAlias",
	// Every function's and CDK handler's logs; API Gateway's execution logs.
	"logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams",
	"logs:FilterLogEvents", "logs:GetLogEvents", "logs:PutLogEvents",
	// The site bucket (BucketDeployment) and CDK's auto-delete of throw-away buckets.
	"s3:Abort*", "s3:DeleteObject*", "s3:GetBucket*", "s3:GetObject*", "s3:List*", "s3:PutBucketPolicy",
	"s3:PutObject", "s3:PutObjectLegalHold", "s3:PutObjectRetention", "s3:PutObjectTagging", "s3:PutObjectVersionTagging",
	// The cursor key.
	"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
	// Active tracing.
	"xray:PutTelemetryRecords", "xray:PutTraceSegments",
}

// BoundaryDenies are what no role of the app may do, whatever it is granted: change
// identities or the account, assume roles, or destroy what holds the audit trail and
// the data.
var BoundaryDenies = []string{
	"iam:*", "organizations:*", "account:*", "sts:AssumeRole",
	"kms:CreateGrant", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion",
	"dynamodb:DeleteTable", "dynamodb:UpdateContinuousBackups",
	"s3:DeleteBucket", "s3:PutBucketPublicAccessBlock", "ec2:CreateVpc", "ec2:DeleteVpc",
	"logs:DeleteLogGroup", "logs:PutRetentionPolicy", "lambda:UpdateFunctionCode", "lambda:AddPermission",
}

// BaseProps configures the Base stack.
type BaseProps struct {
	awscdk.StackProps
	App string
	Env config.Environment
}

// NewBaseStack makes the Base stack.
func NewBaseStack(scope constructs.Construct, id string, props *BaseProps) *BaseStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	e := props.Env
	prefix := props.App + "-" + e.Name

	key := logging.NewKey(stack, "LogKey", &logging.KeyProps{Alias: "alias/" + prefix + "-logs", Destroy: e.Destroy()})
	accessLogs := bucket.New(stack, "AccessLogs", &bucket.Props{LogBucket: true, EncryptionKey: key, Destroy: e.Destroy(), ExpireAfterDays: 365})
	nag.Suppress(accessLogs, false, "AwsSolutions-S1", "This bucket is the destination of server access logs; logging it into itself would recurse.")

	if e.Trail() {
		audittrail.New(stack, "AuditTrail", &audittrail.Props{
			Key: key, AccessLogs: accessLogs, LogRetentionDays: max(e.LogRetentionDays, 365), Destroy: e.Destroy(),
		})
	}
	net := network.New(stack, "Network", endpointPolicies(stack, props.App, e, &network.Props{
		Key: key, Zones: e.Zones, LogRetentionDays: e.LogRetentionDays, Destroy: e.Destroy(),
	}))

	// API Gateway writes execution logs through one role per account and region.
	apigwaccount.New(stack, "ApiGateway", nil)

	permissions := boundary.New(stack, "PermissionsBoundary", &boundary.Props{
		Name:        deploypolicy.BoundaryName(props.App, e.Name),
		Description: "Maximum permissions of every role of " + prefix,
		Allow:       BoundaryActions,
		Deny:        BoundaryDenies,
	})
	return &BaseStack{Stack: stack, LogKey: key, Network: net, Boundary: permissions.ManagedPolicy}
}

// endpointPolicies limits what may pass the VPC's endpoints to this environment's
// resources in this account: the table actions the functions use on the environment's
// tables (CloudFormation names them <app>-<env>-data-...), S3 in this account only, and,
// for private functions, an interface endpoint to Secrets Manager that reads only the
// secrets tagged with this app and environment.
func endpointPolicies(stack awscdk.Stack, app string, e config.Environment, p *network.Props) *network.Props {
	account, region := *stack.Account(), *stack.Region()
	inAccount := map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": account}}
	var tableActions []string
	for _, access := range []api.Access{api.ReadTable, api.ReadWriteTable} {
		for _, a := range TableActions[access] {
			if !slices.Contains(tableActions, a) {
				tableActions = append(tableActions, a)
			}
		}
	}
	p.DynamoDBPolicy = []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("EnvironmentTables"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings(tableActions...),
		Resources:  jsii.Strings(fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s-%s-*", region, account, app, e.Name)),
		Conditions: &inAccount,
	})}
	p.S3Policy = []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("ThisAccountOnly"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("s3:GetObject", "s3:PutObject"),
		Resources:  jsii.Strings("arn:aws:s3:::*/*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": account, "aws:ResourceAccount": account}},
	})}
	if e.Private() {
		p.InterfaceEndpoints = map[string]network.InterfaceEndpoint{
			"SecretsManager": {
				Service: awsec2.InterfaceVpcEndpointAwsService_SECRETS_MANAGER(),
				Policy: []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Sid:        jsii.String("EnvironmentSecrets"),
					Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
					Actions:    jsii.Strings("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"),
					Resources:  jsii.Strings(fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:*", region, account)),
					Conditions: &map[string]any{"StringEquals": map[string]any{
						"aws:PrincipalAccount": account, "aws:ResourceTag/app": app, "aws:ResourceTag/environment": e.Name,
					}},
				})},
			},
		}
		p.LookUpDynamoDBPrefixList = true
	}
	return p
}
