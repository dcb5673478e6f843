package test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	alarms_ "github.com/example/notesplatform/constructs/alarms"
	"github.com/example/notesplatform/constructs/dashboard"
	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/lambdas/api"
)

// The environment's dashboard (in the Frontend stack, beside the distribution) shows every
// The environment's dashboard (in the Frontend stack, beside the distribution) shows every
// function of the route table, every alarm of the Backend stack, the 5xx answers by cause
// (errors apart from dependency failures), the table and the distribution; its URL is the
// DashboardUrl output. The body is resolved as CloudFormation resolves it (internal/cfn),
// so the text names each resource by the physical id its Ref or Fn::GetAtt gives.
func TestDashboardShowsWhatExists(t *testing.T) {
	s := shippedApp(t)
	asm, err := cfn.Read(s.Assembly)
	require.NoError(t, err)
	r := asm.Resolver(nil)
	for _, e := range s.Config.Environments {
		env := e.Name
		t.Run(env, func(t *testing.T) {
			front, backend, data := asm.StackAt(env+"/Frontend"), asm.StackAt(env+"/Backend"), asm.StackAt(env+"/Data")
			require.True(t, front != nil && backend != nil && data != nil, "the stacks of %s are in the assembly", env)
			ref := func(s *cfn.Stack, id string) string {
				t.Helper()
				v, err := r.Ref(s, id)
				require.NoError(t, err)
				return v
			}
			var bodies []map[string]any
			for _, res := range front.Template.Resources {
				if res.Type != "AWS::CloudWatch::Dashboard" {
					continue
				}
				assert.Equal(t, s.Config.AppName+"-"+env, res.Properties["DashboardName"])
				text, err := r.String(front, res.Properties["DashboardBody"])
				require.NoError(t, err)
				var body map[string]any
				require.NoError(t, json.Unmarshal([]byte(text), &body), text)
				bodies = append(bodies, body)
			}
			require.Len(t, bodies, 1, "one dashboard per environment")
			text := toJSON(bodies[0])

			for _, f := range api.Functions {
				name := ref(backend, s.logicalID(t, env+"/Backend/"+f.Name+"/Resource/Resource"))
				for _, metric := range []string{"Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"} {
					assert.Contains(t, text, fmt.Sprintf(`"AWS/Lambda","%s","FunctionName","%s"`, metric, name), "%s: %s", f.Name, metric)
				}
				assert.Contains(t, text, "SOURCE '"+ref(backend, s.logicalID(t, env+"/Backend/"+f.Name+"/LogGroup/Resource"))+"'", "%s: its log group in the Logs Insights widgets", f.Name)
			}
			var alarms []string
			for id, res := range backend.Template.Resources {
				if res.Type == "AWS::CloudWatch::Alarm" {
					arn, err := r.GetAtt(backend, id, "Arn")
					require.NoError(t, err)
					alarms = append(alarms, arn)
				}
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

			tables := idsOfType(data, "AWS::DynamoDB::Table")
			require.Len(t, tables, 1)
			assert.Contains(t, text, `"AWS/DynamoDB","ConsumedReadCapacityUnits","TableName","`+ref(data, tables[0])+`"`)
			dists := idsOfType(front, "AWS::CloudFront::Distribution")
			require.Len(t, dists, 1)
			assert.Contains(t, text, `"AWS/CloudFront","Requests","DistributionId","`+ref(front, dists[0])+`","Region","Global",{"label":"requests","region":"us-east-1"`)

			// The 5xx answers by cause, in the metrics the Backend's metric filters publish.
			for _, m := range []string{alarms_.MetricInternalErrors, alarms_.MetricDependencyThrottled, alarms_.MetricDependencyUnavailable, alarms_.MetricDependencyTimeouts} {
				assert.Contains(t, text, fmt.Sprintf(`[%q,%q,{"label"`, backend.Name, m), "5xx by cause: %s", m)
			}
			assert.Contains(t, text, toJSON(dashboard.DependencyFailuresQuery())[1:40], "dependency failures by function and kind")

			url, err := r.String(front, front.Template.Outputs["DashboardUrl"].Value)
			require.NoError(t, err)
			e := mustEnv(t, s.Config, env)
			assert.Equal(t, fmt.Sprintf("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#dashboards/dashboard/%s-%s", e.Region, e.Region, s.Config.AppName, env), url)
		})
	}
}

// idsOfType are the logical ids of a stack's resources of one type, sorted.
func idsOfType(s *cfn.Stack, typ string) []string {
	var out []string
	for _, id := range slices.Sorted(maps.Keys(s.Template.Resources)) {
		if s.Template.Resources[id].Type == typ {
			out = append(out, id)
		}
	}
	return out
}
