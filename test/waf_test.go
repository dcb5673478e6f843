package test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/constructs/staticsite"
	"github.com/example/notesplatform/constructs/webacl"
	"github.com/example/notesplatform/stacks"
)

// A stage's templates, by stack name, as plain JSON: what the rate-limit check reads.
type stageJSON map[string]map[string]any

func stageTemplatesByName(t *testing.T, s *synthesized, st stage) stageJSON {
	t.Helper()
	out := stageJSON{}
	for _, stack := range st.stacks() {
		// A deep copy: the mutations below must not reach the shared templates.
		tpl, err := stack.JSON()
		require.NoError(t, err)
		out[stack.Name] = tpl
	}
	return out
}

func (s stageJSON) resources(stack string) map[string]any {
	res, _ := s[stack]["Resources"].(map[string]any)
	return res
}

// canonical renders a template value with its references made global: a Ref or GetAtt
// names "<stack>/<logical id>", and a Fn::GetStackOutput is replaced by the producing
// stack's output value, so that two stacks' references to one resource compare equal.
func (s stageJSON) canonical(stack string, v any) string {
	var walk func(stack string, v any) any
	walk = func(stack string, v any) any {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["Ref"].(string); ok && !strings.HasPrefix(ref, "AWS::") {
				return "ref:" + stack + "/" + ref
			}
			if att, ok := x["Fn::GetAtt"].([]any); ok && len(att) == 2 {
				return fmt.Sprintf("att:%s/%v.%v", stack, att[0], att[1])
			}
			if out, ok := x["Fn::GetStackOutput"].(map[string]any); ok {
				producer := fmt.Sprint(out["StackName"])
				outs, _ := s[producer]["Outputs"].(map[string]any)
				o, _ := outs[fmt.Sprint(out["OutputName"])].(map[string]any)
				return walk(producer, o["Value"])
			}
			m := map[string]any{}
			for k, e := range x {
				m[k] = walk(stack, e)
			}
			return m
		case []any:
			l := make([]any, len(x))
			for i, e := range x {
				l[i] = walk(stack, e)
			}
			return l
		}
		return v
	}
	b, _ := json.Marshal(walk(stack, v))
	return string(b)
}

// refsOfType are the global names ("<stack>/<logical id>") of the resources of a type
// that a canonical value refers to.
func (s stageJSON) refsOfType(canonical, typ string) []string {
	var out []string
	for stack := range s {
		for id, r := range s.resources(stack) {
			name := stack + "/" + id
			if r.(map[string]any)["Type"] == typ && (strings.Contains(canonical, `"ref:`+name+`"`) || strings.Contains(canonical, `"att:`+name+`.`)) {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

func (s stageJSON) resource(name string) map[string]any {
	stack, id, _ := strings.Cut(name, "/")
	r, _ := s.resources(stack)[id].(map[string]any)
	return r
}

// origin is one API origin of a distribution, with the header it adds to prove itself.
type origin struct {
	api                      string // global name of the REST API
	headerName, headerValue  string // canonical; empty without an origin header
	distribution, webACLName string // global names; webACLName empty without an ACL
}

// rateLimitProblems returns every rate-based rule of the stage that sees CloudFront's
// traffic and counts CloudFront's addresses instead of the viewers':
//   - in a CLOUDFRONT web ACL, a rate rule must aggregate on the source IP (what CloudFront
//     sees is the viewer), never on a forwarded header the viewer writes itself;
//   - in a REGIONAL web ACL on the stage of an API that a distribution forwards to, a rate
//     rule either counts only requests that did not come through the distribution (a
//     scope-down refusing the distribution's origin header and value), or aggregates on
//     the viewer's address that CloudFront forwards (X-Forwarded-For); otherwise every
//     viewer behind one CloudFront server is counted as one.
func rateLimitProblems(s stageJSON) []string {
	var problems []string
	var origins []origin
	for _, stack := range slices.Sorted(maps.Keys(s)) {
		for id, r := range s.resources(stack) {
			rm := r.(map[string]any)
			if rm["Type"] != "AWS::CloudFront::Distribution" {
				continue
			}
			cfg := propsOf(rm)["DistributionConfig"].(map[string]any)
			acl := ""
			if v, ok := cfg["WebACLId"]; ok {
				if names := s.refsOfType(s.canonical(stack, v), "AWS::WAFv2::WebACL"); len(names) == 1 {
					acl = names[0]
				} else {
					problems = append(problems, fmt.Sprintf("%s/%s: WebACLId names no web ACL of the stage", stack, id))
				}
			}
			if acl != "" {
				for _, rule := range rulesOf(s.resource(acl)) {
					if stmt := rateStatement(rule); stmt != nil && !aggregatesOnSourceIP(stmt) {
						problems = append(problems, fmt.Sprintf("CLOUDFRONT web ACL %s, rule %v: aggregates on %v, not on the viewer's IP", acl, rule["Name"], stmt["AggregateKeyType"]))
					}
				}
			}
			for _, o := range asMaps(cfg["Origins"]) {
				apis := s.refsOfType(s.canonical(stack, o["DomainName"]), "AWS::ApiGateway::RestApi")
				if len(apis) != 1 {
					continue // the bucket
				}
				or := origin{api: apis[0], distribution: stack + "/" + id, webACLName: acl}
				for _, h := range asMaps(o["OriginCustomHeaders"]) {
					or.headerName = strings.ToLower(fmt.Sprint(h["HeaderName"]))
					or.headerValue = s.canonical(stack, h["HeaderValue"])
				}
				origins = append(origins, or)
			}
		}
	}
	for _, stack := range slices.Sorted(maps.Keys(s)) {
		for id, r := range s.resources(stack) {
			rm := r.(map[string]any)
			if rm["Type"] != "AWS::WAFv2::WebACLAssociation" {
				continue
			}
			p := propsOf(rm)
			apis := s.refsOfType(s.canonical(stack, p["ResourceArn"]), "AWS::ApiGateway::RestApi")
			acls := s.refsOfType(s.canonical(stack, p["WebACLArn"]), "AWS::WAFv2::WebACL")
			if len(apis) != 1 || len(acls) != 1 {
				problems = append(problems, fmt.Sprintf("%s/%s: associates %v with %v: want one web ACL and one REST API stage", stack, id, acls, apis))
				continue
			}
			for _, o := range origins {
				if o.api != apis[0] {
					continue
				}
				aclStack, _, _ := strings.Cut(acls[0], "/")
				for _, rule := range rulesOf(s.resource(acls[0])) {
					stmt := rateStatement(rule)
					if stmt == nil || forwardsViewer(stmt) || o.headerName != "" && excludesOrigin(s, aclStack, stmt, o) {
						continue
					}
					problems = append(problems, fmt.Sprintf("REGIONAL web ACL %s on %s (an origin of %s), rule %v: counts every request, CloudFront's included, by source IP: CloudFront's addresses",
						acls[0], apis[0], o.distribution, rule["Name"]))
				}
			}
		}
	}
	slices.Sort(problems)
	return problems
}

func rulesOf(acl map[string]any) []map[string]any {
	return asMaps(propsOf(acl)["Rules"])
}

func rateStatement(rule map[string]any) map[string]any {
	st, _ := rule["Statement"].(map[string]any)
	rb, _ := st["RateBasedStatement"].(map[string]any)
	return rb
}

// aggregatesOnSourceIP: the key is the source IP (alone, or among custom keys).
func aggregatesOnSourceIP(stmt map[string]any) bool {
	switch stmt["AggregateKeyType"] {
	case "IP":
		return true
	case "CUSTOM_KEYS":
		for _, k := range asMaps(stmt["CustomKeys"]) {
			if _, ok := k["IP"]; ok {
				return true
			}
		}
	}
	return false
}

// forwardsViewer: the key is the viewer's address that CloudFront forwards.
func forwardsViewer(stmt map[string]any) bool {
	cfg, _ := stmt["ForwardedIPConfig"].(map[string]any)
	return stmt["AggregateKeyType"] == "FORWARDED_IP" && strings.EqualFold(fmt.Sprint(cfg["HeaderName"]), "X-Forwarded-For")
}

// excludesOrigin: the rule's scope-down counts only requests without the distribution's
// origin header and value.
func excludesOrigin(s stageJSON, stack string, stmt map[string]any, o origin) bool {
	down, _ := stmt["ScopeDownStatement"].(map[string]any)
	not, _ := down["NotStatement"].(map[string]any)
	inner, _ := not["Statement"].(map[string]any)
	bm, _ := inner["ByteMatchStatement"].(map[string]any)
	field, _ := bm["FieldToMatch"].(map[string]any)
	header, _ := field["SingleHeader"].(map[string]any)
	return bm["PositionalConstraint"] == "EXACTLY" && strings.EqualFold(fmt.Sprint(header["Name"]), o.headerName) &&
		s.canonical(stack, bm["SearchString"]) == o.headerValue
}

// Rate limits count viewers, not CloudFront's servers: no rate-based rule that sees the
// distribution's traffic aggregates on CloudFront's addresses, in any stage.
func TestRateLimitsCountViewers(t *testing.T) {
	s := shippedApp(t)
	for _, st := range s.stages() {
		t.Run(st.Env.Name, func(t *testing.T) {
			noPanic(t, func() {
				assert.Empty(t, rateLimitProblems(stageTemplatesByName(t, s, st)))
			})
		})
	}
}

// The check above fails on what it must catch, and passes the two ways a regional rate
// limit behind CloudFront may count: only the requests that bypass the distribution, or
// by the viewer's forwarded address.
func TestRateLimitCheckCatchesEdgeAggregation(t *testing.T) {
	s := shippedApp(t)
	var st stage
	for _, x := range s.stages() {
		if x.Env.WAF {
			st = x
		}
	}
	require.NotNil(t, st.s, "a shipped environment with WAF")
	backend, frontend, edge := st.stack("Backend").Name, st.stack("Frontend").Name, st.stack("Edge").Name
	apiID := st.logicalID(t, "Backend/Api/Resource/Resource")
	gateID := st.logicalID(t, "Frontend/Site/ApiGate/Resource")
	rateRule := func(key string) map[string]any {
		return map[string]any{"Name": "RateLimitPerIp", "Priority": 9, "Action": map[string]any{"Block": map[string]any{}},
			"Statement": map[string]any{"RateBasedStatement": map[string]any{"AggregateKeyType": key, "Limit": 2000}}}
	}
	// The API's regional ACL as it was: a per-IP limit on the stage that CloudFront
	// forwards /api/* to.
	withOldRegionalACL := func(tpls stageJSON, rule map[string]any) {
		res := tpls.resources(backend)
		res["OldWebAcl"] = map[string]any{"Type": "AWS::WAFv2::WebACL", "Properties": map[string]any{
			"Scope": "REGIONAL", "Rules": []any{rule}}}
		res["OldWebAclAssociation"] = map[string]any{"Type": "AWS::WAFv2::WebACLAssociation", "Properties": map[string]any{
			"ResourceArn": map[string]any{"Fn::Join": []any{"", []any{"arn:aws:apigateway:eu-west-1::/restapis/", map[string]any{"Ref": apiID}, "/stages/api"}}},
			"WebACLArn":   map[string]any{"Fn::GetAtt": []any{"OldWebAcl", "Arn"}},
		}}
	}
	gateRules := func(tpls stageJSON) map[string]any { return propsOf(tpls.resources(frontend)[gateID].(map[string]any)) }
	edgeACL := func(tpls stageJSON) map[string]any {
		for _, r := range tpls.resources(edge) {
			if r.(map[string]any)["Type"] == "AWS::WAFv2::WebACL" {
				return r.(map[string]any)
			}
		}
		return nil
	}
	// The distribution's origin header, as the Frontend stack renders it.
	originHeader := func(tpls stageJSON) (string, any) {
		for _, r := range tpls.resources(frontend) {
			if r.(map[string]any)["Type"] == "AWS::CloudFront::Distribution" {
				for _, o := range asMaps(propsOf(r.(map[string]any))["DistributionConfig"].(map[string]any)["Origins"]) {
					for _, h := range asMaps(o["OriginCustomHeaders"]) {
						return fmt.Sprint(h["HeaderName"]), h["HeaderValue"]
					}
				}
			}
		}
		return "", nil
	}
	for _, c := range []struct {
		name   string
		mutate func(stageJSON)
		want   []string // substrings of the problems, one each
	}{
		{"the old regional per-IP limit on the API behind CloudFront", func(tpls stageJSON) {
			withOldRegionalACL(tpls, rateRule("IP"))
		}, []string{"REGIONAL web ACL " + backend + "/OldWebAcl", "rule RateLimitPerIp: counts every request"}},
		{"a per-IP limit after the origin check, which only CloudFront passes", func(tpls stageJSON) {
			p := gateRules(tpls)
			p["Rules"] = append(p["Rules"].([]any), rateRule("IP"))
		}, []string{"REGIONAL web ACL " + frontend + "/" + gateID}},
		{"the CloudFront limit on a header the viewer writes", func(tpls stageJSON) {
			rule := rulesOf(edgeACL(tpls))[0]
			stmt := rateStatement(rule)
			stmt["AggregateKeyType"] = "FORWARDED_IP"
			stmt["ForwardedIPConfig"] = map[string]any{"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"}
		}, []string{"CLOUDFRONT web ACL " + edge + "/", "aggregates on FORWARDED_IP"}},
		{"a regional limit that counts only requests bypassing CloudFront passes", func(tpls stageJSON) {
			rule := rateRule("IP")
			name, value := originHeader(tpls)
			// In the Backend stack, the value is a reference to the Frontend's secret.
			value = map[string]any{"Fn::Join": []any{"", []any{"{{resolve:secretsmanager:", map[string]any{"Fn::GetStackOutput": map[string]any{
				"StackName": frontend, "OutputName": "TestOriginSecret", "Region": "eu-west-1"}}, ":SecretString:::}}"}}}
			tpls[frontend]["Outputs"].(map[string]any)["TestOriginSecret"] = map[string]any{"Value": map[string]any{"Ref": secretOf(tpls, frontend)}}
			rateStatement(rule)["ScopeDownStatement"] = map[string]any{"NotStatement": map[string]any{"Statement": map[string]any{
				"ByteMatchStatement": map[string]any{"FieldToMatch": map[string]any{"SingleHeader": map[string]any{"Name": strings.ToLower(name)}},
					"PositionalConstraint": "EXACTLY", "SearchString": value}}}}
			withOldRegionalACL(tpls, rule)
		}, nil},
		{"a regional limit on the forwarded viewer address passes", func(tpls stageJSON) {
			rule := rateRule("FORWARDED_IP")
			rateStatement(rule)["ForwardedIPConfig"] = map[string]any{"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"}
			withOldRegionalACL(tpls, rule)
		}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			noPanic(t, func() {
				tpls := stageTemplatesByName(t, s, st)
				c.mutate(tpls)
				problems := rateLimitProblems(tpls)
				if c.want == nil {
					assert.Empty(t, problems)
					return
				}
				require.Len(t, problems, 1, "%v", problems)
				for _, w := range c.want {
					assert.Contains(t, problems[0], w)
				}
			})
		})
	}
}

// secretOf is the logical id of the one Secrets Manager secret of a stack.
func secretOf(tpls stageJSON, stack string) string {
	for id, r := range tpls.resources(stack) {
		if r.(map[string]any)["Type"] == "AWS::SecretsManager::Secret" {
			return id
		}
	}
	return ""
}

// Where WAF is on, everything CloudFront serves passes a CLOUDFRONT web ACL from the Edge
// stack in us-east-1 (the per-viewer limit with its 429 in the app's shape and
// Retry-After, then AWS's managed rules), and the API refuses, in the app's shape, any
// request without the distribution's secret origin header; the header's value is a
// Secrets Manager dynamic reference, in neither template. Elsewhere there is no web ACL
// and the cdk-nag findings say which config key.
func TestWebACL(t *testing.T) {
	s := shippedApp(t)
	for _, st := range s.stages() {
		e := st.Env
		t.Run(e.Name, func(t *testing.T) {
			noPanic(t, func() {
				tpls := stageTemplatesByName(t, s, st)
				frontend := st.stack("Frontend").Name
				count := func(stack, typ string) int { return len(resourcesOf(tpls[stack], typ)) }
				assert.Zero(t, count(st.stack("Backend").Name, "AWS::WAFv2::WebACL"), "the API has no web ACL of its own: it would count CloudFront's addresses")
				if !e.WAF {
					assert.Nil(t, st.stack("Edge"))
					assert.Zero(t, count(frontend, "AWS::WAFv2::WebACL"))
					assert.Contains(t, toJSON(tpls[frontend]), "config.environments."+e.Name+".waf is false", "CFR2 suppression")
					return
				}
				require.NotNil(t, st.stack("Edge"))
				assert.Equal(t, webacl.CloudFrontRegion, st.stack("Edge").Region)
				assert.NotContains(t, toJSON(tpls[frontend]), "AwsSolutions-CFR2", "the distribution has a web ACL: no suppression")
				edge := resourcesOf(tpls[st.stack("Edge").Name], "AWS::WAFv2::WebACL")
				require.Len(t, edge, 1)
				var aclID string
				for id := range edge {
					aclID = id
				}
				acl := propsOf(edge[aclID])
				assert.Equal(t, "CLOUDFRONT", acl["Scope"])
				rules := asMaps(acl["Rules"])
				require.NotEmpty(t, rules)
				limit := rules[0]
				assert.Equal(t, webacl.RateLimitRule, limit["Name"], "the rate limit runs first")
				assert.Equal(t, map[string]any{"AggregateKeyType": "IP", "Limit": float64(stacks.ViewerRateLimitPer5Min)}, rateStatement(limit))
				block := limit["Action"].(map[string]any)["Block"].(map[string]any)["CustomResponse"].(map[string]any)
				assert.Equal(t, float64(429), block["ResponseCode"])
				assert.Contains(t, toJSON(block["ResponseHeaders"]), `{"Name":"Retry-After","Value":"60"}`)
				assert.Contains(t, toJSON(acl["CustomResponseBodies"]), `\"code\":\"throttled\"`)
				var groups []string
				for _, r := range rules[1:] {
					groups = append(groups, fmt.Sprint(r["Name"]))
				}
				var want []string
				for _, g := range stacks.EdgeManagedRules {
					want = append(want, g.Name)
				}
				assert.Equal(t, want, groups)

				tpls.resources(frontend)
				dist := resourcesOf(tpls[frontend], "AWS::CloudFront::Distribution")
				require.Len(t, dist, 1)
				for _, d := range dist {
					cfg := propsOf(d)["DistributionConfig"].(map[string]any)
					assert.Equal(t, fmt.Sprintf(`"att:%s/%s.Arn"`, st.stack("Edge").Name, aclID), tpls.canonical(frontend, cfg["WebACLId"]))
					headers := toJSON(cfg["Origins"])
					assert.Contains(t, headers, `"HeaderName":"`+staticsite.OriginHeader+`"`)
					assert.Contains(t, headers, `{{resolve:secretsmanager:`, "the value is resolved at deploy time, not written in the template")
				}
				gate := propsOf(tpls.resource(frontend + "/" + st.logicalID(t, "Frontend/Site/ApiGate/Resource")))
				assert.Equal(t, "REGIONAL", gate["Scope"])
				gateRules := asMaps(gate["Rules"])
				require.Len(t, gateRules, 1)
				assert.Equal(t, webacl.RequireHeaderRule, gateRules[0]["Name"])
				assert.Contains(t, toJSON(gateRules[0]["Action"]), `"ResponseCode":403`)
				assert.Contains(t, toJSON(gate["CustomResponseBodies"]), `\"code\":\"forbidden\"`)
				assert.Len(t, resourcesOf(tpls[frontend], "AWS::WAFv2::WebACLAssociation"), 1)
			})
		})
	}
}
