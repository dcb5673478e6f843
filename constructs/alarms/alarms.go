// Package alarms tells the on-call person when the API fails: an encrypted, TLS-only SNS
// topic with an optional e-mail subscription, and alarms on function errors and
// throttles, on API server errors and latency, and, from the functions' request logs, on
// 5xx answers by cause: the functions' own errors (500, bugs) apart from dependency
// failures (503 throttled or unavailable, 504 timeout).
//
// Which alarms roll a deployment back is decided here too (OnNewVersion, OnAPI,
// OnRequestLogs return them): what a new version can cause (its errors, crashes and
// throttles, 500 answers, a slower API). Not a dependency that throttles or fails: the old
// version would meet the same DynamoDB, and a rollback would only add a deployment to
// an incident.
package alarms

import (
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
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

	action    awscloudwatch.IAlarmAction
	namespace string
}

// Props configures the alarms.
type Props struct {
	// Email receives the notifications once confirmed. Default: no subscription.
	Email string
	// Destroy deletes the topic key with the stack. Default: false, retained.
	Destroy bool
	// Namespace is the CloudWatch namespace of the metrics that OnRequestLogs derives
	// from the functions' logs. Default: the stack's name.
	Namespace string
}

// namespacePattern is what CloudWatch accepts as a custom namespace (not "AWS/...").
var namespacePattern = regexp.MustCompile(`^[A-Za-z0-9.\-_/#: ]{1,255}$`)

func (p *Props) validate() error {
	var errs []error
	if p.Email != "" {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email {
			errs = append(errs, fmt.Errorf("alarms: Email %q: allowed is a plain address such as ops@example.com", p.Email))
		}
	}
	if p.Namespace != "" && (!namespacePattern.MatchString(p.Namespace) || strings.HasPrefix(p.Namespace, "AWS/")) {
		errs = append(errs, fmt.Errorf("alarms: Namespace %q: allowed is 1-255 of A-Z a-z 0-9 . - _ / # : and space, not starting with AWS/", p.Namespace))
	}
	return errors.Join(errs...)
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
	namespace := props.Namespace
	if namespace == "" {
		namespace = *awscdk.Stack_Of(c).StackName()
	}
	return &Alarms{Construct: c, Topic: topic, action: awscloudwatchactions.NewSnsAction(topic), namespace: namespace}
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
// returns the alarms a gradual deployment rolls back on: the latency only. Any 5xx
// notifies, whatever its cause; the alarms of OnRequestLogs say which cause, and the one
// a new version can cause (its 500s) rolls back.
func (a *Alarms) OnAPI(api awsapigateway.RestApi, p99Millis float64) []awscloudwatch.IAlarm {
	a.add("Api5xx", api.MetricServerError(fiveMinutes()), 1,
		"The API answered 5xx: the InternalErrors and Dependency* alarms (and the dashboard's 5xx by cause) say whether a function failed or a dependency throttled, failed or timed out")
	latency := a.add("ApiLatency", api.MetricLatency(&awscloudwatch.MetricOptions{
		Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("p99"),
	}), p99Millis, fmt.Sprintf("The API's p99 latency is above %.0f ms", p99Millis))
	return []awscloudwatch.IAlarm{latency}
}

// The log lines that the functions write (lambdas/internal/httpapi, router.go): one
// "request" line per request with its status, and a WARN "dependency failed" line, with
// the failure kind, for every request answered 503 or 504 because of a dependency.
const (
	RequestMessage          = "request"
	DependencyFailedMessage = "dependency failed"
	FailureThrottled        = "throttled"   // 503 unavailable: throttled after the SDK's retries
	FailureUnavailable      = "unavailable" // 503 unavailable: a 5xx, reset or refused connection
	FailureTimeout          = "timeout"     // 504 timeout: the request's time ran out
)

// Metric names of OnRequestLogs, in Props.Namespace.
const (
	MetricInternalErrors        = "InternalErrors"
	MetricDependencyThrottled   = "DependencyThrottled"
	MetricDependencyUnavailable = "DependencyUnavailable"
	MetricDependencyTimeouts    = "DependencyTimeouts"
)

// FilterPatterns are the CloudWatch Logs filter patterns (JSON syntax) of each metric:
// a 500 answer (a handler's error or panic: a bug, a denied permission, a missing
// resource), and each kind of dependency failure.
var FilterPatterns = map[string]string{
	MetricInternalErrors:        `{ ($.msg = "` + RequestMessage + `") && ($.status = 500) }`,
	MetricDependencyThrottled:   `{ ($.msg = "` + DependencyFailedMessage + `") && ($.failure = "` + FailureThrottled + `") }`,
	MetricDependencyUnavailable: `{ ($.msg = "` + DependencyFailedMessage + `") && ($.failure = "` + FailureUnavailable + `") }`,
	MetricDependencyTimeouts:    `{ ($.msg = "` + DependencyFailedMessage + `") && ($.failure = "` + FailureTimeout + `") }`,
}

// failureMetrics are the metrics in the order they are made and drawn, with their labels.
var failureMetrics = []struct{ name, label string }{
	{MetricInternalErrors, "errors (500)"},
	{MetricDependencyThrottled, "dependency throttled (503)"},
	{MetricDependencyUnavailable, "dependency unavailable (503)"},
	{MetricDependencyTimeouts, "timeouts (504)"},
}

// Failures are the request-log metrics, five-minute sums labelled for a graph.
type Failures struct {
	// Errors counts 500 answers: what a bug or a broken deployment causes.
	Errors awscloudwatch.IMetric
	// Throttled, Unavailable and Timeouts count the 503 and 504 answers caused by a
	// dependency (DynamoDB, Secrets Manager) that throttled, failed or was too slow.
	Throttled, Unavailable, Timeouts awscloudwatch.IMetric
}

// All returns the metrics in graph order: errors first, then the dependency causes.
func (f *Failures) All() []awscloudwatch.IMetric {
	return []awscloudwatch.IMetric{f.Errors, f.Throttled, f.Unavailable, f.Timeouts}
}

// OnRequestLogs counts the functions' request logs by cause (a metric filter per log
// group and metric, all functions summed into one metric each) and alarms on each cause:
// any 500 in five minutes (InternalErrors), and any dependency failure of each kind
// (DependencyThrottled, DependencyUnavailable, DependencyTimeouts), with the same
// sensitivity as Api5xx so that each 5xx page comes with its cause. It returns the
// metrics, and the alarms a gradual deployment rolls back on: InternalErrors only.
// Dependency failures notify but never roll back: a throttled or failing DynamoDB is not
// the new version's doing, the old version would answer the same 503s, and a rollback
// during an incident only adds a deployment to it.
func (a *Alarms) OnRequestLogs(groups map[string]awslogs.ILogGroup) (*Failures, []awscloudwatch.IAlarm) {
	if len(groups) == 0 {
		panic(errors.New("alarms: OnRequestLogs: no log groups: give every function's log group"))
	}
	metrics := map[string]awscloudwatch.Metric{} // alarmed: plain metrics
	labels := map[string]awscloudwatch.IMetric{} // drawn: labelled
	for _, m := range failureMetrics {
		for _, name := range slices.Sorted(maps.Keys(groups)) {
			awslogs.NewMetricFilter(a.Construct, jsii.String(name+m.name+"Filter"), &awslogs.MetricFilterProps{
				LogGroup:        groups[name],
				FilterPattern:   awslogs.FilterPattern_Literal(jsii.String(FilterPatterns[m.name])),
				MetricNamespace: jsii.String(a.namespace),
				MetricName:      jsii.String(m.name),
				MetricValue:     jsii.String("1"),
				Unit:            awscloudwatch.Unit_COUNT,
			})
		}
		metrics[m.name] = awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String(a.namespace), MetricName: jsii.String(m.name),
			Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum"),
		})
		labels[m.name] = metrics[m.name].With(&awscloudwatch.MetricOptions{Label: jsii.String(m.label)})
	}
	errs := a.add("InternalErrors", metrics[MetricInternalErrors], 1,
		"A function answered 500 internal_error (a bug, a denied permission, a missing resource): CodeDeploy rolls a deployment back")
	a.add("DependencyThrottled", metrics[MetricDependencyThrottled], 1,
		"DynamoDB or Secrets Manager throttled after the SDK's retries: clients got 503 with Retry-After. Not a rollback reason: find the traffic or the capacity")
	a.add("DependencyUnavailable", metrics[MetricDependencyUnavailable], 1,
		"DynamoDB or Secrets Manager failed (5xx, reset or refused connection) after the SDK's retries: clients got 503 with Retry-After. Not a rollback reason: check the AWS Health Dashboard and the VPC endpoints")
	a.add("DependencyTimeouts", metrics[MetricDependencyTimeouts], 1,
		"Requests ran out of time waiting for a dependency: clients got 504 timeout. Not a rollback reason by itself: ApiLatency rolls back a version that is slow")
	return &Failures{
		Errors: labels[MetricInternalErrors], Throttled: labels[MetricDependencyThrottled],
		Unavailable: labels[MetricDependencyUnavailable], Timeouts: labels[MetricDependencyTimeouts],
	}, []awscloudwatch.IAlarm{errs}
}
