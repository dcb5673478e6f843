package test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/lambdas/api"
)

// resourcePaths maps API Gateway resource logical ids to their full paths.
func resourcePaths(tpl assertions.Template) map[string]string {
	res := resources(tpl, "AWS::ApiGateway::Resource")
	paths := map[string]string{}
	var resolve func(id string) string
	resolve = func(id string) string {
		if p, ok := paths[id]; ok {
			return p
		}
		props := res[id]["Properties"].(map[string]interface{})
		parent := ""
		if ref, ok := props["ParentId"].(map[string]interface{})["Ref"].(string); ok {
			parent = resolve(ref)
		}
		paths[id] = parent + "/" + props["PathPart"].(string)
		return paths[id]
	}
	for id := range res {
		resolve(id)
	}
	return paths
}

// Every route of the table is exactly one method of the API, with the route's function,
// auth and body model; there are no other methods.
func TestEveryRouteIsInTheAPI(t *testing.T) {
	s := shippedApp(t)
	for _, e := range s.Config.Environments {
		tpl := s.Templates[e.Name+"/Backend"]
		t.Run(e.Name, func(t *testing.T) {
			noPanic(t, func() {
				paths := resourcePaths(tpl)
				fnIDs := map[string]string{}
				for _, fn := range api.Functions {
					// Routes invoke the live alias, never the function itself.
					fnIDs[fn.Name] = s.logicalID(t, e.Name+"/Backend/"+fn.Name+"/Live/Resource")
				}
				methods := resources(tpl, "AWS::ApiGateway::Method")
				allow := map[string][]string{}
				for _, r := range api.Routes {
					allow[r.Path] = append(allow[r.Path], string(r.Method))
				}
				require.Len(t, methods, len(api.Routes)+len(allow), "one method per route and one ANY per path, nothing else")
				found := map[string]bool{}
				for id, m := range methods {
					p := m["Properties"].(map[string]interface{})
					path := paths[p["ResourceId"].(map[string]interface{})["Ref"].(string)]
					if p["HttpMethod"] == "ANY" {
						// Other methods get 405 + Allow from a mock: no function, no data.
						integration := p["Integration"].(map[string]interface{})
						assert.Equal(t, "MOCK", integration["Type"], id)
						assert.Contains(t, toJSON(integration["IntegrationResponses"]), `"method.response.header.Allow":"'`+api.AllowHeader(allow[path])+`'"`, path)
						assert.Contains(t, toJSON(integration["IntegrationResponses"]), api.MethodNotAllowedMessage("$context.httpMethod", path), path)
						assert.Contains(t, toJSON(integration["IntegrationResponses"]), `"StatusCode":"405"`, path)
						continue
					}
					key := p["HttpMethod"].(string) + " " + path
					i := indexRoute(p["HttpMethod"].(string), path)
					require.GreaterOrEqual(t, i, 0, "%s (%s) is not in lambdas/api.Routes", key, id)
					r := api.Routes[i]
					found[key] = true
					if r.Auth == api.Public {
						assert.Equal(t, "NONE", p["AuthorizationType"], key)
					} else {
						assert.Equal(t, "COGNITO_USER_POOLS", p["AuthorizationType"], "%s must be Cognito-authorized", key)
						assert.NotNil(t, p["AuthorizerId"], key)
					}
					uri, _ := p["Integration"].(map[string]interface{})["Uri"]
					assert.Contains(t, toJSON(uri), `"`+fnIDs[r.Function]+`"`, "%s integrates %s", key, r.Function)
					assert.Equal(t, "AWS_PROXY", p["Integration"].(map[string]interface{})["Type"], key)
					if r.Model != "" {
						assert.Contains(t, toJSON(p["RequestModels"]), "Ref", "%s validates its body", key)
					}
				}
				assert.Len(t, found, len(api.Routes))
			})
		})
	}
}

func indexRoute(method, path string) int {
	for i, r := range api.Routes {
		if string(r.Method) == method && r.Path == path {
			return i
		}
	}
	return -1
}

// Read-only functions get no write action on the table; no function may scan; a
// function without table access gets no DynamoDB or KMS action. These are the access
// levels' invariants; that each role is granted exactly what its code calls, no more and
// no less, is test/artifact's replay of the recorded calls (TestLeastPrivilegeByReplay),
// which replaces a hand-written list of expected actions.
func TestTablePermissionsFollowAccess(t *testing.T) {
	s := shippedApp(t)
	writes := []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:*"}
	for _, e := range s.Config.Environments {
		tpl := s.Templates[e.Name+"/Backend"]
		for _, f := range api.Functions {
			t.Run(e.Name+"/"+f.Name, func(t *testing.T) {
				noPanic(t, func() {
					roleID := s.logicalID(t, e.Name+"/Backend/"+f.Name+"/Role/Resource")
					actions := policyActions(tpl, roleID)
					assert.NotContains(t, actions, "dynamodb:Scan")
					if f.Access != api.ReadWriteTable {
						for _, w := range writes {
							assert.NotContains(t, actions, w, "%s is %s", f.Name, f.Access)
						}
					}
					if f.Access == api.NoTable {
						for _, a := range actions {
							assert.False(t, strings.HasPrefix(a, "dynamodb:") || strings.HasPrefix(a, "kms:"), "%s has %s", f.Name, a)
						}
					}
				})
			})
		}
	}
}

// policyActions lists the actions of every AWS::IAM::Policy attached to the role.
func policyActions(tpl assertions.Template, roleID string) []string {
	var out []string
	for _, p := range resources(tpl, "AWS::IAM::Policy") {
		props := p["Properties"].(map[string]interface{})
		if !strings.Contains(toJSON(props["Roles"]), `"`+roleID+`"`) {
			continue
		}
		for _, st := range props["PolicyDocument"].(map[string]interface{})["Statement"].([]interface{}) {
			switch a := st.(map[string]interface{})["Action"].(type) {
			case string:
				out = append(out, a)
			case []interface{}:
				for _, x := range a {
					out = append(out, x.(string))
				}
			}
		}
	}
	return out
}

// API Gateway's own errors (bad token, unknown path, throttling, invalid body) use the
// app's one error shape, with the status and code that lambdas/api declares and the local
// server answers.
func TestGatewayErrorsUseTheAppShape(t *testing.T) {
	forEachStack(t, []string{"Backend"}, func(t *testing.T, tpl assertions.Template, _ config.Environment) {
		responses := map[string]map[string]interface{}{}
		for _, r := range resources(tpl, "AWS::ApiGateway::GatewayResponse") {
			props := r["Properties"].(map[string]interface{})
			responses[props["ResponseType"].(string)] = props
		}
		require.Len(t, responses, len(api.GatewayErrors))
		for kind, e := range api.GatewayErrors {
			props, ok := responses[string(kind)]
			if !assert.True(t, ok, kind) {
				continue
			}
			if e.Status != 0 {
				assert.Equal(t, strconv.Itoa(e.Status), props["StatusCode"], kind)
			}
			tmpl := props["ResponseTemplates"].(map[string]interface{})["application/json"].(string)
			assert.True(t, strings.HasPrefix(tmpl, `{"error":{"code":"`+string(e.Code)+`","message":`), "%s: %s", kind, tmpl)
			assert.True(t, strings.HasSuffix(tmpl, `"requestId":"$context.requestId"}}`), "%s: %s", kind, tmpl)
		}
	})
}

// Each function's live alias is granted to API Gateway once, for this API's execution ARN
// (<api-id>/*/*/*): its resource-based policy is one statement whatever the number of
// routes, far from Lambda's 20 KB policy limit.
func TestOneInvokePermissionPerFunction(t *testing.T) {
	s := shippedApp(t)
	for _, e := range s.Config.Environments {
		tpl := s.Templates[e.Name+"/Backend"]
		t.Run(e.Name, func(t *testing.T) {
			noPanic(t, func() {
				apiID := s.logicalID(t, e.Name+"/Backend/Api/Resource/Resource")
				perFunction := map[string]int{}
				for id, p := range resources(tpl, "AWS::Lambda::Permission") {
					props := p["Properties"].(map[string]interface{})
					fn := toJSON(props["FunctionName"])
					perFunction[fn]++
					assert.Equal(t, "apigateway.amazonaws.com", props["Principal"], id)
					arn := toJSON(props["SourceArn"])
					assert.Contains(t, arn, `{"Ref":"`+apiID+`"}`, "%s is scoped to this API", id)
					assert.Contains(t, arn, `"/*/*/*"`, "%s covers every stage, method and path of the API", id)
				}
				assert.Len(t, perFunction, len(api.Functions), "one permission per function: %v", perFunction)
				for fn, n := range perFunction {
					assert.Equal(t, 1, n, "%s has %d invoke permissions", fn, n)
				}
			})
		})
	}
}
