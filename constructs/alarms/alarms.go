// Package alarms tells the on-call person when the API fails: an encrypted, TLS-only SNS
// topic with an optional e-mail subscription, and alarms on function errors and
// throttles and on API server errors and latency.
package alarms

import (
	"fmt"
	"net/mail"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/key"
)

// Alarms is the alarm topic; add alarms with OnFunction and OnAPI.
type Alarms struct {
	constructs.Construct
	// Topic receives every alarm and OK transition (construct id "Resource").
	Topic awssns.ITopic
	// Alarms are the alarms made so far.
	Alarms []awscloudwatch.Alarm

	action awscloudwatch.IAlarmAction
}

// Props configures the alarms.
type Props struct {
	// Email receives the notifications once confirmed. Default: no subscription.
	Email string
	// Destroy deletes the topic key with the stack. Default: false, retained.
	Destroy bool
}

func (p *Props) validate() error {
	if p.Email == "" {
		return nil
	}
	if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email {
		return fmt.Errorf("alarms: Email %q: allowed is a plain address such as ops@example.com", p.Email)
	}
	return nil
}

// New makes the topic.
func New(scope constructs.Construct, id string, props *Props) *Alarms {
	if props == nil {
		props = &Props{}
	}
	if err := props.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	k := key.New(c, "Key", &key.Props{Description: "Encrypts alarm notifications", Destroy: props.Destroy})
	// CloudWatch publishes to the encrypted topic, so it needs the key.
	k.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarms"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": *awscdk.Stack_Of(c).Account()},
		},
	}), jsii.Bool(false))
	topic := awssns.NewTopic(c, jsii.String("Resource"), &awssns.TopicProps{
		MasterKey:  k,
		EnforceSSL: jsii.Bool(true),
	})
	if props.Email != "" {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(props.Email), nil))
	}
	return &Alarms{Construct: c, Topic: topic, action: awscloudwatchactions.NewSnsAction(topic)}
}

func (a *Alarms) add(id string, metric awscloudwatch.IMetric, threshold float64, description string) awscloudwatch.Alarm {
	alarm := awscloudwatch.NewAlarm(a.Construct, jsii.String(id), &awscloudwatch.AlarmProps{
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		AlarmDescription:   jsii.String(description),
	})
	alarm.AddAlarmAction(a.action)
	alarm.AddOkAction(a.action)
	a.Alarms = append(a.Alarms, alarm)
	return alarm
}

// fiveMinutes is a five-minute sum. A function, not a package variable: a jsii value made
// at package init would start the jsii kernel in every program that imports this package.
func fiveMinutes() *awscloudwatch.MetricOptions {
	return &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}
}

// OnFunction alarms on any error or throttle of the function in five minutes.
func (a *Alarms) OnFunction(name string, fn awslambda.IFunction) {
	a.add(name+"Errors", fn.MetricErrors(fiveMinutes()), 1, name+" returned an error or crashed (API Gateway answered 502)")
	a.add(name+"Throttles", fn.MetricThrottles(fiveMinutes()), 1, name+" was throttled: raise its concurrency or find the traffic")
}

// OnNewVersion alarms on any error or throttle, within a minute, of the version an
// alias is moving to: the alarms that roll back a gradual deployment. The version is
// the metric's ExecutedVersion dimension, so each deploy re-points the alarms at the
// version it brings.
func (a *Alarms) OnNewVersion(name string, fn awslambda.IFunction, alias awslambda.IAlias, version awslambda.IVersion) []awscloudwatch.IAlarm {
	dims := &map[string]*string{
		"FunctionName":    fn.FunctionName(),
		"Resource":        awscdk.Fn_Join(jsii.String(":"), &[]*string{fn.FunctionName(), alias.AliasName()}),
		"ExecutedVersion": version.Version(),
	}
	metric := func(m string) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/Lambda"), MetricName: jsii.String(m), DimensionsMap: dims,
			Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Sum"),
		})
	}
	errs := a.add(name+"NewVersionErrors", metric("Errors"), 1, name+"'s new version returned an error or crashed: CodeDeploy rolls the alias back")
	throttles := a.add(name+"NewVersionThrottles", metric("Throttles"), 1, name+"'s new version was throttled: CodeDeploy rolls the alias back")
	return []awscloudwatch.IAlarm{errs, throttles}
}

// OnAPI alarms on server errors and on a p99 latency above the given milliseconds, and
// returns both: a gradual deployment rolls back on them too.
func (a *Alarms) OnAPI(api awsapigateway.RestApi, p99Millis float64) []awscloudwatch.IAlarm {
	errs := a.add("Api5xx", api.MetricServerError(fiveMinutes()), 1, "The API answered 5xx")
	latency := a.add("ApiLatency", api.MetricLatency(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("p99"),
	}), p99Millis, fmt.Sprintf("The API's p99 latency is above %.0f ms", p99Millis))
	return []awscloudwatch.IAlarm{errs, latency}
}
