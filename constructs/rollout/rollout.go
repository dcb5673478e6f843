// Package rollout moves a function's alias to each new version through CodeDeploy: all
// at once, as a canary or linearly, with an optional pre-traffic check of the new
// version, and an automatic rollback when one of the given alarms fires or the
// deployment fails. The CodeDeploy role is ours, with only what a Lambda deployment needs.
package rollout

import (
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/nag"
)

// Style is one of CodeDeploy's predefined Lambda deployment configurations.
type Style string

// The styles.
const (
	AllAtOnce                   Style = "allAtOnce"
	Canary10Percent5Minutes     Style = "canary10Percent5Minutes"
	Linear10PercentEvery1Minute Style = "linear10PercentEvery1Minute"
)

var styles = map[Style]func() awscodedeploy.ILambdaDeploymentConfig{
	AllAtOnce:                   awscodedeploy.LambdaDeploymentConfig_ALL_AT_ONCE,
	Canary10Percent5Minutes:     awscodedeploy.LambdaDeploymentConfig_CANARY_10PERCENT_5MINUTES,
	Linear10PercentEvery1Minute: awscodedeploy.LambdaDeploymentConfig_LINEAR_10PERCENT_EVERY_1MINUTE,
}

// Rollout is the deployment group of one alias.
type Rollout struct {
	constructs.Construct
	// Group is the CodeDeploy deployment group (construct id "Resource").
	Group awscodedeploy.ILambdaDeploymentGroup
	// Role is the role CodeDeploy deploys with.
	Role awsiam.IRole
}

// Props configures a rollout.
type Props struct {
	// Application groups the deployment groups of a stack. Required.
	Application awscodedeploy.ILambdaApplication
	// Function and Alias are what is deployed; Alias must be an alias of Function.
	// Required.
	Function awslambda.IFunction
	Alias    awslambda.Alias
	// Style is how traffic moves. Default: AllAtOnce.
	Style Style
	// Alarms roll the deployment back when one fires. Default: none (rollback only on a
	// failed deployment).
	Alarms []awscloudwatch.IAlarm
	// PreTrafficHook checks the new version before it gets traffic and reports to
	// CodeDeploy. Default: none.
	PreTrafficHook awslambda.IFunction
}

func (p *Props) validate() error {
	var errs []error
	if p.Application == nil || p.Function == nil || p.Alias == nil {
		errs = append(errs, errors.New("rollout: Application, Function and Alias are required"))
	}
	if _, ok := styles[p.Style]; !ok && p.Style != "" {
		known := make([]string, 0, len(styles))
		for s := range styles {
			known = append(known, string(s))
		}
		slices.Sort(known)
		errs = append(errs, fmt.Errorf("rollout: Style %q: allowed are %q", p.Style, known))
	}
	return errors.Join(errs...)
}

// New makes the deployment group.
func New(scope constructs.Construct, id string, props *Props) *Rollout {
	if props == nil {
		props = &Props{}
	}
	if err := props.validate(); err != nil {
		panic(err)
	}
	style := props.Style
	if style == "" {
		style = AllAtOnce
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	// CDK attaches AWS's AWSCodeDeployRoleForLambdaLimited to a role it may change; an
	// immutable view of our own role keeps the grants to exactly these.
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("codedeploy.amazonaws.com"), nil),
		Description: jsii.String("CodeDeploy moves the live alias of one function between its versions"),
	})
	fnArn := props.Function.FunctionArn()
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("MoveTheAlias"),
		Actions:   jsii.Strings("lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"),
		Resources: &[]*string{fnArn, jsii.String(*fnArn + ":*")},
	}))
	if len(props.Alarms) > 0 {
		var arns []*string
		for _, a := range props.Alarms {
			arns = append(arns, a.AlarmArn())
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("WatchTheAlarms"),
			Actions:   jsii.Strings("cloudwatch:DescribeAlarms"),
			Resources: &arns,
		}))
	}
	if props.PreTrafficHook != nil {
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("RunTheHook"),
			Actions:   jsii.Strings("lambda:InvokeFunction"),
			Resources: &[]*string{props.PreTrafficHook.FunctionArn()},
		}))
	}
	nag.Suppress(role, true, "AwsSolutions-IAM5",
		"CodeDeploy reads and moves the alias of this one function: the alias is named by the function's ARN with a qualifier (<function arn>:live).",
		"Resource::<"+logicalID(props.Function)+".Arn>:*")
	alarmRefs := make([]interfacesawscloudwatch.IAlarmRef, len(props.Alarms))
	for i, a := range props.Alarms {
		alarmRefs[i] = a
	}
	group := awscodedeploy.NewLambdaDeploymentGroup(c, jsii.String("Resource"), &awscodedeploy.LambdaDeploymentGroupProps{
		Application:      props.Application,
		Alias:            props.Alias,
		DeploymentConfig: styles[style](),
		Alarms:           &alarmRefs,
		PreHook:          props.PreTrafficHook,
		Role:             role.WithoutPolicyUpdates(nil),
		AutoRollback: &awscodedeploy.AutoRollbackConfig{
			FailedDeployment:  jsii.Bool(true),
			StoppedDeployment: jsii.Bool(true),
			DeploymentInAlarm: jsii.Bool(len(props.Alarms) > 0),
		},
	})
	return &Rollout{Construct: c, Group: group, Role: role}
}

// logicalID is the logical id of a function made in this app, for nag's appliesTo.
func logicalID(fn awslambda.IFunction) string {
	cfn, ok := fn.Node().DefaultChild().(awscdk.CfnElement)
	if !ok {
		return ""
	}
	return *awscdk.Stack_Of(fn).GetLogicalId(cfn)
}
