package test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	alarms_ "github.com/example/notesplatform/constructs/alarms"
	"github.com/example/notesplatform/constructs/dashboard"
	"github.com/example/notesplatform/lambdas/api"
)

// The environment's dashboard (in the Frontend stack, beside the distribution) shows every
// function of the route table, every alarm of the Backend stack, the 5xx answers by cause
// (errors apart from dependency failures), the table and the distribution; its URL is the
// DashboardUrl output.
func TestDashboardShowsWhatExists(t *testing.T) {
	s := shippedApp(t)
	for _, st := range s.Stages {
		env := *st.StageName()
		t.Run(env, func(t *testing.T) {
			front := templateJSON(s.Templates[env+"/Frontend"])
			backend := templateJSON(s.Templates[env+"/Backend"])
			data := templateJSON(s.Templates[env+"/Data"])
			byStack := map[string]map[string]any{
				*st.Backend.StackName(): backend, *st.Data.StackName(): data,
			}
			var bodies []map[string]any
			for _, r := range front["Resources"].(map[string]any) {
				r := r.(map[string]any)
				if r["Type"] != "AWS::CloudWatch::Dashboard" {
					continue
				}
				props := r["Properties"].(map[string]any)
				assert.Equal(t, s.Config.AppName+"-"+env, props["DashboardName"])
				text := joinTemplateString(t, props["DashboardBody"], byStack)
				var body map[string]any
				require.NoError(t, json.Unmarshal([]byte(text), &body), text)
				bodies = append(bodies, body)
			}
			require.Len(t, bodies, 1, "one dashboard per environment")
			text := toJSON(bodies[0])

			for _, f := range api.Functions {
				fn := st.Backend.Functions[f.Name]
				require.NotNil(t, fn, f.Name)
				id := logicalIDOf(st.Backend.Stack, fn.Function)
				for _, metric := range []string{"Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"} {
					assert.Contains(t, text, fmt.Sprintf(`"AWS/Lambda","%s","FunctionName","{Ref:%s}"`, metric, id), "%s: %s", f.Name, metric)
				}
				assert.Contains(t, text, "SOURCE '{Ref:"+logicalIDOf(st.Backend.Stack, fn.LogGroup)+"}'", "%s: its log group in the Logs Insights widgets", f.Name)
			}
			var alarms []string
			for id := range resources(s.Templates[env+"/Backend"], "AWS::CloudWatch::Alarm") {
				alarms = append(alarms, "{GetAtt:"+id+".Arn}")
			}
			require.NotEmpty(t, alarms)
			var shown []string
			for _, w := range bodies[0]["widgets"].([]any) {
				w := w.(map[string]any)
				if w["type"] == "alarm" {
					for _, a := range w["properties"].(map[string]any)["alarms"].([]any) {
						shown = append(shown, a.(string))
					}
				}
			}
			assert.ElementsMatch(t, alarms, shown, "every alarm of the Backend stack, and only those")

			tables := resources(s.Templates[env+"/Data"], "AWS::DynamoDB::Table")
			require.Len(t, tables, 1)
			for id := range tables {
				assert.Contains(t, text, `"AWS/DynamoDB","ConsumedReadCapacityUnits","TableName","{Ref:`+id+`}"`)
			}
			dists := resources(s.Templates[env+"/Frontend"], "AWS::CloudFront::Distribution")
			require.Len(t, dists, 1)
			for id := range dists {
				assert.Contains(t, text, `"AWS/CloudFront","Requests","DistributionId","{Ref:`+id+`}","Region","Global",{"label":"requests","region":"us-east-1"`)
			}

			// The 5xx answers by cause, in the metrics the Backend's metric filters publish.
			for _, m := range []string{alarms_.MetricInternalErrors, alarms_.MetricDependencyThrottled, alarms_.MetricDependencyUnavailable, alarms_.MetricDependencyTimeouts} {
				assert.Contains(t, text, fmt.Sprintf(`[%q,%q,{"label"`, *st.Backend.StackName(), m), "5xx by cause: %s", m)
			}
			assert.Contains(t, text, toJSON(dashboard.DependencyFailuresQuery())[1:40], "dependency failures by function and kind")

			out := front["Outputs"].(map[string]any)["DashboardUrl"].(map[string]any)["Value"]
			e := mustEnv(t, s.Config, env)
			assert.Equal(t, fmt.Sprintf("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#dashboards/dashboard/%s-%s", e.Region, e.Region, s.Config.AppName, env),
				joinTemplateString(t, out, byStack))
		})
	}
}

// joinTemplateString renders a template string value (a literal or an Fn::Join) as text:
// Fn::GetStackOutput is followed to the producing stack's output; a Ref becomes {Ref:X} and
// a Fn::GetAtt {GetAtt:X.Y}, so the text names the resources by logical id.
func joinTemplateString(t *testing.T, v any, stacksByName map[string]map[string]any) string {
	t.Helper()
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if join, ok := x["Fn::Join"].([]any); ok && len(join) == 2 {
			var parts []string
			for _, p := range join[1].([]any) {
				parts = append(parts, joinTemplateString(t, p, stacksByName))
			}
			return strings.Join(parts, join[0].(string))
		}
		if ref, ok := x["Ref"].(string); ok {
			return "{Ref:" + ref + "}"
		}
		if att, ok := x["Fn::GetAtt"].([]any); ok {
			return fmt.Sprintf("{GetAtt:%v.%v}", att[0], att[1])
		}
		if out, ok := x["Fn::GetStackOutput"].(map[string]any); ok {
			tpl, ok := stacksByName[fmt.Sprint(out["StackName"])]
			require.True(t, ok, "reference to stack %v", out["StackName"])
			o, ok := tpl["Outputs"].(map[string]any)[fmt.Sprint(out["OutputName"])].(map[string]any)
			require.True(t, ok, "no output %v in %v", out["OutputName"], out["StackName"])
			return joinTemplateString(t, o["Value"], stacksByName)
		}
	}
	keys := []string{}
	if m, ok := v.(map[string]any); ok {
		for k := range m {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	t.Fatalf("cannot render %T %v (keys %v)", v, v, keys)
	return ""
}

// logicalIDOf is the logical id of a construct's main resource in its stack.
func logicalIDOf(stack awscdk.Stack, c constructs.IConstruct) string {
	return *stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}
