// Package logging makes the encrypted, retained log groups and the customer-managed log
// key that every part of the app writes to, so that retention and encryption are decided
// in one place.
package logging

import (
	"errors"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/key"
	"github.com/example/notesplatform/constructs/removal"
)

var retentions = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// Retention converts a number of days into the CDK enum; ok is false for a value that
// CloudWatch Logs does not accept.
func Retention(days int) (awslogs.RetentionDays, bool) {
	r, ok := retentions[days]
	return r, ok
}

// KeyProps configures the log key.
type KeyProps struct {
	// Alias of the key, e.g. "alias/notes-dev-logs". Default: no alias.
	Alias string
	// Destroy schedules the key for deletion with the stack. Default: false, retained.
	Destroy bool
}

// NewKey makes a customer-managed key with yearly rotation that CloudWatch Logs (any log
// group of this account and region), S3 server access logging and log delivery (AllowLogs)
// and CloudTrail (trails of this account) may use.
func NewKey(scope constructs.Construct, id string, props *KeyProps) awskms.Key {
	if props == nil {
		props = &KeyProps{}
	}
	k := key.New(scope, id, &key.Props{
		Description: "Encrypts the logs and audit trail of this environment", Alias: props.Alias, Destroy: props.Destroy,
	})
	AllowLogs(k)
	stack := awscdk.Stack_Of(scope)
	trailArn := fmt.Sprintf("arn:%s:cloudtrail:*:%s:trail/*", *stack.Partition(), *stack.Account())
	k.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudTrailOfThisAccount"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudtrail.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()},
			"StringLike":   map[string]interface{}{"kms:EncryptionContext:aws:cloudtrail:arn": trailArn},
		},
	}), jsii.Bool(false))
	k.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudTrailDescribeKey"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudtrail.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:DescribeKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": *stack.Account()},
		},
	}), jsii.Bool(false))
	return k
}

// AllowLogs lets the services that write this account's logs use a key of the key's stack:
// CloudWatch Logs for the log groups of the account and region (a log group's KmsKeyId);
// and, because a log bucket encrypted with the key receives objects they write,
// S3 server access logging (logging.s3.amazonaws.com) and the log delivery service that
// writes CloudFront standard logs (delivery.logs.amazonaws.com). The two writers may only
// make data keys (encrypt), never decrypt what the bucket holds.
func AllowLogs(k awskms.IKey) {
	stack := awscdk.Stack_Of(k)
	logsArn := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:*", *stack.Partition(), *stack.Region(), *stack.Account())
	k.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchLogsOfThisAccount"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logs."+*stack.Region()+".amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{
			"ArnLike": map[string]interface{}{"kms:EncryptionContext:aws:logs:arn": logsArn},
		},
	}), jsii.Bool(false))
	k.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("LogDeliveryToEncryptedBuckets"),
		Principals: &[]awsiam.IPrincipal{
			awsiam.NewServicePrincipal(jsii.String("logging.s3.amazonaws.com"), nil),
			awsiam.NewServicePrincipal(jsii.String("delivery.logs.amazonaws.com"), nil),
		},
		Actions:   jsii.Strings("kms:GenerateDataKey*"),
		Resources: jsii.Strings("*"),
	}), jsii.Bool(false))
}

// LogGroupProps configures a log group.
type LogGroupProps struct {
	// Key encrypts the log events. Required: every log group of the app is encrypted.
	Key awskms.IKey
	// RetentionDays is how long events are kept; one of the CloudWatch Logs values.
	RetentionDays int
	// Name is the log group name. Default: generated by CloudFormation.
	Name string
	// Destroy deletes the log group with the stack. Default: false, retained.
	Destroy bool
}

func (p *LogGroupProps) validate() error {
	var errs []error
	if p.Key == nil {
		errs = append(errs, errors.New("logging: LogGroupProps.Key is required: every log group is encrypted"))
	}
	if _, ok := Retention(p.RetentionDays); !ok {
		errs = append(errs, fmt.Errorf("logging: RetentionDays %d: allowed are the CloudWatch Logs values (1, 3, 5, 7, 14, 30, ... 3653)", p.RetentionDays))
	}
	return errors.Join(errs...)
}

// NewLogGroup makes an encrypted log group with a retention period.
func NewLogGroup(scope constructs.Construct, id string, props *LogGroupProps) awslogs.LogGroup {
	if err := props.validate(); err != nil {
		panic(err)
	}
	retention, _ := Retention(props.RetentionDays)
	lp := &awslogs.LogGroupProps{
		EncryptionKey: props.Key,
		Retention:     retention,
		RemovalPolicy: removal.Policy(props.Destroy),
	}
	if props.Name != "" {
		lp.LogGroupName = jsii.String(props.Name)
	}
	return awslogs.NewLogGroup(scope, jsii.String(id), lp)
}

// AdoptFunctionLogs gives every Lambda function below scope that has no log group of its
// own (the handlers CDK adds for custom resources, such as bucket auto-delete or the
// default security group restriction) an encrypted log group with retention, so that no
// function of the app writes to a never-expiring, unencrypted /aws/lambda/... group.
// Call it once the stacks are complete. It returns how many functions it adopted.
func AdoptFunctionLogs(scope constructs.Construct, props *LogGroupProps) int {
	if err := props.validate(); err != nil {
		panic(err)
	}
	var orphans []awscdk.CfnResource
	for _, c := range *scope.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		r, ok := c.(awscdk.CfnResource)
		if !ok || *r.CfnResourceType() != "AWS::Lambda::Function" || hasLogGroup(c) {
			continue
		}
		orphans = append(orphans, r)
	}
	for _, r := range orphans {
		// CDK's providers are singletons with unique ids per stack: name the log group after one.
		lg := NewLogGroup(awscdk.Stack_Of(r), *r.Node().Scope().Node().Id()+"Logs", props)
		r.AddPropertyOverride(jsii.String("LoggingConfig.LogGroup"), lg.LogGroupName())
	}
	return len(orphans)
}

func hasLogGroup(c constructs.IConstruct) bool {
	fn, ok := c.(awslambda.CfnFunction)
	if !ok || fn.LoggingConfig() == nil {
		return false
	}
	switch cfg := fn.LoggingConfig().(type) {
	case *awslambda.CfnFunction_LoggingConfigProperty:
		return cfg.LogGroup != nil
	case map[string]interface{}:
		return cfg["logGroup"] != nil
	default:
		return true // a token: set by a higher-level construct
	}
}
