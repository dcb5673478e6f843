package dashboard

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/cfn"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close() // one jsii kernel per test binary
	os.Exit(code)
}

// fakes satisfy the interfaces for validate(), which only checks presence.
type fakeFunction struct{ awslambda.IFunction }
type fakeLogGroup struct{ awslogs.ILogGroup }
type fakeAlarm struct{ awscloudwatch.IAlarm }
type fakeMetric struct{ awscloudwatch.IMetric }

func TestValidate(t *testing.T) {
	ok := (&Props{Name: "notes-dev", Functions: map[string]Function{"A": {&fakeFunction{}, &fakeLogGroup{}}}}).withDefaults()
	assert.NoError(t, ok.validate())

	p := (&Props{Name: "notes dev/1"}).withDefaults()
	err := p.validate()
	assert.ErrorContains(t, err, `Name "notes dev/1": allowed is 1-255 of A-Z a-z 0-9 - _`)
	assert.ErrorContains(t, err, "nothing to show")

	p = (&Props{
		Name:            "x",
		Functions:       map[string]Function{"NoLogs": {Function: &fakeFunction{}}, "NoFn": {LogGroup: &fakeLogGroup{}}, " ": {&fakeFunction{}, &fakeLogGroup{}}},
		TableOperations: []string{"Query", "GetItems"},
		Alarms:          []awscloudwatch.IAlarm{&fakeAlarm{}, nil},
		SlowRequests:    10001,
		FailedRequests:  -1,
	}).withDefaults()
	err = p.validate()
	assert.ErrorContains(t, err, `Functions["NoLogs"].LogGroup is required`)
	assert.ErrorContains(t, err, `Functions["NoFn"].Function is required`)
	assert.ErrorContains(t, err, "a function has an empty name")
	assert.ErrorContains(t, err, `TableOperations "GetItems": allowed are BatchExecuteStatement,`)
	assert.NotContains(t, err.Error(), `TableOperations "Query"`)
	assert.ErrorContains(t, err, "Alarms[1] is nil")
	p1 := (&Props{Name: "x", Failures: []awscloudwatch.IMetric{&fakeMetric{}}}).withDefaults()
	assert.NoError(t, p1.validate())
	p2 := (&Props{Name: "x", Failures: []awscloudwatch.IMetric{nil}}).withDefaults()
	assert.ErrorContains(t, p2.validate(), "Failures[0] is nil")
	assert.NotContains(t, err.Error(), "Alarms[0]")
	assert.ErrorContains(t, err, "SlowRequests 10001: allowed is 1..10000")
	assert.ErrorContains(t, err, "FailedRequests -1: allowed is 1..10000")

	many := map[string]Function{}
	for i := range MaxLogGroups + 1 {
		many[fmt.Sprintf("F%02d", i)] = Function{&fakeFunction{}, &fakeLogGroup{}}
	}
	p = (&Props{Name: "x", Functions: many}).withDefaults()
	assert.ErrorContains(t, p.validate(), "Functions: 51 given: allowed is at most 50")

	alarms := make([]awscloudwatch.IAlarm, 49900) // 499 alarm widgets and the header
	for i := range alarms {
		alarms[i] = &fakeAlarm{}
	}
	p = (&Props{Name: "x", Alarms: alarms}).withDefaults()
	assert.NoError(t, p.validate())
	alarms = make([]awscloudwatch.IAlarm, 50000)
	for i := range alarms {
		alarms[i] = &fakeAlarm{}
	}
	p = (&Props{Name: "x", Alarms: alarms}).withDefaults()
	assert.ErrorContains(t, p.validate(), "501 widgets for 0 functions and 50000 alarms: allowed is at most 500")
}

func TestNewRejectsBadProps(t *testing.T) {
	defer func() {
		r := recover()
		require.NotNil(t, r, "New must stop synth on invalid props")
		assert.Contains(t, fmt.Sprint(r), `Name ""`)
	}()
	New(awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Bad"), nil), "Dashboard", &Props{})
}

// fixture is a small stack with n functions (and an errors alarm on each), an API, a table
// and a distribution, and the dashboard over them, synthesized and read back through
// internal/cfn, whose resolver gives each resource the physical id CloudFormation would.
type fixture struct {
	stack     awscdk.Stack
	functions []string // logical ids
	logGroups []string // logical ids
	alarms    []string // logical ids
	table     string   // logical id
	dist      string   // logical id
	api       awsapigateway.RestApi
	body      map[string]any // the resolved dashboard body
	url       string         // the resolved DashboardUrl output
	template  *cfn.Stack
	resolver  *cfn.Resolver
}

// ref is the physical id a Ref of the logical id gives.
func (f *fixture) ref(t *testing.T, logicalID string) string {
	t.Helper()
	v, err := f.resolver.Ref(f.template, logicalID)
	require.NoError(t, err)
	return v
}

// text is a template value resolved.
func (f *fixture) text(t *testing.T, v any) string {
	t.Helper()
	out, err := f.resolver.String(f.template, v)
	require.NoError(t, err)
	return out
}

func newFixture(t *testing.T, n int) *fixture {
	t.Helper()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Shop"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
	})
	f := &fixture{stack: stack}
	functions := map[string]Function{}
	var alarms []awscloudwatch.IAlarm
	for i := range n {
		name := fmt.Sprintf("Fn%d", i)
		lg := awslogs.NewLogGroup(stack, jsii.String(name+"Logs"), nil)
		fn := awslambda.NewFunction(stack, jsii.String(name), &awslambda.FunctionProps{
			Runtime: awslambda.Runtime_NODEJS_22_X(), Handler: jsii.String("index.handler"),
			Code:     awslambda.Code_FromInline(jsii.String("exports.handler = async () => ({})")),
			LogGroup: lg,
		})
		functions[name] = Function{Function: fn, LogGroup: lg}
		alarm := fn.MetricErrors(nil).CreateAlarm(stack, jsii.String(name+"Errors"), &awscloudwatch.CreateAlarmOptions{
			Threshold: jsii.Number(1), EvaluationPeriods: jsii.Number(1),
		})
		alarms = append(alarms, alarm)
		f.functions = append(f.functions, logicalID(stack, fn))
		f.logGroups = append(f.logGroups, logicalID(stack, lg))
		f.alarms = append(f.alarms, logicalID(stack, alarm))
	}
	api := awsapigateway.NewRestApi(stack, jsii.String("Api"), &awsapigateway.RestApiProps{
		RestApiName: jsii.String("shop-api"), DeployOptions: &awsapigateway.StageOptions{StageName: jsii.String("api")},
		CloudWatchRole: jsii.Bool(false),
	})
	api.Root().AddMethod(jsii.String("GET"), awsapigateway.NewMockIntegration(nil), nil)
	table := awsdynamodb.NewTable(stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String("pk"), Type: awsdynamodb.AttributeType_STRING},
	})
	dist := awscloudfront.NewDistribution(stack, jsii.String("Dist"), &awscloudfront.DistributionProps{
		DefaultBehavior: &awscloudfront.BehaviorOptions{Origin: awscloudfrontorigins.NewHttpOrigin(jsii.String("example.com"), nil)},
	})
	f.table, f.dist, f.api = logicalID(stack, table), logicalID(stack, dist), api

	failures := []awscloudwatch.IMetric{}
	for _, name := range []string{"InternalErrors", "DependencyThrottled"} {
		failures = append(failures, awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("shop-dev"), MetricName: jsii.String(name), Statistic: jsii.String("Sum"), Label: jsii.String(name),
		}))
	}
	d := New(stack, "Dashboard", &Props{
		Name: "shop-dev", APIStage: api.DeploymentStage(), Functions: functions,
		Table: table, Distribution: dist, Alarms: alarms, Failures: failures,
	})
	awscdk.NewCfnOutput(stack, jsii.String("DashboardUrl"), &awscdk.CfnOutputProps{Value: d.URL})

	var dir string
	noPanic(t, func() { dir = *app.Synth(nil).Directory() })
	asm, err := cfn.Read(dir)
	require.NoError(t, err)
	f.template, f.resolver = asm.StackAt("Shop"), asm.Resolver(nil)
	require.NotNil(t, f.template)
	var bodies []string
	for _, r := range f.template.Template.Resources {
		if r.Type == "AWS::CloudWatch::Dashboard" {
			assert.Equal(t, "shop-dev", r.Properties["DashboardName"])
			bodies = append(bodies, f.text(t, r.Properties["DashboardBody"]))
		}
	}
	require.Len(t, bodies, 1, "one dashboard")
	require.NoError(t, json.Unmarshal([]byte(bodies[0]), &f.body), bodies[0])
	f.url = f.text(t, f.template.Template.Outputs["DashboardUrl"].Value)
	return f
}

func logicalID(stack awscdk.Stack, c constructs.IConstruct) string {
	return *stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

func noPanic(t *testing.T, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%v", r)
		}
	}()
	f()
}

// widget is one widget of the dashboard body.
type widget struct {
	Type       string `json:"type"`
	Width      int    `json:"width"`
	Properties struct {
		Title   string   `json:"title"`
		Region  string   `json:"region"`
		Metrics [][]any  `json:"metrics"`
		Alarms  []string `json:"alarms"`
		Query   string   `json:"query"`
		View    string   `json:"view"`
	} `json:"properties"`
}

func (f *fixture) widgets(t *testing.T) []widget {
	t.Helper()
	b, _ := json.Marshal(f.body["widgets"])
	var ws []widget
	require.NoError(t, json.Unmarshal(b, &ws))
	return ws
}

// metricLine is one metric of a widget: namespace, name, dimensions and options.
type metricLine struct {
	Namespace, Name string
	Dims            map[string]string
	Stat, Region    string
	Widget          string
}

func (f *fixture) metrics(t *testing.T) []metricLine {
	t.Helper()
	var out []metricLine
	for _, w := range f.widgets(t) {
		for _, m := range w.Properties.Metrics {
			require.GreaterOrEqual(t, len(m), 2, "metric %v of %q", m, w.Properties.Title)
			line := metricLine{Namespace: m[0].(string), Name: m[1].(string), Dims: map[string]string{}, Widget: w.Properties.Title, Region: w.Properties.Region}
			rest := m[2:]
			if len(rest)%2 == 1 {
				opts := rest[len(rest)-1].(map[string]any)
				line.Stat, _ = opts["stat"].(string)
				if r, ok := opts["region"].(string); ok {
					line.Region = r
				}
				rest = rest[:len(rest)-1]
			}
			for i := 0; i < len(rest); i += 2 {
				line.Dims[rest[i].(string)] = rest[i+1].(string)
			}
			out = append(out, line)
		}
	}
	return out
}

func has(lines []metricLine, want metricLine) bool {
	return slices.ContainsFunc(lines, func(l metricLine) bool {
		if l.Namespace != want.Namespace || l.Name != want.Name || (want.Stat != "" && l.Stat != want.Stat) ||
			(want.Region != "" && l.Region != want.Region) {
			return false
		}
		for k, v := range want.Dims {
			if l.Dims[k] != v {
				return false
			}
		}
		return len(l.Dims) == len(want.Dims)
	})
}

func TestEveryFunctionAndAlarmIsShown(t *testing.T) {
	f := newFixture(t, 2)
	lines := f.metrics(t)
	for _, fn := range f.functions {
		dims := map[string]string{"FunctionName": f.ref(t, fn)}
		for _, m := range []struct{ name, stat string }{
			{"Invocations", "Sum"}, {"Errors", "Sum"}, {"Throttles", "Sum"}, {"Duration", "p99"}, {"ConcurrentExecutions", "Maximum"},
		} {
			assert.True(t, has(lines, metricLine{Namespace: "AWS/Lambda", Name: m.name, Stat: m.stat, Dims: dims}),
				"%s: no %s %s widget", fn, m.stat, m.name)
		}
	}
	var alarmWidgets, logWidgets []widget
	for _, w := range f.widgets(t) {
		switch {
		case w.Type == "alarm":
			alarmWidgets = append(alarmWidgets, w)
		case w.Type == "log":
			logWidgets = append(logWidgets, w)
		}
	}
	require.Len(t, alarmWidgets, 1)
	var want []string
	for _, id := range f.alarms {
		arn, err := f.resolver.GetAtt(f.template, id, "Arn")
		require.NoError(t, err)
		want = append(want, arn)
	}
	assert.ElementsMatch(t, want, alarmWidgets[0].Properties.Alarms, "the alarm widget shows exactly the alarms given")

	require.Len(t, logWidgets, 3, "dependency failures, slowest and failing requests")
	assert.Contains(t, logWidgets[0].Properties.Query, DependencyFailuresQuery())
	for _, lg := range f.logGroups {
		assert.Contains(t, logWidgets[0].Properties.Query, "SOURCE '"+f.ref(t, lg)+"'", "dependency failures of every function")
	}
	logWidgets = logWidgets[1:]
	for _, w := range logWidgets {
		assert.Equal(t, "table", w.Properties.View)
		for _, lg := range f.logGroups {
			assert.Contains(t, w.Properties.Query, "SOURCE '"+f.ref(t, lg)+"'", "%q reads every function's log group", w.Properties.Title)
		}
		// The fields the request log line of lambdas/internal/httpapi carries.
		for _, field := range []string{"requestId", "function", "route", "status", "durationUs"} {
			assert.Contains(t, w.Properties.Query, field)
		}
	}
	assert.Contains(t, logWidgets[0].Properties.Query, "sort durationUs desc")
	assert.Contains(t, logWidgets[1].Properties.Query, `status >= 500`)
}

func TestOtherSections(t *testing.T) {
	f := newFixture(t, 1)
	lines := f.metrics(t)
	stage := f.stack.GetLogicalId(f.api.DeploymentStage().Node().DefaultChild().(awscdk.CfnElement))
	api := map[string]string{"ApiName": "shop-api", "Stage": f.ref(t, *stage)}
	for _, m := range []struct{ name, stat string }{{"Count", "Sum"}, {"4XXError", "Sum"}, {"5XXError", "Sum"}, {"Latency", "p50"}, {"Latency", "p99"}} {
		assert.True(t, has(lines, metricLine{Namespace: "AWS/ApiGateway", Name: m.name, Stat: m.stat, Dims: api}), "API %s %s", m.stat, m.name)
	}

	table := map[string]string{"TableName": f.ref(t, f.table)}
	for _, name := range []string{"ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits", "ReadThrottleEvents", "WriteThrottleEvents"} {
		assert.True(t, has(lines, metricLine{Namespace: "AWS/DynamoDB", Name: name, Stat: "Sum", Dims: table}), "table %s", name)
	}
	for _, op := range DefaultTableOperations {
		assert.True(t, has(lines, metricLine{Namespace: "AWS/DynamoDB", Name: "SuccessfulRequestLatency",
			Dims: map[string]string{"TableName": table["TableName"], "Operation": op}}), "latency of %s", op)
	}

	cf := map[string]string{"DistributionId": f.ref(t, f.dist), "Region": "Global"}
	for _, name := range []string{"Requests", "4xxErrorRate", "5xxErrorRate", "TotalErrorRate"} {
		assert.True(t, has(lines, metricLine{Namespace: "AWS/CloudFront", Name: name, Dims: cf, Region: "us-east-1"}),
			"CloudFront %s must be read in us-east-1", name)
	}
	for _, l := range lines {
		if l.Namespace != "AWS/CloudFront" {
			assert.Equal(t, "eu-west-1", l.Region, "%s %s is read in the stack's region", l.Namespace, l.Name)
		}
	}

	assert.Equal(t, "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/shop-dev", f.url)
}

func TestAddingAFunctionAddsItsWidgets(t *testing.T) {
	one, two := newFixture(t, 1), newFixture(t, 2)
	w1, w2 := one.widgets(t), two.widgets(t)
	assert.Len(t, w2, len(w1)+widgetsPerFunction, "a new function adds one row of widgets and nothing else")
	var titles []string
	for _, w := range w2 {
		if strings.HasPrefix(w.Properties.Title, "Fn1:") {
			titles = append(titles, w.Properties.Title)
		}
	}
	assert.Len(t, titles, widgetsPerFunction, "the new function's own widgets: %v", titles)
	assert.Len(t, w1, (&Props{APIStage: &fakeStage{}, Functions: map[string]Function{"a": {}}, Table: &fakeTable{},
		Distribution: &fakeDistribution{}, Alarms: []awscloudwatch.IAlarm{&fakeAlarm{}}, Failures: []awscloudwatch.IMetric{&fakeMetric{}}}).widgetCount(),
		"widgetCount (the limit check) counts what New makes")
}

type fakeStage struct{ awsapigateway.IStage }
type fakeTable struct{ awsdynamodb.ITable }
type fakeDistribution struct{ awscloudfront.IDistribution }

type fakeProject struct{ awscodebuild.IProject }

// A build project (the pipeline's pull-request check) gets one row: how many of its builds
// succeeded and failed, and how long they take; widgetCount counts that row.
func TestBuildResultsAndDuration(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Pipe"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("333333333333"), Region: jsii.String("eu-west-1")},
	})
	var project, dir string
	noPanic(t, func() {
		p := awscodebuild.NewProject(stack, jsii.String("Check"), &awscodebuild.ProjectProps{
			ProjectName: jsii.String("notes-pipeline-pull-request-check"),
			BuildSpec:   awscodebuild.BuildSpec_FromObject(&map[string]any{"version": "0.2", "phases": map[string]any{"build": map[string]any{"commands": []any{"true"}}}}),
		})
		project = logicalID(stack, p)
		New(stack, "Dashboard", &Props{Name: "notes-pipeline", Builds: []Build{{Name: "Pull-request check", Project: p}}})
		dir = *app.Synth(nil).Directory()
	})
	asm, err := cfn.Read(dir)
	require.NoError(t, err)
	f := &fixture{template: asm.StackAt("Pipe"), resolver: asm.Resolver(nil)}
	require.NotNil(t, f.template)
	for _, r := range f.template.Template.Resources {
		if r.Type == "AWS::CloudWatch::Dashboard" {
			require.NoError(t, json.Unmarshal([]byte(f.text(t, r.Properties["DashboardBody"])), &f.body))
		}
	}
	require.NotNil(t, f.body)
	body := f.body
	lines := f.metrics(t)
	dims := map[string]string{"ProjectName": f.ref(t, project)}
	assert.Equal(t, "notes-pipeline-pull-request-check", dims["ProjectName"])
	for _, m := range []struct{ name, stat string }{{"SucceededBuilds", "Sum"}, {"FailedBuilds", "Sum"}, {"Duration", "Maximum"}} {
		assert.True(t, has(lines, metricLine{Namespace: "AWS/CodeBuild", Name: m.name, Stat: m.stat, Dims: dims}), "%s %s", m.stat, m.name)
	}
	var durationStats []string
	for _, l := range lines {
		if l.Name == "Duration" {
			durationStats = append(durationStats, l.Stat)
		}
	}
	// CloudWatch's default statistic, Average, is left out of the widget's metric options.
	assert.ElementsMatch(t, []string{"", "Maximum"}, durationStats, "average and slowest duration")
	ws := f.widgets(t)
	assert.Len(t, ws, (&Props{Builds: []Build{{Name: "x", Project: &fakeProject{}}}}).widgetCount(), "widgetCount counts the build row")
	text, _ := json.Marshal(body)
	assert.Contains(t, string(text), "Pull-request check: results and duration", "the header names the section")

	bad := (&Props{Name: "x", Builds: []Build{{Name: " "}}}).withDefaults()
	e := bad.validate()
	assert.ErrorContains(t, e, "Builds[0].Name is empty")
	assert.ErrorContains(t, e, `Builds[0] (" "): Project is required`)
}

// The 5xx answers are drawn by cause on one graph with API Gateway's own 5xx count, so a
// function's errors and a throttled dependency look different; the dependency failures
// are tabulated by function and kind from the functions' logs.
func TestFailuresByCause(t *testing.T) {
	f := newFixture(t, 1)
	var graph *widget
	for _, w := range f.widgets(t) {
		if strings.HasPrefix(w.Properties.Title, "API 5xx by cause") {
			graph = &w
		}
	}
	require.NotNil(t, graph, "no 5xx-by-cause graph")
	var names []string
	for _, m := range graph.Properties.Metrics {
		names = append(names, m[0].(string)+"/"+m[1].(string))
	}
	assert.Equal(t, []string{"shop-dev/InternalErrors", "shop-dev/DependencyThrottled", "AWS/ApiGateway/5XXError"}, names)
	assert.Equal(t, `filter msg = "dependency failed"
| stats count(*) as failures by function, failure
| sort failures desc`, DependencyFailuresQuery())
}
