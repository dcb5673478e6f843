package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/audittrail"
	"github.com/example/notesplatform/constructs/bucket"
	"github.com/example/notesplatform/constructs/logging"
	"github.com/example/notesplatform/constructs/nag"
	"github.com/example/notesplatform/constructs/network"
	"github.com/example/notesplatform/stacks/config"
)

// BaseStack holds what the other stacks of an environment rely on and what an auditor
// asks for: the audit trail, the network, the log key and the permissions boundary.
type BaseStack struct {
	awscdk.Stack
	// LogKey encrypts every log group and the trail of the environment.
	LogKey awskms.IKey
	// Vpc is the private network.
	Vpc awsec2.IVpc
	// Boundary is the permissions boundary that every role of the environment carries.
	Boundary awsiam.IManagedPolicy
}

// BoundaryServices are the services whose actions the roles of the app may ever be
// granted; the boundary allows nothing else.
var BoundaryServices = []string{
	"logs", "xray", "dynamodb", "kms", "s3", "secretsmanager", "cloudfront", "ec2",
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
	accessLogs := bucket.New(stack, "AccessLogs", &bucket.Props{LogBucket: true, Destroy: e.Destroy(), ExpireAfterDays: 365})
	nag.Suppress(accessLogs, false, "AwsSolutions-S1", "This bucket is the destination of server access logs; logging it into itself would recurse.")

	if e.Trail() {
		audittrail.New(stack, "AuditTrail", &audittrail.Props{
			Key: key, AccessLogs: accessLogs, LogRetentionDays: max(e.LogRetentionDays, 365), Destroy: e.Destroy(),
		})
	}
	net := network.New(stack, "Network", &network.Props{
		Key: key, Zones: e.Zones, LogRetentionDays: e.LogRetentionDays, Destroy: e.Destroy(),
	})

	// API Gateway writes execution logs through one role per account and region.
	apiLogsRole := awsiam.NewRole(stack, jsii.String("ApiGatewayLogsRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("apigateway.amazonaws.com"), nil),
		Description: jsii.String("Lets API Gateway write execution and access logs in this region"),
	})
	logGroups := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:*", *stack.Partition(), *stack.Region(), *stack.Account())
	apiLogsRole.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups",
			"logs:DescribeLogStreams", "logs:PutLogEvents", "logs:GetLogEvents", "logs:FilterLogEvents"),
		Resources: jsii.Strings(logGroups),
	}))
	nag.Suppress(apiLogsRole, true, "AwsSolutions-IAM5",
		"API Gateway names execution log groups API-Gateway-Execution-Logs_<api id>/<stage> itself; the role is limited to log groups of this account and region.",
		"Resource::"+logGroups)
	account := awsapigateway.NewCfnAccount(stack, jsii.String("ApiGatewayAccount"), &awsapigateway.CfnAccountProps{
		CloudWatchRoleArn: apiLogsRole.RoleArn(),
	})
	account.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)

	boundary := awsiam.NewManagedPolicy(stack, jsii.String("PermissionsBoundary"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(BoundaryName(props.App, e.Name)),
		Description:       jsii.String("Maximum permissions of every role of " + prefix),
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("AppServices"),
				Actions:   serviceActions(BoundaryServices),
				Resources: jsii.Strings("*"),
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:    jsii.String("NoIdentityOrAccountChanges"),
				Effect: awsiam.Effect_DENY,
				Actions: jsii.Strings("iam:*", "organizations:*", "account:*", "sts:AssumeRole",
					"kms:CreateGrant", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion",
					"dynamodb:DeleteTable", "dynamodb:UpdateContinuousBackups",
					"s3:DeleteBucket", "s3:PutBucketPublicAccessBlock", "ec2:CreateVpc", "ec2:DeleteVpc",
					"logs:DeleteLogGroup", "logs:PutRetentionPolicy", "lambda:UpdateFunctionCode", "lambda:AddPermission"),
				Resources: jsii.Strings("*"),
			}),
		},
	})
	nag.Suppress(boundary, false, "AwsSolutions-IAM5",
		"A permissions boundary caps what roles may be granted; it grants nothing itself. Each role's own policy names exact resources.",
		serviceWildcards(BoundaryServices)...)
	return &BaseStack{Stack: stack, LogKey: key, Vpc: net.Vpc, Boundary: boundary}
}

// BoundaryName is the fixed name of the permissions boundary, so the deploy policy can
// require it on every role the pipeline creates.
func BoundaryName(app, env string) string { return app + "-" + env + "-permissions-boundary" }

func serviceActions(services []string) *[]*string {
	out := make([]*string, len(services))
	for i, s := range services {
		out[i] = jsii.String(s + ":*")
	}
	return &out
}

func serviceWildcards(services []string) []string {
	out := []string{"Resource::*"}
	for _, s := range services {
		out = append(out, "Action::"+s+":*")
	}
	return out
}
