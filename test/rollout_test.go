package test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/constructs/alarms"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/lambdas/api"
)

// CodeDeploy's names of the predefined Lambda configurations.
var deploymentConfigs = map[config.Deployment]string{
	config.AllAtOnce:                   "CodeDeployDefault.LambdaAllAtOnce",
	config.Canary10Percent5Minutes:     "CodeDeployDefault.LambdaCanary10Percent5Minutes",
	config.Linear10PercentEvery1Minute: "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
}

// Every function is reached through its live alias only, and a CodeDeploy deployment
// group moves that alias with the environment's traffic shift, checks the new version
// first and rolls back on the new version's errors and throttles, on any function's 500
// answers (InternalErrors) and on the API's p99 latency, and never on a dependency's
// throttling, failure or timeout nor on the API's 5xx count, which includes those. The
// CodeDeploy role holds only what moving the alias needs.
func TestGradualDeployments(t *testing.T) {
	s := shippedApp(t)
	for _, e := range s.Config.Environments {
		tpl := templateJSON(s.Templates[e.Name+"/Backend"])
		res := tpl["Resources"].(map[string]interface{})
		t.Run(e.Name, func(t *testing.T) {
			noPanic(t, func() {
				hook := ""
				for rid := range res {
					if strings.HasPrefix(rid, "PreTrafficCheck") && res[rid].(map[string]interface{})["Type"] == "AWS::Lambda::Function" {
						hook = rid
					}
				}
				assert.Equal(t, e.Hook(), hook != "", "pre-traffic check exists exactly when configured")
				for _, f := range api.Functions {
					fnID := s.logicalID(t, e.Name+"/Backend/"+f.Name+"/Resource/Resource")
					aliasID := s.logicalID(t, e.Name+"/Backend/"+f.Name+"/Live/Resource")
					alias := res[aliasID].(map[string]interface{})
					assert.Equal(t, "live", alias["Properties"].(map[string]interface{})["Name"])
					update := alias["UpdatePolicy"].(map[string]interface{})["CodeDeployLambdaAliasUpdate"].(map[string]interface{})
					groupID := update["DeploymentGroupName"].(map[string]interface{})["Ref"].(string)
					if hook != "" {
						assert.Equal(t, map[string]interface{}{"Ref": hook}, update["BeforeAllowTrafficHook"], f.Name)
					}
					group := res[groupID].(map[string]interface{})["Properties"].(map[string]interface{})
					assert.Equal(t, deploymentConfigs[e.Deployment], group["DeploymentConfigName"], f.Name)
					rollback := toJSON(group["AutoRollbackConfiguration"])
					assert.Contains(t, rollback, `"DEPLOYMENT_FAILURE"`, f.Name)
					assert.Contains(t, rollback, `"DEPLOYMENT_STOP_ON_ALARM"`, f.Name)
					var alarmNames []string
					for _, a := range group["AlarmConfiguration"].(map[string]interface{})["Alarms"].([]interface{}) {
						alarmNames = append(alarmNames, a.(map[string]interface{})["Name"].(map[string]interface{})["Ref"].(string))
					}
					require.Len(t, alarmNames, 4, f.Name)
					for _, a := range alarmNames[:2] {
						dims := toJSON(res[a].(map[string]interface{})["Properties"].(map[string]interface{})["Dimensions"])
						assert.Contains(t, dims, `"Name":"ExecutedVersion"`, "%s watches the version being deployed", a)
						assert.Contains(t, dims, `{"Ref":"`+fnID+`"}`, a)
					}
					assert.True(t, strings.HasPrefix(alarmNames[2], "AlarmsInternalErrors"), alarmNames[2])
					assert.True(t, strings.HasPrefix(alarmNames[3], "AlarmsApiLatency"), alarmNames[3])
					for _, a := range alarmNames {
						props := res[a].(map[string]interface{})["Properties"].(map[string]interface{})
						assert.False(t, rollsBackOnDependencies(props), "%s: %s watches a dependency failure or the API's whole 5xx count", f.Name, a)
					}

					// The CodeDeploy role: no AWS managed policy, only the alias, the alarms and the check.
					roleID := group["ServiceRoleArn"].(map[string]interface{})["Fn::GetAtt"].([]interface{})[0].(string)
					role := res[roleID].(map[string]interface{})["Properties"].(map[string]interface{})
					assert.Nil(t, role["ManagedPolicyArns"], f.Name)
					var actions []string
					for _, p := range resources(s.Templates[e.Name+"/Backend"], "AWS::IAM::Policy") {
						props := p["Properties"].(map[string]interface{})
						if toJSON(props["Roles"]) == `[{"Ref":"`+roleID+`"}]` {
							for _, stmt := range props["PolicyDocument"].(map[string]interface{})["Statement"].([]interface{}) {
								actions = append(actions, asList(stmt.(map[string]interface{})["Action"])...)
							}
						}
					}
					want := []string{"lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig", "cloudwatch:DescribeAlarms"}
					if hook != "" {
						want = append(want, "lambda:InvokeFunction")
					}
					assert.ElementsMatch(t, want, actions, f.Name)
				}
			})
		})
	}
}

func asList(v interface{}) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []interface{}:
		out := make([]string, len(x))
		for i, e := range x {
			out[i], _ = e.(string)
		}
		return out
	}
	return nil
}

// rollsBackOnDependencies reports whether an alarm's metric counts dependency failures:
// the dependency metrics of constructs/alarms, or API Gateway's 5XXError, which counts
// the 503 and 504 answers of a throttled, failing or slow dependency too.
func rollsBackOnDependencies(props map[string]interface{}) bool {
	names := []interface{}{props["MetricName"]}
	for _, m := range asMaps(props["Metrics"]) {
		if stat, ok := m["MetricStat"].(map[string]interface{}); ok {
			names = append(names, stat["Metric"].(map[string]interface{})["MetricName"])
		}
	}
	for _, n := range names {
		switch n {
		case alarms.MetricDependencyThrottled, alarms.MetricDependencyUnavailable, alarms.MetricDependencyTimeouts, "5XXError":
			return true
		}
	}
	return false
}

func asMaps(v interface{}) []map[string]interface{} {
	var out []map[string]interface{}
	l, _ := v.([]interface{})
	for _, e := range l {
		if m, ok := e.(map[string]interface{}); ok {
			out = append(out, m)
		}
	}
	return out
}

// The 5xx answers are counted by cause from the functions' logs: every function's log
// group feeds each metric of constructs/alarms with its filter pattern, and each cause
// has an alarm that notifies the topic; the dependency causes notify only, the 500s also
// roll back (TestGradualDeployments). The check fails for a function whose log group
// lacks a filter, or a cause without its alarm.
func TestFailuresAreCountedByCause(t *testing.T) {
	s := shippedApp(t)
	for _, st := range s.stages() {
		t.Run(st.Env.Name, func(t *testing.T) {
			noPanic(t, func() {
				tpl := s.Templates[st.Env.Name+"/Backend"]
				for _, err := range failureCountProblems(t, templateJSON(tpl), st) {
					t.Error(err)
				}
			})
		})
	}
	// It can fail: drop one function's throttling filter and the timeout alarm.
	noPanic(t, func() {
		st := s.stages()[0]
		tpl := templateJSON(s.Templates[st.Env.Name+"/Backend"])
		res := map[string]interface{}{}
		for id, r := range tpl["Resources"].(map[string]interface{}) {
			props, _ := r.(map[string]interface{})["Properties"].(map[string]interface{})
			if (strings.HasPrefix(id, "AlarmsHealthDependencyThrottled") && r.(map[string]interface{})["Type"] == "AWS::Logs::MetricFilter") ||
				props["MetricName"] == alarms.MetricDependencyTimeouts {
				continue
			}
			res[id] = r
		}
		errs := failureCountProblems(t, map[string]interface{}{"Resources": res}, st)
		assert.Len(t, errs, 2, "%v", errs)
	})
}

func failureCountProblems(t *testing.T, tpl map[string]interface{}, st stage) []error {
	var errs []error
	res := tpl["Resources"].(map[string]interface{})
	fed := map[string]map[string]bool{} // metric -> log group logical ids
	alarmed := map[string]bool{}
	for _, r := range res {
		r := r.(map[string]interface{})
		props, _ := r["Properties"].(map[string]interface{})
		switch r["Type"] {
		case "AWS::Logs::MetricFilter":
			for _, m := range asMaps(props["MetricTransformations"]) {
				name := fmt.Sprint(m["MetricName"])
				if props["FilterPattern"] != alarms.FilterPatterns[name] {
					errs = append(errs, fmt.Errorf("metric filter for %s has pattern %v, want %s", name, props["FilterPattern"], alarms.FilterPatterns[name]))
				}
				if fed[name] == nil {
					fed[name] = map[string]bool{}
				}
				fed[name][fmt.Sprint(props["LogGroupName"].(map[string]interface{})["Ref"])] = true
			}
		case "AWS::CloudWatch::Alarm":
			if len(asMaps(props["AlarmActions"])) > 0 {
				alarmed[fmt.Sprint(props["MetricName"])] = true
			}
		}
	}
	for name := range alarms.FilterPatterns {
		for _, f := range api.Functions {
			fn := f.Name
			group := st.logicalID(t, "Backend/"+fn+"/LogGroup/Resource")
			if !fed[name][group] {
				errs = append(errs, fmt.Errorf("%s: no metric filter feeds %s from %s's log group", st.Env.Name, name, fn))
			}
		}
		if !alarmed[name] {
			errs = append(errs, fmt.Errorf("%s: no alarm on %s notifies anyone", st.Env.Name, name))
		}
	}
	return errs
}
