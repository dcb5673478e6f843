// Package apigwaccount gives API Gateway the role through which it writes execution and
// access logs to CloudWatch Logs. The setting belongs to the account and region, not to
// one API, so it is made once per environment and kept when its stack is deleted (other
// APIs of the region rely on it).
package apigwaccount

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/nag"
)

// Account is the role and the account-level setting that names it. Both are made in
// the given scope as <id>LogsRole and <id>Account, so their logical ids stay stable.
type Account struct {
	// Role is assumed by API Gateway to write logs.
	Role awsiam.IRole
	// Resource is the account setting (AWS::ApiGateway::Account).
	Resource awsapigateway.CfnAccount
}

// Props configures the role.
type Props struct {
	// RoleDescription is shown in the IAM console. Default: "Lets API Gateway write
	// execution and access logs in this region".
	RoleDescription string
}

func (p *Props) validate() error {
	if len(p.RoleDescription) > 1000 || strings.ContainsAny(p.RoleDescription, "\r\n\t") {
		return fmt.Errorf("apigwaccount: RoleDescription %q: allowed is one line of at most 1000 characters", p.RoleDescription)
	}
	return nil
}

// LogActions are what API Gateway does with CloudWatch Logs: create its
// API-Gateway-Execution-Logs_<api>/<stage> groups and write to them.
var LogActions = []string{
	"logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups",
	"logs:DescribeLogStreams", "logs:PutLogEvents", "logs:GetLogEvents", "logs:FilterLogEvents",
}

// New makes the role and the account setting.
func New(scope constructs.Construct, id string, props *Props) *Account {
	if props == nil {
		props = &Props{}
	}
	if err := props.validate(); err != nil {
		panic(err)
	}
	stack := awscdk.Stack_Of(scope)
	role := awsiam.NewRole(scope, jsii.String(id+"LogsRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("apigateway.amazonaws.com"), nil),
		Description: jsii.String(cmp.Or(props.RoleDescription, "Lets API Gateway write execution and access logs in this region")),
	})
	logGroups := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:*", *stack.Partition(), *stack.Region(), *stack.Account())
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings(LogActions...),
		Resources: jsii.Strings(logGroups),
	}))
	nag.Suppress(role, true, "AwsSolutions-IAM5",
		"API Gateway names execution log groups API-Gateway-Execution-Logs_<api id>/<stage> itself; the role is limited to log groups of this account and region.",
		"Resource::"+logGroups)
	account := awsapigateway.NewCfnAccount(scope, jsii.String(id+"Account"), &awsapigateway.CfnAccountProps{
		CloudWatchRoleArn: role.RoleArn(),
	})
	account.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	return &Account{Role: role, Resource: account}
}
