package test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/deploypolicy"
	"github.com/example/notesplatform/internal/deploypolicy/registry"
	"github.com/example/notesplatform/internal/iamsim"
)

var (
	simOnce sync.Once
	sim     *iamsim.Simulator
	simErr  error
)

// simulator is the IAM policy evaluator of the test binary.
func simulator(t *testing.T) *iamsim.Simulator {
	t.Helper()
	simOnce.Do(func() { sim, simErr = iamsim.New(repoRoot(t)) })
	require.NoError(t, simErr)
	return sim
}

func loadRegistry(t *testing.T) *registry.File {
	t.Helper()
	reg, err := registry.Load()
	require.NoError(t, err)
	return reg
}

// appResources are representative ARNs of what this app's templates name, by IAM resource
// type ("service:type" as the IAM catalog names it, service in lower case). They have the
// shapes that deploypolicy's grants scope to: every stack is "<app>-<env>-<part>" and
// CloudFormation names what it creates "<stack name>-<logical id>-<random>" (buckets in
// lower case), the app names a few things itself with the same prefix (the boundary, the
// log key's alias), and what AWS addresses by a random id (keys, VPC parts, distributions,
// user pools, REST APIs) gets a made-up id. Lambda code is read from the bootstrap asset
// bucket. The registry check evaluates each handler permission on every resource type of
// its action that is listed here (wildcard-only actions on "*"); an action none of whose
// resource types is listed fails the check, so a new kind of resource is a conscious
// addition here. Placeholders: {partition} {account} {region} {prefix} {qualifier}.
var appResources = map[string]string{
	"s3:bucket": "arn:{partition}:s3:::{prefix}-frontend-sitebucket397a1860-0a1b2c3d4e5f",
	"s3:object": "arn:{partition}:s3:::cdk-{qualifier}-assets-{account}-{region}/0a1b2c3d4e5f60718293a4b5c6d7e8f9.zip",

	"dynamodb:table": "arn:{partition}:dynamodb:{region}:{account}:table/{prefix}-data-Notes25A8A941-0A1B2C3D4E5F",

	"lambda:function":         "arn:{partition}:lambda:{region}:{account}:function:{prefix}-backend-Health5FA6ECAB-0a1b2c3d4e5f",
	"lambda:function alias":   "arn:{partition}:lambda:{region}:{account}:function:{prefix}-backend-Health5FA6ECAB-0a1b2c3d4e5f:live",
	"lambda:function version": "arn:{partition}:lambda:{region}:{account}:function:{prefix}-backend-Health5FA6ECAB-0a1b2c3d4e5f:7",
	"lambda:layer":            "arn:{partition}:lambda:{region}:{account}:layer:SiteDeployAwsCliLayer0A1B2C3D",
	"lambda:layerversion":     "arn:{partition}:lambda:{region}:{account}:layer:SiteDeployAwsCliLayer0A1B2C3D:1",

	"iam:role":   "arn:{partition}:iam::{account}:role/{prefix}-backend-HealthServiceRole0A1B2C3D-0a1b2c3d4e5f",
	"iam:policy": "arn:{partition}:iam::{account}:policy/{prefix}-permissions-boundary",

	"kms:key":   "arn:{partition}:kms:{region}:{account}:key/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f",
	"kms:alias": "arn:{partition}:kms:{region}:{account}:alias/{prefix}-logs",

	"logs:log-group": "arn:{partition}:logs:{region}:{account}:log-group:{prefix}-backend-HealthLogGroupFB921267-0a1b2c3d4e5f",

	"sns:topic": "arn:{partition}:sns:{region}:{account}:{prefix}-backend-AlarmsB3E93623-0a1b2c3d4e5f",

	"secretsmanager:secret": "arn:{partition}:secretsmanager:{region}:{account}:secret:CursorKey255E8F8A-0a1b2c3d4e5f-AbCdEf",

	"cloudtrail:trail": "arn:{partition}:cloudtrail:{region}:{account}:trail/{prefix}-base-AuditTrail0A1B2C3D-0a1b2c3d4e5f",

	"cloudwatch:alarm":     "arn:{partition}:cloudwatch:{region}:{account}:alarm:{prefix}-backend-Errors0A1B2C3D-0a1b2c3d4e5f",
	"cloudwatch:dashboard": "arn:{partition}:cloudwatch::{account}:dashboard/{prefix}",

	"codedeploy:application":      "arn:{partition}:codedeploy:{region}:{account}:application:{prefix}",
	"codedeploy:deploymentgroup":  "arn:{partition}:codedeploy:{region}:{account}:deploymentgroup:{prefix}/{prefix}-backend-HealthRolloutA34381AF-0A1B2C3D4E5F",
	"codedeploy:deploymentconfig": "arn:{partition}:codedeploy:{region}:{account}:deploymentconfig:CodeDeployDefault.LambdaCanary10Percent5Minutes",

	"cognito-idp:userpool": "arn:{partition}:cognito-idp:{region}:{account}:userpool/{region}_AbCdEfGhI",

	"cloudfront:distribution":            "arn:{partition}:cloudfront::{account}:distribution/E0A1B2C3D4E5F6",
	"cloudfront:function":                "arn:{partition}:cloudfront::{account}:function/{region}{env}FrontendSiteSpaRouting0A1B2C3D",
	"cloudfront:cache-policy":            "arn:{partition}:cloudfront::{account}:cache-policy/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f",
	"cloudfront:origin-access-control":   "arn:{partition}:cloudfront::{account}:origin-access-control/E0A1B2C3D4E5F6",
	"cloudfront:response-headers-policy": "arn:{partition}:cloudfront::{account}:response-headers-policy/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f",

	"ec2:vpc":            "arn:{partition}:ec2:{region}:{account}:vpc/vpc-0a1b2c3d4e5f60718",
	"ec2:subnet":         "arn:{partition}:ec2:{region}:{account}:subnet/subnet-0a1b2c3d4e5f60718",
	"ec2:route-table":    "arn:{partition}:ec2:{region}:{account}:route-table/rtb-0a1b2c3d4e5f60718",
	"ec2:vpc-endpoint":   "arn:{partition}:ec2:{region}:{account}:vpc-endpoint/vpce-0a1b2c3d4e5f60718",
	"ec2:vpc-flow-log":   "arn:{partition}:ec2:{region}:{account}:vpc-flow-log/fl-0a1b2c3d4e5f60718",
	"ec2:security-group": "arn:{partition}:ec2:{region}:{account}:security-group/sg-0a1b2c3d4e5f60718",

	"wafv2:webacl":     "arn:{partition}:wafv2:{region}:{account}:regional/webacl/{prefix}-api/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f",
	"wafv2:apigateway": "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4/stages/api",

	"apigateway:account":           "arn:{partition}:apigateway:{region}::/account",
	"apigateway:restapi":           "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4",
	"apigateway:restapis":          "arn:{partition}:apigateway:{region}::/restapis",
	"apigateway:resource":          "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4/resources/f5g6h7",
	"apigateway:resources":         "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4/resources",
	"apigateway:method":            "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4/resources/f5g6h7/methods/GET",
	"apigateway:integration":       "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4/resources/f5g6h7/methods/GET/integration",
	"apigateway:authorizer":        "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4/authorizers/k8l9m0",
	"apigateway:authorizers":       "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4/authorizers",
	"apigateway:deployment":        "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4/deployments/n1o2p3",
	"apigateway:deployments":       "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4/deployments",
	"apigateway:stage":             "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4/stages/api",
	"apigateway:stages":            "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4/stages",
	"apigateway:gatewayresponse":   "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4/gatewayresponses/DEFAULT_4XX",
	"apigateway:gatewayresponses":  "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4/gatewayresponses",
	"apigateway:model":             "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4/models/NoteInput",
	"apigateway:models":            "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4/models",
	"apigateway:requestvalidator":  "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4/requestvalidators/q4r5s6",
	"apigateway:requestvalidators": "arn:{partition}:apigateway:{region}::/restapis/a0b1c2d3e4/requestvalidators",
	"apigateway:tags":              "arn:{partition}:apigateway:{region}::/tags/arn%3Aaws%3Aapigateway%3A{region}%3A%3A%2Frestapis%2Fa0b1c2d3e4",

	// The pipeline account's (prefix "<app>-pipeline"): the pipeline is named the prefix,
	// the CodeBuild projects "<prefix>-<logical id>" (stacks.nameProjects), the repository
	// as config says ({repository}); the connection is the administrator's.
	"codepipeline:pipeline":            "arn:{partition}:codepipeline:{region}:{account}:{prefix}",
	"codepipeline:stage":               "arn:{partition}:codepipeline:{region}:{account}:{prefix}/Build",
	"codebuild:project":                "arn:{partition}:codebuild:{region}:{account}:project/{prefix}-PipelineBuildSynthCdkBuildProject6BEFA8E6",
	"codecommit:repository":            "arn:{partition}:codecommit:{region}:{account}:{repository}",
	"events:rule-on-default-event-bus": "arn:{partition}:events:{region}:{account}:rule/{prefix}-RepositorynotespipelinePi-0A1B2C3D4E5F",
	"codestar-connections:connection":  "arn:{partition}:codestar-connections:{region}:{account}:connection/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f",
}

// taggedResources are, for the types whose service's tagging actions address more than one
// kind of resource, the kind that the type's handler tags: the resource it creates. A
// dashboard's handler calls cloudwatch:TagResource on the dashboard, never on an alarm
// (the action's other resource type), so that is the request to evaluate; the pipeline
// account, which has a dashboard and no alarm, grants the dashboard's tagging on its
// dashboard only. Keys are appResources'.
var taggedResources = map[string]string{
	"AWS::CloudWatch::Alarm":     "cloudwatch:alarm",
	"AWS::CloudWatch::Dashboard": "cloudwatch:dashboard",
}

// taggingActions are the actions that tag, untag or list the tags of one resource, named
// by its ARN.
var taggingActions = []string{"TagResource", "UntagResource", "ListTagsForResource"}

// accountKeyPolicy is the statement every key policy of the templates starts with (CDK's
// default): it lets the account's IAM policies grant the key's use. Without a key policy
// IAM allows nothing on a KMS key.
func accountKeyPolicy(account string) any {
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + account + ":root"}, "Action": "kms:*", "Resource": "*",
	}}}
}

// globalServices answer in us-east-1 whatever the environment's region.
var globalServices = map[string]bool{"iam": true, "cloudfront": true, "organizations": true, "route53": true}

// envResources fills the placeholders of appResources for one environment (or the
// pipeline account, whose environment is named deploypolicy.PipelineEnv).
func envResources(app string, e config.Environment, repository string) map[string]string {
	r := strings.NewReplacer("{partition}", "aws", "{account}", e.Account, "{region}", e.Region,
		"{prefix}", app+"-"+e.Name, "{qualifier}", deploypolicy.DefaultQualifier, "{env}", e.Name,
		"{repository}", cmp.Or(repository, "no-repository"))
	out := map[string]string{}
	for k, v := range appResources {
		out[k] = r.Replace(v)
	}
	return out
}

// registryType is the type whose registry entry describes a template type: custom
// resources are all AWS::CloudFormation::CustomResource.
func registryType(t string) string {
	if strings.HasPrefix(t, "Custom::") {
		return "AWS::CloudFormation::CustomResource"
	}
	return t
}

// unneeded indexes deploypolicy.NotNeeded by type and action.
func unneeded() map[string]map[string]deploypolicy.Unneeded {
	out := map[string]map[string]deploypolicy.Unneeded{}
	for _, u := range deploypolicy.NotNeeded {
		if out[u.Type] == nil {
			out[u.Type] = map[string]deploypolicy.Unneeded{}
		}
		for _, a := range u.Actions {
			out[u.Type][a] = u
		}
	}
	return out
}

// registryCheck is one registry permission of one type that the policy must grant.
type registryCheck struct {
	typ, action string
	handlers    []registry.Handler
}

// neededPermissions are the registry permissions of the types that the reviewed list does
// not excuse, and the problems found on the way (types without data or with handlers
// missing from NoRegistryHandlers).
func neededPermissions(reg *registry.File, types []string) ([]registryCheck, []error) {
	var out []registryCheck
	var errs []error
	skip := unneeded()
	for _, t := range types {
		if t == "AWS::CDK::Metadata" {
			continue // written by the CLI, not a registry type
		}
		h, ok := reg.Lookup(registryType(t))
		if !ok {
			errs = append(errs, fmt.Errorf("%s: not in internal/deploypolicy/registry/handlers.json: run make registry-permissions ADD=%s", t, t))
			continue
		}
		if h.NoHandlers {
			if deploypolicy.NoRegistryHandlers[registryType(t)] == "" {
				errs = append(errs, fmt.Errorf("%s: its registry schema has no handlers: say how its permissions are known in deploypolicy.NoRegistryHandlers", t))
			}
			continue
		}
		for _, a := range h.All() {
			if _, ok := skip[registryType(t)][a]; ok {
				continue
			}
			c := registryCheck{typ: t, action: a}
			for _, hd := range []registry.Handler{registry.Create, registry.Update, registry.Delete} {
				if slices.Contains(h.Permissions(hd), a) {
					c.handlers = append(c.handlers, hd)
				}
			}
			out = append(out, c)
		}
	}
	return out, errs
}

// envBundle is one account's generated policies, with what the registry check needs.
type envBundle struct {
	name   string // "dev", "custom-domain/prod" for the variant, "connection/pipeline"
	app    string
	env    config.Environment // the pipeline's: named deploypolicy.PipelineEnv
	bundle *deploypolicy.Bundle
	types  []string
	// typeRegions are the regions whose stacks hold each type.
	typeRegions map[string][]string
	// boundary is the name of the boundary every role of the templates must carry;
	// repository the CodeCommit repository the templates create, if any.
	boundary, repository string
}

// typeRegionsOf are the regions whose stacks hold each resource type.
func typeRegionsOf(t *testing.T, stacks []*cfn.Stack) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, stack := range stacks {
		tpl, err := stack.JSON()
		require.NoError(t, err)
		for _, typ := range deploypolicy.ResourceTypes(tpl) {
			if !slices.Contains(out[typ], stack.Region) {
				out[typ] = append(out[typ], stack.Region)
			}
		}
	}
	return out
}

// envBundles are the bundles of every environment of the shipped and custom-domain
// configurations, then the pipeline account's of the shipped, custom-domain (a support
// stack in another region) and connection configurations.
func envBundles(t *testing.T) []envBundle {
	t.Helper()
	var out []envBundle
	for _, v := range []struct {
		label string
		s     *synthesized
	}{{"", shippedApp(t)}, {"custom-domain/", customDomainApp(t)}} {
		for _, e := range v.s.Config.Environments {
			b, err := stageBundle(t, v.s, e)
			require.NoError(t, err)
			out = append(out, envBundle{name: v.label + e.Name, app: v.s.Config.AppName, env: e, bundle: b,
				types: stageTypes(t, v.s, e.Name), typeRegions: typeRegionsOf(t, (stage{Env: e, s: v.s}).stacks()),
				boundary: deploypolicy.BoundaryName(v.s.Config.AppName, e.Name)})
		}
	}
	for _, v := range []struct {
		label string
		s     *synthesized
	}{{"", shippedApp(t)}, {"custom-domain/", customDomainApp(t)}, {"connection/", connectionApp(t)}} {
		out = append(out, pipelineEnvBundle(t, v.label, v.s))
	}
	return out
}

// Every IAM action that AWS's registry lists for the create, update and delete handlers
// of a type in an environment's templates is allowed by that environment's execution
// policies within their boundary (and not explicitly denied), as AWS's policy evaluation
// decides it, or is in the one reviewed list of unneeded actions.
func TestDeployPolicyGrantsRegistryPermissions(t *testing.T) {
	var all []envBundle
	noPanic(t, func() { all = envBundles(t) })
	require.Len(t, all, len(shippedApp(t).Config.Environments)+len(customDomainApp(t).Config.Environments)+3,
		"one bundle per environment of the shipped and the custom-domain configurations, and the pipeline account's of 3")
	problems, n := registryProblems(t, loadRegistry(t), all)
	for _, p := range problems {
		t.Error(p)
	}
	assert.Greater(t, n, 1000, "requests evaluated")
	t.Logf("%d requests evaluated (IAM catalog %s), %d problems", n, simulator(t).Version, len(problems))
}

// The registry check fails when a policy lacks a permission that a handler reads on every
// create or update, and names the type, the action and IAM's answer.
func TestRegistryCheckCatchesMissingGrants(t *testing.T) {
	var all []envBundle
	noPanic(t, func() { all = envBundles(t) })
	eb := all[0]
	b, err := json.Marshal(eb.bundle)
	require.NoError(t, err)
	var cut deploypolicy.Bundle
	require.NoError(t, json.Unmarshal(b, &cut))
	drop := []string{"dynamodb:GetResourcePolicy", "logs:DescribeIndexPolicies", "secretsmanager:GetSecretValue"}
	for _, p := range cut.ExecutionPolicies {
		for i := range p.Document.Statement {
			st := &p.Document.Statement[i]
			st.Action = slices.DeleteFunc(st.Action, func(a string) bool { return slices.Contains(drop, a) })
		}
	}
	eb.bundle = &cut
	problems, _ := registryProblems(t, loadRegistry(t), []envBundle{eb})
	for _, a := range drop {
		found := false
		for _, p := range problems {
			found = found || (strings.Contains(p, " calls "+a+" ") && strings.Contains(p, string(iamsim.ImplicitlyDenied)))
		}
		assert.True(t, found, "removing %s from the policies went unnoticed: %v", a, problems)
	}
	assert.Len(t, problems, len(drop), "only the removed grants fail")
}

// registryProblems evaluates every needed registry permission of each environment against
// its policies in one batch, and returns what is not allowed and how many requests ran.
func registryProblems(t *testing.T, reg *registry.File, all []envBundle) ([]string, int) {
	t.Helper()
	sim := simulator(t)
	var problems []string
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	type pending struct {
		env   envBundle
		check registryCheck
		req   iamsim.Request
	}
	var reqs []pending
	var actions []string
	checksOf := map[string][]registryCheck{}
	for _, eb := range all {
		checks, errs := neededPermissions(reg, eb.types)
		for _, err := range errs {
			errorf("%s: %v", eb.name, err)
		}
		require.NotEmpty(t, checks)
		checksOf[eb.name] = checks
		for _, c := range checks {
			actions = append(actions, c.action)
		}
	}
	slices.Sort(actions)
	actions = slices.Compact(actions)
	details, err := sim.Describe(context.Background(), actions)
	require.NoError(t, err)
	detail := map[string]iamsim.ActionDetail{}
	for _, d := range details {
		detail[d.Action] = d
	}

	for _, eb := range all {
		boundary := eb.boundary
		var identity []iamsim.Policy
		for _, p := range eb.bundle.ExecutionPolicies {
			identity = append(identity, iamsim.Policy{Name: p.Name, Document: p.Document})
		}
		pb := &iamsim.Policy{Name: eb.bundle.Boundary.Name, Document: eb.bundle.Boundary.Document}
		// Each type is checked in every region whose stacks hold it, as that region's
		// execution role (bootstrapped with the same policies) calls it: the Edge stack's
		// web ACL in us-east-1.
		type regionalCheck struct {
			registryCheck
			region string
		}
		var checks []regionalCheck
		for _, c := range checksOf[eb.name] {
			for _, region := range eb.typeRegions[c.typ] {
				checks = append(checks, regionalCheck{c, region})
			}
		}
		for _, rc := range checks {
			c := rc.registryCheck
			env := eb.env
			env.Region = rc.region
			res := envResources(eb.app, env, eb.repository)
			if rc.region != eb.env.Region {
				// CloudFront's web ACLs are global: arn:...:wafv2:us-east-1:...:global/webacl/...
				res["wafv2:webacl"] = strings.Replace(res["wafv2:webacl"], ":regional/webacl/", ":global/webacl/", 1)
			}
			principal := fmt.Sprintf("arn:aws:iam::%s:role/cdk-%s-cfn-exec-role-%s-%s", env.Account, deploypolicy.DefaultQualifier, env.Account, env.Region)
			d := detail[c.action]
			if !d.Exists {
				errorf("%s: %s lists %s (%v), which the IAM catalog does not know: add it to deploypolicy.NotNeeded as not an IAM action", eb.name, c.typ, c.action, c.handlers)
				continue
			}
			var arns []string
			if d.WildcardOnly || len(d.ResourceTypes) == 0 {
				arns = []string{"*"}
			}
			for _, rt := range d.ResourceTypes {
				svc, name, _ := strings.Cut(rt.Name, ":")
				if arn, ok := res[strings.ToLower(svc)+":"+strings.ToLower(name)]; ok {
					arns = append(arns, arn)
				}
			}
			if own, ok := taggedResources[c.typ]; ok && slices.Contains(arns, res[own]) {
				if svc, verb, _ := strings.Cut(c.action, ":"); slices.Contains(taggingActions, verb) && strings.HasPrefix(own, strings.ToLower(svc)+":") {
					arns = []string{res[own]}
				}
			}
			if len(arns) == 0 {
				var names []string
				for _, rt := range d.ResourceTypes {
					names = append(names, rt.Name)
				}
				errorf("%s: %s lists %s (%v) on resource types %v, none of which the app names: add the one the app uses to appResources, or the action to deploypolicy.NotNeeded", eb.name, c.typ, c.action, c.handlers, names)
				continue
			}
			svc, _, _ := strings.Cut(strings.ToLower(c.action), ":")
			region := env.Region
			if globalServices[svc] {
				region = deploypolicy.GlobalRegion
			}
			ctx := map[string][]string{
				"aws:RequestedRegion":     {region},
				"iam:PermissionsBoundary": {fmt.Sprintf("arn:aws:iam::%s:policy/%s", eb.env.Account, boundary)},
				"iam:PolicyARN":           {"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
				// CloudFormation tags what it creates with its stack's name.
				"aws:ResourceTag/aws:cloudformation:stack-name": {eb.app + "-" + eb.env.Name + "-backend"},
			}
			if part := strings.Split(c.typ, "::"); svc == "kms" && len(part) == 3 && part[1] != "KMS" {
				// Another service (DynamoDB...) calls KMS with the caller's rights.
				ctx["kms:ViaService"] = []string{typeServices[part[1]] + "." + env.Region + ".amazonaws.com"}
			}
			for _, arn := range slices.Compact(arns) {
				var keyPolicy any
				if arn == res["kms:key"] {
					keyPolicy = accountKeyPolicy(eb.env.Account)
				}
				reqs = append(reqs, pending{env: eb, check: c, req: iamsim.Request{
					Principal: principal, Identity: identity, Boundary: pb, Action: c.action, Resource: arn,
					ResourcePolicy: keyPolicy, Context: ctx,
				}})
			}
		}
	}
	in := make([]iamsim.Request, len(reqs))
	for i, p := range reqs {
		in[i] = p.req
	}
	out, err := sim.Evaluate(context.Background(), in)
	require.NoError(t, err)
	for i, r := range out {
		p := reqs[i]
		switch {
		case r.Error != "":
			errorf("%s: %s %s on %s: the simulator rejected the request: %s", p.env.name, p.check.typ, p.check.action, p.req.Resource, r.Error)
		case r.Decision != iamsim.Allowed:
			errorf("%s: %s handler %v calls %s on %s: %s by %v; grant it in deploypolicy.Table or list it in deploypolicy.NotNeeded",
				p.env.name, p.check.typ, p.check.handlers, p.check.action, p.req.Resource, r.Decision, r.Denials)
		}
	}
	return problems, len(out)
}

// propertySet reports whether a resource's properties set a path ("A.B", "A[].B").
func propertySet(v any, path string) bool {
	if path == "" {
		return v != nil
	}
	head, rest, _ := strings.Cut(path, ".")
	list := strings.HasSuffix(head, "[]")
	head = strings.TrimSuffix(head, "[]")
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	next, ok := m[head]
	if !ok {
		return false
	}
	if !list {
		return propertySet(next, rest)
	}
	items, _ := next.([]any)
	for _, it := range items {
		if propertySet(it, rest) {
			return true
		}
	}
	return false
}

func TestPropertySet(t *testing.T) {
	props := map[string]any{"A": map[string]any{"B": 1}, "L": []any{map[string]any{"X": "y"}, map[string]any{}}}
	assert.True(t, propertySet(props, "A"))
	assert.True(t, propertySet(props, "A.B"))
	assert.False(t, propertySet(props, "A.C"))
	assert.True(t, propertySet(props, "L[].X"))
	assert.False(t, propertySet(props, "L[].Z"))
	assert.False(t, propertySet(props, "Missing"))
}

// allTemplates are every template of every synthesized configuration (stages, nested
// stacks, the pipeline and its support stacks), read from the cloud assemblies, by file.
func allTemplates(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for label, s := range map[string]*synthesized{"shipped": shippedApp(t), "custom-domain": customDomainApp(t), "connection": connectionApp(t)} {
		read, err := cfn.Read(s.Assembly)
		require.NoError(t, err)
		for _, st := range read.Stacks {
			tpl, err := st.JSON()
			require.NoError(t, err)
			rel, err := filepath.Rel(s.Assembly, st.TemplateFile)
			require.NoError(t, err)
			out[label+"/"+rel] = tpl
		}
	}
	require.Greater(t, len(out), 10)
	return out
}

// Every resource type of every template (both environments, the pipeline and its support
// stacks, the custom-domain and connection variants) has vendored registry data, and a
// type without registry handlers says how its permissions are known.
func TestRegistryCoversEveryTemplateType(t *testing.T) {
	reg := loadRegistry(t)
	var tpls []map[string]any
	for _, tpl := range allTemplates(t) {
		tpls = append(tpls, tpl)
	}
	types := deploypolicy.ResourceTypes(tpls...)
	require.Contains(t, types, "AWS::CodePipeline::Pipeline")
	for _, typ := range types {
		if typ == "AWS::CDK::Metadata" {
			continue
		}
		h, ok := reg.Lookup(registryType(typ))
		if !assert.True(t, ok, "%s: not vendored: run make registry-permissions ADD=%s", typ, typ) {
			continue
		}
		if h.NoHandlers {
			assert.NotEmpty(t, deploypolicy.NoRegistryHandlers[registryType(typ)], "%s has no registry handlers: say why in deploypolicy.NoRegistryHandlers", typ)
		}
	}
	for typ := range deploypolicy.NoRegistryHandlers {
		h, ok := reg.Lookup(typ)
		assert.True(t, ok && h.NoHandlers, "deploypolicy.NoRegistryHandlers lists %s, whose registry schema has handlers", typ)
	}
	// Every type the table knows is vendored, so the check covers a type as soon as a
	// template uses it.
	for typ := range deploypolicy.Table {
		_, ok := reg.Lookup(typ)
		assert.True(t, ok, "deploypolicy.Table has %s: run make registry-permissions", typ)
	}
	assert.Contains(t, reg.Source, "CloudformationSchema")
}

// The reviewed list of unneeded registry permissions stays true: each entry names actions
// its type's handlers still list, says what feature they serve and why it is unused, and
// no template of any configuration sets the properties of that feature.
func TestNotNeededStaysTrue(t *testing.T) {
	reg := loadRegistry(t)
	tpls := allTemplates(t)
	seen := map[string]bool{}
	for _, u := range deploypolicy.NotNeeded {
		h, ok := reg.Lookup(u.Type)
		if !assert.True(t, ok, "NotNeeded: %s is not vendored", u.Type) {
			continue
		}
		assert.NotEmpty(t, u.Feature, "%s: name the feature", u.Type)
		assert.NotEmpty(t, u.Why, "%s %s: say why it is unused", u.Type, u.Feature)
		assert.NotEmpty(t, u.Actions, "%s %s: no actions", u.Type, u.Feature)
		for _, a := range u.Actions {
			assert.Contains(t, h.All(), a, "NotNeeded %s %s: the registry no longer lists %s: remove it", u.Type, u.Feature, a)
			k := u.Type + " " + a
			assert.False(t, seen[k], "NotNeeded lists %s twice", k)
			seen[k] = true
		}
		for name, tpl := range tpls {
			res, _ := tpl["Resources"].(map[string]any)
			for id, r := range res {
				rm, _ := r.(map[string]any)
				if rm["Type"] != u.Type {
					continue
				}
				for _, p := range u.Properties {
					assert.False(t, propertySet(rm["Properties"], p),
						"%s %s sets %s: the feature %q is used, so NotNeeded must not excuse %v", name, id, p, u.Feature, u.Actions)
				}
			}
		}
	}
}
