package test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
// first and rolls back on the new version's errors and throttles and on the API's 5xx
// and p99 latency. The CodeDeploy role holds only what moving the alias needs.
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
					assert.True(t, strings.HasPrefix(alarmNames[2], "AlarmsApi5xx"), alarmNames[2])
					assert.True(t, strings.HasPrefix(alarmNames[3], "AlarmsApiLatency"), alarmNames[3])

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
