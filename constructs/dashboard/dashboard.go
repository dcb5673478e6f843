// Package dashboard makes one CloudWatch dashboard per environment from the resources it is
// given: the API stage, every function (with its log group), the table, the distribution
// and the alarms; and, for the pipeline, its CodeBuild projects (such as the pull-request
// check: results and duration). The widgets are generated from those inputs, so a new
// function, alarm or build appears on the dashboard without anyone editing it.
package dashboard

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Dashboard is the CloudWatch dashboard and its console URL.
type Dashboard struct {
	constructs.Construct
	// Dashboard is the dashboard (construct id "Resource").
	Dashboard awscloudwatch.Dashboard
	// URL opens the dashboard in the CloudWatch console of the stack's region (commercial
	// partition): the value of a stack output.
	URL *string
}

// Function is one Lambda function on the dashboard.
type Function struct {
	// Function supplies the AWS/Lambda metrics. Required.
	Function awslambda.IFunction
	// LogGroup holds the function's JSON request logs (one "request" line per request
	// with requestId, function, route, status and durationUs, as lambdas/internal/httpapi
	// writes them), read by the Logs Insights widgets. Required.
	LogGroup awslogs.ILogGroup
}

// Build is one CodeBuild project on the dashboard.
type Build struct {
	// Name titles the widgets, e.g. "Pull-request check". Required.
	Name string
	// Project supplies the AWS/CodeBuild metrics (by ProjectName). Required.
	Project awscodebuild.IProject
}

// Props configures the dashboard. Each resource adds its section; a resource left out
// leaves its section out.
type Props struct {
	// Name of the dashboard, e.g. "<app>-<env>". Required.
	Name string
	// APIStage is the REST API stage whose requests, errors and latency are shown (metrics
	// by ApiName and Stage). Default: no API section.
	APIStage awsapigateway.IStage
	// Functions by name (the name titles the widgets; rows are in name order).
	// Default: no function rows and no Logs Insights widgets.
	Functions map[string]Function
	// Table is the DynamoDB table whose capacity, throttles and latency are shown.
	// Default: no table section.
	Table awsdynamodb.ITable
	// TableOperations are the DynamoDB operations whose latency is shown (the Operation
	// dimension of SuccessfulRequestLatency). Default: GetItem, Query, PutItem,
	// UpdateItem and DeleteItem.
	TableOperations []string
	// Distribution is the CloudFront distribution whose requests and error rates are
	// shown; CloudFront publishes them in us-east-1 with Region=Global. Default: no
	// CloudFront section.
	Distribution awscloudfront.IDistribution
	// Alarms are shown in alarm status widgets, in the given order. Default: none.
	Alarms []awscloudwatch.IAlarm
	// Builds are CodeBuild projects whose results (succeeded and failed builds) and
	// durations are shown, one row each, in the given order. Default: none.
	Builds []Build
	// Failures count the API's 5xx answers by cause (each metric labelled, such as
	// "errors (500)" and "dependency throttled (503)"): they are drawn on one graph with
	// the API stage's 5XXError, so that a bug and a throttled dependency look different.
	// With Functions, a Logs Insights table next to it counts the dependency failures by
	// function and kind. Default: no such row.
	Failures []awscloudwatch.IMetric
	// SlowRequests is how many requests the "slowest requests" widget lists, and
	// FailedRequests how many the "failing requests" widget lists. Default: 20 and 50.
	SlowRequests, FailedRequests int
}

// Limits that CloudWatch enforces on a dashboard.
const (
	// MaxAlarmsPerWidget is how many alarm ARNs one alarm status widget may hold (the
	// "alarms" array of the dashboard body structure accepts 1-100).
	MaxAlarmsPerWidget = 100
	// MaxLogGroups is how many log groups one Logs Insights query may read (StartQuery's
	// logGroupNames holds at most 50).
	MaxLogGroups = 50
	// MaxWidgets is how many widgets a dashboard may hold.
	MaxWidgets = 500
	// maxQueryRows is the most rows a Logs Insights query may return (limit 10,000).
	maxQueryRows = 10000
)

// DefaultTableOperations are the item operations a serverless API calls.
var DefaultTableOperations = []string{"GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"}

// TableOperations are the values of the Operation dimension of DynamoDB's
// SuccessfulRequestLatency metric.
var TableOperations = []string{
	"BatchExecuteStatement", "BatchGetItem", "BatchWriteItem", "DeleteItem", "ExecuteStatement",
	"ExecuteTransaction", "GetItem", "GetRecords", "PutItem", "Query", "Scan",
	"TransactGetItems", "TransactWriteItems", "UpdateItem",
}

// namePattern is what PutDashboard accepts as a dashboard name.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

func (p *Props) withDefaults() Props {
	out := *p
	if len(out.TableOperations) == 0 {
		out.TableOperations = DefaultTableOperations
	}
	out.SlowRequests = cmp.Or(out.SlowRequests, 20)
	out.FailedRequests = cmp.Or(out.FailedRequests, 50)
	return out
}

func (p *Props) validate() error {
	var errs []error
	if !namePattern.MatchString(p.Name) {
		errs = append(errs, fmt.Errorf("dashboard: Name %q: allowed is 1-255 of A-Z a-z 0-9 - _", p.Name))
	}
	if p.APIStage == nil && len(p.Functions) == 0 && p.Table == nil && p.Distribution == nil && len(p.Alarms) == 0 && len(p.Builds) == 0 && len(p.Failures) == 0 {
		errs = append(errs, errors.New("dashboard: nothing to show: give at least one of APIStage, Functions, Table, Distribution, Alarms, Builds, Failures"))
	}
	for i, b := range p.Builds {
		if strings.TrimSpace(b.Name) == "" {
			errs = append(errs, fmt.Errorf("dashboard: Builds[%d].Name is empty: the name titles its widgets", i))
		}
		if b.Project == nil {
			errs = append(errs, fmt.Errorf("dashboard: Builds[%d] (%q): Project is required", i, b.Name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Functions)) {
		f := p.Functions[name]
		if strings.TrimSpace(name) == "" {
			errs = append(errs, errors.New("dashboard: Functions: a function has an empty name: the name titles its widgets"))
		}
		if f.Function == nil {
			errs = append(errs, fmt.Errorf("dashboard: Functions[%q].Function is required", name))
		}
		if f.LogGroup == nil {
			errs = append(errs, fmt.Errorf("dashboard: Functions[%q].LogGroup is required: the Logs Insights widgets read every function's request log", name))
		}
	}
	if n := len(p.Functions); n > MaxLogGroups {
		errs = append(errs, fmt.Errorf("dashboard: Functions: %d given: allowed is at most %d, the log groups one Logs Insights query can read", n, MaxLogGroups))
	}
	for i, a := range p.Alarms {
		if a == nil {
			errs = append(errs, fmt.Errorf("dashboard: Alarms[%d] is nil", i))
		}
	}
	for i, m := range p.Failures {
		if m == nil {
			errs = append(errs, fmt.Errorf("dashboard: Failures[%d] is nil", i))
		}
	}
	for _, op := range p.TableOperations {
		if !slices.Contains(TableOperations, op) {
			errs = append(errs, fmt.Errorf("dashboard: TableOperations %q: allowed are %s", op, strings.Join(TableOperations, ", ")))
		}
	}
	if p.SlowRequests < 1 || p.SlowRequests > maxQueryRows {
		errs = append(errs, fmt.Errorf("dashboard: SlowRequests %d: allowed is 1..%d (Logs Insights limit)", p.SlowRequests, maxQueryRows))
	}
	if p.FailedRequests < 1 || p.FailedRequests > maxQueryRows {
		errs = append(errs, fmt.Errorf("dashboard: FailedRequests %d: allowed is 1..%d (Logs Insights limit)", p.FailedRequests, maxQueryRows))
	}
	if n := p.widgetCount(); n > MaxWidgets {
		errs = append(errs, fmt.Errorf("dashboard: %d widgets for %d functions and %d alarms: allowed is at most %d per dashboard", n, len(p.Functions), len(p.Alarms), MaxWidgets))
	}
	return errors.Join(errs...)
}

// Widgets per section, for the dashboard's widget limit.
const (
	apiWidgets          = 3
	widgetsPerFunction  = 3
	tableWidgets        = 3
	distributionWidgets = 2
	logWidgets          = 2
	widgetsPerBuild     = 2
	failureWidgets      = 1 // and one more Logs Insights table with Functions
)

func (p *Props) widgetCount() int {
	n := 1 // the header
	if p.APIStage != nil {
		n += apiWidgets
	}
	n += (len(p.Alarms) + MaxAlarmsPerWidget - 1) / MaxAlarmsPerWidget
	if len(p.Failures) > 0 {
		n += failureWidgets
		if len(p.Functions) > 0 {
			n++
		}
	}
	n += widgetsPerFunction * len(p.Functions)
	if len(p.Functions) > 0 {
		n += logWidgets
	}
	if p.Table != nil {
		n += tableWidgets
	}
	if p.Distribution != nil {
		n += distributionWidgets
	}
	n += widgetsPerBuild * len(p.Builds)
	return n
}

// The widgets' shared settings: the grid's width in thirds and halves. (No jsii call at
// package level: importing the package must not start the jsii runtime.)
var (
	third  = jsii.Number(8)
	half   = jsii.Number(12)
	full   = jsii.Number(24)
	height = jsii.Number(6)
)

// fiveMinutes is the period of every metric.
func fiveMinutes() awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(5)) }

// CloudFrontRegion is where CloudFront publishes its metrics (dimension Region=Global).
const CloudFrontRegion = "us-east-1"

// New makes the dashboard.
func New(scope constructs.Construct, id string, props *Props) *Dashboard {
	if props == nil {
		props = &Props{}
	}
	p := props.withDefaults()
	if err := p.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	d := awscloudwatch.NewDashboard(c, jsii.String("Resource"), &awscloudwatch.DashboardProps{
		DashboardName:   jsii.String(p.Name),
		DefaultInterval: awscdk.Duration_Hours(jsii.Number(3)),
		PeriodOverride:  awscloudwatch.PeriodOverride_AUTO,
	})
	d.AddWidgets(header(&p))
	if p.APIStage != nil {
		d.AddWidgets(apiWidgetRow(p.APIStage)...)
	}
	for chunk := range slices.Chunk(p.Alarms, MaxAlarmsPerWidget) {
		alarms := make([]interfacesawscloudwatch.IAlarmRef, len(chunk))
		for i, a := range chunk {
			alarms[i] = a
		}
		d.AddWidgets(awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
			Title:  jsii.String("Alarms"),
			Alarms: &alarms,
			SortBy: awscloudwatch.AlarmStatusWidgetSortBy_STATE_UPDATED_TIMESTAMP,
			Width:  full,
			Height: jsii.Number(float64(2 + (len(chunk)+3)/4)),
		}))
	}
	names := slices.Sorted(maps.Keys(p.Functions))
	if len(p.Failures) > 0 {
		d.AddWidgets(failureWidgetRow(&p, names)...)
	}
	for _, name := range names {
		d.AddWidgets(functionWidgetRow(name, p.Functions[name].Function)...)
	}
	if p.Table != nil {
		d.AddWidgets(tableWidgetRow(p.Table, p.TableOperations)...)
	}
	if p.Distribution != nil {
		d.AddWidgets(distributionWidgetRow(p.Distribution)...)
	}
	for _, b := range p.Builds {
		d.AddWidgets(buildWidgetRow(b)...)
	}
	if len(names) > 0 {
		groups := make([]*string, len(names))
		for i, name := range names {
			groups[i] = p.Functions[name].LogGroup.LogGroupName()
		}
		d.AddWidgets(
			awscloudwatch.NewLogQueryWidget(&awscloudwatch.LogQueryWidgetProps{
				Title: jsii.String(fmt.Sprintf("Slowest requests (top %d)", p.SlowRequests)), LogGroupNames: &groups,
				QueryString: jsii.String(SlowestRequestsQuery(p.SlowRequests)),
				View:        awscloudwatch.LogQueryVisualizationType_TABLE, Width: half, Height: jsii.Number(8),
			}),
			awscloudwatch.NewLogQueryWidget(&awscloudwatch.LogQueryWidgetProps{
				Title: jsii.String(fmt.Sprintf("Failing requests and errors (latest %d)", p.FailedRequests)), LogGroupNames: &groups,
				QueryString: jsii.String(FailingRequestsQuery(p.FailedRequests)),
				View:        awscloudwatch.LogQueryVisualizationType_TABLE, Width: half, Height: jsii.Number(8),
			}),
		)
	}
	region := awscdk.Stack_Of(c).Region()
	url := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("https://"), region, jsii.String(".console.aws.amazon.com/cloudwatch/home?region="), region,
		jsii.String("#dashboards/dashboard/" + p.Name),
	})
	return &Dashboard{Construct: c, Dashboard: d, URL: url}
}

// failureWidgetRow draws the 5xx answers by cause next to the API's own 5XXError count,
// and, with the functions' log groups, tabulates the dependency failures by function and
// kind.
func failureWidgetRow(p *Props, names []string) []awscloudwatch.IWidget {
	metrics := slices.Clone(p.Failures)
	if p.APIStage != nil {
		dims := map[string]*string{"ApiName": p.APIStage.RestApi().RestApiName(), "Stage": p.APIStage.StageName()}
		metrics = append(metrics, metric("AWS/ApiGateway", "5XXError", "Sum", "all API 5xx (API Gateway)", dims))
	}
	width := full
	if len(names) > 0 {
		width = half
	}
	out := []awscloudwatch.IWidget{graph("API 5xx by cause: errors vs dependency failures", metrics, width)}
	if len(names) > 0 {
		groups := make([]*string, len(names))
		for i, name := range names {
			groups[i] = p.Functions[name].LogGroup.LogGroupName()
		}
		out = append(out, awscloudwatch.NewLogQueryWidget(&awscloudwatch.LogQueryWidgetProps{
			Title: jsii.String("Dependency failures by function and kind"), LogGroupNames: &groups,
			QueryString: jsii.String(DependencyFailuresQuery()),
			View:        awscloudwatch.LogQueryVisualizationType_TABLE, Width: half, Height: height,
		}))
	}
	return out
}

// DependencyFailuresQuery counts the functions' "dependency failed" lines by function and
// kind (throttled, unavailable, timeout).
func DependencyFailuresQuery() string {
	return strings.Join([]string{
		`filter msg = "dependency failed"`,
		`stats count(*) as failures by function, failure`,
		`sort failures desc`,
	}, "\n| ")
}

// SlowestRequestsQuery lists the slowest requests from the functions' request lines.
func SlowestRequestsQuery(limit int) string {
	return strings.Join([]string{
		`fields @timestamp, function, method, route, status, durationUs / 1000 as durationMs, requestId`,
		`filter msg = "request"`,
		`sort durationUs desc`,
		fmt.Sprintf(`limit %d`, limit),
	}, "\n| ")
}

// FailingRequestsQuery lists requests answered with a 5xx and every error line (a
// handler's "request failed" or "handler panicked" carries the same requestId).
func FailingRequestsQuery(limit int) string {
	return strings.Join([]string{
		`fields @timestamp, function, method, route, status, durationUs / 1000 as durationMs, requestId, msg, error`,
		`filter (msg = "request" and status >= 500) or level = "ERROR"`,
		`sort @timestamp desc`,
		fmt.Sprintf(`limit %d`, limit),
	}, "\n| ")
}

func header(p *Props) awscloudwatch.IWidget {
	var sections []string
	if p.APIStage != nil {
		sections = append(sections, "API stage")
	}
	if len(p.Alarms) > 0 {
		sections = append(sections, "alarms")
	}
	if len(p.Failures) > 0 {
		sections = append(sections, "API 5xx by cause (errors roll a deployment back; dependency throttling, failures and timeouts do not)")
	}
	if len(p.Functions) > 0 {
		sections = append(sections, "one row per function (invocations, errors, throttles, duration, concurrency)")
	}
	if p.Table != nil {
		sections = append(sections, "DynamoDB table")
	}
	if p.Distribution != nil {
		sections = append(sections, "CloudFront (us-east-1 metrics)")
	}
	for _, b := range p.Builds {
		sections = append(sections, b.Name+": results and duration")
	}
	if len(p.Functions) > 0 {
		sections = append(sections, "Logs Insights: slowest and failing requests; search a requestId in the function log groups")
	}
	return awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
		Markdown: jsii.String("# " + p.Name + "\n" + strings.Join(sections, " · ")),
		Width:    full, Height: jsii.Number(2),
	})
}

func metric(namespace, name, statistic, label string, dims map[string]*string) awscloudwatch.IMetric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String(namespace), MetricName: jsii.String(name), DimensionsMap: &dims,
		Statistic: jsii.String(statistic), Label: jsii.String(label), Period: fiveMinutes(),
	})
}

func graph(title string, left []awscloudwatch.IMetric, width *float64) awscloudwatch.IWidget {
	return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
		Title: jsii.String(title), Left: &left, Width: width, Height: height,
	})
}

func apiWidgetRow(stage awsapigateway.IStage) []awscloudwatch.IWidget {
	dims := map[string]*string{"ApiName": stage.RestApi().RestApiName(), "Stage": stage.StageName()}
	m := func(name, statistic, label string) awscloudwatch.IMetric {
		return metric("AWS/ApiGateway", name, statistic, label, dims)
	}
	return []awscloudwatch.IWidget{
		graph("API requests", []awscloudwatch.IMetric{m("Count", "Sum", "requests")}, third),
		graph("API 4xx and 5xx", []awscloudwatch.IMetric{m("4XXError", "Sum", "4xx"), m("5XXError", "Sum", "5xx")}, third),
		graph("API latency (ms)", []awscloudwatch.IMetric{
			m("Latency", "p50", "p50"), m("Latency", "p99", "p99"), m("IntegrationLatency", "p99", "integration p99"),
		}, third),
	}
}

func functionWidgetRow(name string, fn awslambda.IFunction) []awscloudwatch.IWidget {
	opts := func(statistic, label string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Statistic: jsii.String(statistic), Label: jsii.String(label), Period: fiveMinutes()}
	}
	return []awscloudwatch.IWidget{
		graph(name+": invocations, errors, throttles", []awscloudwatch.IMetric{
			fn.MetricInvocations(opts("Sum", "invocations")),
			fn.MetricErrors(opts("Sum", "errors")),
			fn.MetricThrottles(opts("Sum", "throttles")),
		}, third),
		graph(name+": duration (ms)", []awscloudwatch.IMetric{
			fn.MetricDuration(opts("p50", "p50")), fn.MetricDuration(opts("p99", "p99")),
		}, third),
		graph(name+": concurrent executions", []awscloudwatch.IMetric{
			fn.Metric(jsii.String("ConcurrentExecutions"), opts("Maximum", "max")),
		}, third),
	}
}

func tableWidgetRow(table awsdynamodb.ITable, operations []string) []awscloudwatch.IWidget {
	opts := func(statistic, label string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Statistic: jsii.String(statistic), Label: jsii.String(label), Period: fiveMinutes()}
	}
	latency := make([]awscloudwatch.IMetric, len(operations))
	for i, op := range operations {
		latency[i] = table.MetricSuccessfulRequestLatency(&awscloudwatch.MetricOptions{
			Statistic: jsii.String("Average"), Label: jsii.String(op), Period: fiveMinutes(),
			DimensionsMap: &map[string]*string{"TableName": table.TableName(), "Operation": jsii.String(op)},
		})
	}
	return []awscloudwatch.IWidget{
		graph("Table: consumed capacity units", []awscloudwatch.IMetric{
			table.MetricConsumedReadCapacityUnits(opts("Sum", "read")),
			table.MetricConsumedWriteCapacityUnits(opts("Sum", "write")),
		}, third),
		graph("Table: throttle events", []awscloudwatch.IMetric{
			table.Metric(jsii.String("ReadThrottleEvents"), opts("Sum", "read")),
			table.Metric(jsii.String("WriteThrottleEvents"), opts("Sum", "write")),
		}, third),
		graph("Table: latency by operation (ms, average)", latency, third),
	}
}

func distributionWidgetRow(dist awscloudfront.IDistribution) []awscloudwatch.IWidget {
	dims := map[string]*string{"DistributionId": dist.DistributionId(), "Region": jsii.String("Global")}
	m := func(name, statistic, label string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/CloudFront"), MetricName: jsii.String(name), DimensionsMap: &dims,
			Statistic: jsii.String(statistic), Label: jsii.String(label), Period: fiveMinutes(),
			Region: jsii.String(CloudFrontRegion),
		})
	}
	return []awscloudwatch.IWidget{
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("CloudFront requests"), Region: jsii.String(CloudFrontRegion),
			Left: &[]awscloudwatch.IMetric{m("Requests", "Sum", "requests")}, Width: half, Height: height,
		}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("CloudFront error rates (%)"), Region: jsii.String(CloudFrontRegion),
			Left: &[]awscloudwatch.IMetric{
				m("4xxErrorRate", "Average", "4xx"), m("5xxErrorRate", "Average", "5xx"), m("TotalErrorRate", "Average", "total"),
			}, Width: half, Height: height,
		}),
	}
}

// buildWidgetRow shows a CodeBuild project's results (builds that succeeded and failed:
// for a check, how often a change passes) and how long its builds take (CodeBuild's
// Duration metric, in seconds, average and slowest).
func buildWidgetRow(b Build) []awscloudwatch.IWidget {
	opts := func(statistic, label string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Statistic: jsii.String(statistic), Label: jsii.String(label), Period: awscdk.Duration_Hours(jsii.Number(1))}
	}
	return []awscloudwatch.IWidget{
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(b.Name + ": results (builds per hour)"),
			Left: &[]awscloudwatch.IMetric{
				b.Project.MetricSucceededBuilds(opts("Sum", "succeeded")),
				b.Project.MetricFailedBuilds(opts("Sum", "failed")),
			},
			Stacked: jsii.Bool(true), Width: half, Height: height,
		}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(b.Name + ": duration (s)"),
			Left: &[]awscloudwatch.IMetric{
				b.Project.MetricDuration(opts("Average", "average")),
				b.Project.MetricDuration(opts("Maximum", "slowest")),
			},
			Width: half, Height: height,
		}),
	}
}
