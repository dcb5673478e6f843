package test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/deploypolicy"
	"github.com/example/notesplatform/internal/iamsim"
	"github.com/example/notesplatform/stacks"
)

// stageTemplates are the templates of one environment, by part ("Base", ...).
func stageTemplates(t *testing.T, s *synthesized, env string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for path, tpl := range s.Templates {
		if e, part, _ := strings.Cut(path, "/"); e == env {
			out[part] = templateJSON(tpl)
		}
	}
	require.Len(t, out, len(stage{Env: mustEnv(t, s.Config, env), s: s}.stacks()), "stacks of %s", env)
	return out
}

func resourcesOf(tpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	res, _ := tpl["Resources"].(map[string]any)
	for id, r := range res {
		if m := r.(map[string]any); m["Type"] == typ {
			out[id] = m
		}
	}
	return out
}

func propsOf(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// boundaryRef is how the stacks of an environment may name its boundary: a Ref in the Base
// stack, and in the other stacks a reference to the Base output that holds that Ref.
type boundaryRef struct {
	baseStack, logicalID string
	outputs, exports     map[string]bool // Base outputs / export names whose value is the Ref
}

func boundaryOf(t *testing.T, s *synthesized, e config.Environment) boundaryRef {
	t.Helper()
	base := stageTemplates(t, s, e.Name)["Base"]
	b := boundaryRef{baseStack: s.stack(t, e.Name+"/Base").Name, outputs: map[string]bool{}, exports: map[string]bool{}}
	for id, p := range resourcesOf(base, "AWS::IAM::ManagedPolicy") {
		if propsOf(p)["ManagedPolicyName"] == deploypolicy.BoundaryName(s.Config.AppName, e.Name) {
			b.logicalID = id
		}
	}
	require.NotEmpty(t, b.logicalID, "%s: no boundary policy %s in the Base stack", e.Name, deploypolicy.BoundaryName(s.Config.AppName, e.Name))
	outs, _ := base["Outputs"].(map[string]any)
	for name, o := range outs {
		om := o.(map[string]any)
		if fmt.Sprint(om["Value"]) == fmt.Sprint(map[string]any{"Ref": b.logicalID}) {
			b.outputs[name] = true
			if ex, ok := om["Export"].(map[string]any); ok {
				b.exports[fmt.Sprint(ex["Name"])] = true
			}
		}
	}
	return b
}

// is reports whether a PermissionsBoundary value names the boundary.
func (b boundaryRef) is(part string, v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if part == "Base" {
		return fmt.Sprint(m) == fmt.Sprint(map[string]any{"Ref": b.logicalID})
	}
	if out, ok := m["Fn::GetStackOutput"].(map[string]any); ok {
		return out["StackName"] == b.baseStack && b.outputs[fmt.Sprint(out["OutputName"])]
	}
	if imp, ok := m["Fn::ImportValue"]; ok {
		return b.exports[fmt.Sprint(imp)]
	}
	return false
}

// Every role in every stage, custom-resource provider roles included, carries the
// environment's permissions boundary.
func TestDeployPolicyRolesCarryBoundary(t *testing.T) {
	s := shippedApp(t)
	for _, e := range s.Config.Environments {
		t.Run(e.Name, func(t *testing.T) {
			noPanic(t, func() {
				b := boundaryOf(t, s, e)
				roles := 0
				for part, tpl := range stageTemplates(t, s, e.Name) {
					for id, r := range resourcesOf(tpl, "AWS::IAM::Role") {
						roles++
						pb := propsOf(r)["PermissionsBoundary"]
						assert.True(t, b.is(part, pb), "%s/%s role %s: PermissionsBoundary %v is not %s", e.Name, part, id, pb, deploypolicy.BoundaryName(s.Config.AppName, e.Name))
					}
				}
				assert.Positive(t, roles)
			})
		})
	}
}

// policyStatements are the statements of every identity policy of a template: the
// AWS::IAM::Policy and AWS::IAM::ManagedPolicy documents (the boundary itself excepted)
// and the roles' inline policies.
func policyStatements(tpl map[string]any, skip string) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	add := func(where string, doc any) {
		d, _ := doc.(map[string]any)
		st, _ := d["Statement"].([]any)
		for _, s := range st {
			out[where] = append(out[where], s.(map[string]any))
		}
	}
	for id, p := range resourcesOf(tpl, "AWS::IAM::Policy") {
		add(id, propsOf(p)["PolicyDocument"])
	}
	for id, p := range resourcesOf(tpl, "AWS::IAM::ManagedPolicy") {
		if id != skip {
			add(id, propsOf(p)["PolicyDocument"])
		}
	}
	for id, r := range resourcesOf(tpl, "AWS::IAM::Role") {
		pols, _ := propsOf(r)["Policies"].([]any)
		for _, p := range pols {
			add(id, p.(map[string]any)["PolicyDocument"])
		}
	}
	return out
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

// globsOverlap reports whether some action matches both IAM action patterns (case
// insensitive, '*' matches any run of characters).
func globsOverlap(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	memo := map[[2]int]bool{}
	seen := map[[2]int]bool{}
	var f func(i, j int) bool
	f = func(i, j int) bool {
		k := [2]int{i, j}
		if seen[k] {
			return memo[k]
		}
		seen[k] = true
		var r bool
		switch {
		case i == len(a) && j == len(b):
			r = true
		case i < len(a) && a[i] == '*':
			r = f(i+1, j) || (j < len(b) && f(i, j+1))
		case j < len(b) && b[j] == '*':
			r = f(i, j+1) || (i < len(a) && f(i+1, j))
		case i < len(a) && j < len(b) && a[i] == b[j]:
			r = f(i+1, j+1)
		}
		memo[k] = r
		return r
	}
	return f(0, 0)
}

func TestDeployPolicyGlobOverlap(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"s3:GetObject*", "s3:GetObject", true},
		{"s3:Delete*", "s3:DeleteBucket", true},
		{"s3:GetObject*", "s3:DeleteBucket", false},
		{"iam:PassRole", "iam:*", true},
		{"*", "lambda:AddPermission", true},
		{"kms:GenerateDataKey*", "kms:CreateGrant", false},
		{"logs:*Retention*", "logs:PutRetentionPolicy", true},
		{"dynamodb:Get*", "dynamodb:*Table", true}, // dynamodb:GetTable would match both
		{"dynamodb:Get*", "dynamodb:Delete*", false},
	} {
		assert.Equal(t, c.want, globsOverlap(c.a, c.b), "%s vs %s", c.a, c.b)
	}
}

// awsManagedActions are the actions of the AWS managed policies CDK attaches to the app's
// roles (AWS's published documents, version of 2026): a role holding one is granted these.
var awsManagedActions = map[string][]string{
	"AWSLambdaBasicExecutionRole": {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"},
	"AWSLambdaVPCAccessExecutionRole": {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
		"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface",
		"ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"},
}

// checkWithinBoundary fails unless an allow entry of the boundary covers every action
// the granted pattern can name, and no deny of the boundary cuts it.
func checkWithinBoundary(t *testing.T, where, action string, denied []string) {
	t.Helper()
	covered := slices.ContainsFunc(stacks.BoundaryActions, func(allow string) bool { return deploypolicy.Match(allow, action, true) })
	assert.True(t, covered, "%s: %s is not covered by stacks.BoundaryActions: add it there", where, action)
	for _, d := range denied {
		assert.False(t, globsOverlap(action, d), "%s: %s is cut by the boundary's deny of %s", where, action, d)
	}
}

// Every action any role of a stage is granted, by its policies or an attached AWS
// managed policy, is one the boundary allows: covered by stacks.BoundaryActions and
// outside the boundary's denies (read from the Base template), so nothing a role is given
// is silently cut. Attached managed policies are the reviewed AWS ones or the
// environment's own.
func TestDeployPolicyRoleActionsWithinBoundary(t *testing.T) {
	s := shippedApp(t)
	for _, e := range s.Config.Environments {
		t.Run(e.Name, func(t *testing.T) {
			noPanic(t, func() {
				b := boundaryOf(t, s, e)
				tpls := stageTemplates(t, s, e.Name)
				var denied []string
				for _, st := range policyStatements(map[string]any{"Resources": map[string]any{
					b.logicalID: tpls["Base"]["Resources"].(map[string]any)[b.logicalID],
				}}, "")[b.logicalID] {
					if st["Effect"] == "Deny" {
						denied = append(denied, strs(st["Action"])...)
					}
				}
				require.NotEmpty(t, denied, "the boundary denies nothing?")
				checked := 0
				for part, tpl := range tpls {
					for where, sts := range policyStatements(tpl, b.logicalID) {
						for _, st := range sts {
							if st["Effect"] != "Allow" {
								continue
							}
							assert.Nil(t, st["NotAction"], "%s/%s %s: NotAction grants everything else", e.Name, part, where)
							for _, a := range strs(st["Action"]) {
								checked++
								checkWithinBoundary(t, e.Name+"/"+part+" "+where, a, denied)
							}
						}
					}
					for id, r := range resourcesOf(tpl, "AWS::IAM::Role") {
						arns, _ := propsOf(r)["ManagedPolicyArns"].([]any)
						for _, arn := range arns {
							name := toJSON(arn)[strings.LastIndex(toJSON(arn), "policy/")+len("policy/"):]
							name = strings.Trim(name, `"]}`)
							assert.True(t, slices.ContainsFunc(deploypolicy.AttachablePolicies, func(p string) bool {
								return strings.HasSuffix(p, ":iam::aws:policy/"+name)
							}), "%s/%s role %s: attached managed policy %s is outside deploypolicy.AttachablePolicies", e.Name, part, id, toJSON(arn))
							base := name[strings.LastIndex(name, "/")+1:]
							actions, known := awsManagedActions[base]
							assert.True(t, known, "%s/%s role %s: the actions of %s are not in awsManagedActions", e.Name, part, id, name)
							for _, a := range actions {
								checked++
								checkWithinBoundary(t, e.Name+"/"+part+" role "+id+" ("+base+")", a, denied)
							}
						}
					}
				}
				assert.Positive(t, checked)
			})
		})
	}
}

// typeServices maps the service part of a CloudFormation type to its IAM prefix.
var typeServices = map[string]string{
	"ApiGateway": "apigateway", "CloudFront": "cloudfront", "CloudTrail": "cloudtrail", "CloudWatch": "cloudwatch",
	"Cognito": "cognito-idp", "DynamoDB": "dynamodb", "EC2": "ec2", "IAM": "iam", "KMS": "kms", "Lambda": "lambda",
	"Logs": "logs", "S3": "s3", "SNS": "sns", "SecretsManager": "secretsmanager", "WAFv2": "wafv2", "SSM": "ssm",
	"CodeDeploy": "codedeploy", "CodeBuild": "codebuild", "CodeCommit": "codecommit", "CodePipeline": "codepipeline",
	"Events": "events",
}

// typeExtraServices are the services a type needs besides its own: a pipeline passes its
// source connection (CodeConnections), a function's handlers read its VPC configuration.
var typeExtraServices = map[string][]string{
	"AWS::CodePipeline::Pipeline": {"codestar-connections"},
	"AWS::Lambda::Function":       {"ec2"},
}

// usedServices are the IAM services that the resource types of the templates need, plus
// what every CDK deployment reads (the bootstrap version parameter, the stacks' outputs
// and the asset bucket).
func usedServices(types []string) map[string]bool {
	out := map[string]bool{"ssm": true, "cloudformation": true, "s3": true}
	for _, typ := range types {
		if strings.HasPrefix(typ, "Custom::") {
			out["lambda"] = true
			continue
		}
		parts := strings.Split(typ, "::")
		if len(parts) == 3 && typeServices[parts[1]] != "" {
			out[typeServices[parts[1]]] = true
		}
		for _, svc := range typeExtraServices[typ] {
			out[svc] = true
		}
	}
	return out
}

// checkDeployPolicy returns every way a bundle grants more than the templates need. An
// environment's roles carry deploypolicy.BoundaryName(app, env).
func checkDeployPolicy(b *deploypolicy.Bundle, types []string, app, env, account string) []error {
	return checkBundle(b, types, app+"-"+env+"-", fmt.Sprintf("arn:aws:iam::%s:policy/%s", account, deploypolicy.BoundaryName(app, env)), account)
}

// checkBundle is checkDeployPolicy for any account: prefix is what every name the policies
// let CloudFormation manage starts with ("notes-dev-", "notes-pipeline-"), boundary the ARN
// of the boundary every role must carry.
func checkBundle(b *deploypolicy.Bundle, types []string, prefix, boundary, account string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	used := usedServices(types)
	needBoundary := []string{"iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:AttachRolePolicy"}
	denied := map[string]bool{}
	for _, p := range b.ExecutionPolicies {
		for _, s := range p.Document.Statement {
			if s.Effect == "Deny" {
				for _, a := range s.Action {
					denied[a] = true
				}
				continue
			}
			for _, a := range s.Action {
				svc, _, _ := strings.Cut(a, ":")
				switch {
				case strings.Contains(a, "*"):
					bad("%s %s: wildcard action %q", p.Name, s.Sid, a)
				case svc == "organizations" || svc == "account" || svc == "sts":
					bad("%s %s: %s is never needed to deploy the app", p.Name, s.Sid, a)
				case !used[svc]:
					bad("%s %s: %s belongs to a service no template uses", p.Name, s.Sid, a)
				}
				if svc != "iam" {
					continue
				}
				for _, r := range s.Resource {
					if !strings.HasPrefix(r, "arn:aws:iam::"+account+":role/"+prefix) && !strings.HasPrefix(r, "arn:aws:iam::"+account+":policy/"+prefix) {
						bad("%s %s: %s on %s, outside the roles and policies named %s*", p.Name, s.Sid, a, r, prefix)
					}
				}
				if slices.Contains(needBoundary, a) && !slices.Equal(s.Condition["StringEquals"]["iam:PermissionsBoundary"], []string{boundary}) {
					bad("%s %s: %s without the condition iam:PermissionsBoundary = %s", p.Name, s.Sid, a, boundary)
				}
			}
		}
	}
	for _, a := range []string{"iam:DeleteRolePermissionsBoundary", "iam:CreateRole", "iam:PutRolePermissionsBoundary", "organizations:*", "account:*", "iam:CreateUser"} {
		if !denied[a] {
			bad("no explicit deny of %s", a)
		}
	}
	for _, s := range b.Boundary.Document.Statement {
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range s.Action {
			svc, name, _ := strings.Cut(a, ":")
			if a == "*" || !used[svc] || (svc == "iam" && strings.Contains(name, "*")) {
				bad("boundary %s: %s is more than the templates need", s.Sid, a)
			}
		}
	}
	for _, p := range b.Documents() {
		if n := deploypolicy.Size(p.Document); n > deploypolicy.MaxPolicySize {
			bad("%s is %d characters, over the IAM limit of %d", p.Name, n, deploypolicy.MaxPolicySize)
		}
	}
	return errs
}

func stageTypes(t *testing.T, s *synthesized, env string) []string {
	var tpls []map[string]any
	for _, tpl := range stageTemplates(t, s, env) {
		tpls = append(tpls, tpl)
	}
	return deploypolicy.ResourceTypes(tpls...)
}

// stageBundle is the execution policy bundle that `deploy-policy` prints for an
// environment: derived from the resource types of its synthesized stage.
func stageBundle(t *testing.T, s *synthesized, e config.Environment) (*deploypolicy.Bundle, error) {
	return deploypolicy.New(deploypolicy.Options{App: s.Config.AppName, Env: e.Name, Account: e.Account,
		Region: e.Region, Regions: e.Regions(), BoundaryName: deploypolicy.BoundaryName(s.Config.AppName, e.Name), ResourceTypes: stageTypes(t, s, e.Name)})
}

// Every resource type in every stage template is in the policy table.
func TestDeployPolicyCoversEveryResourceType(t *testing.T) {
	s := shippedApp(t)
	for _, e := range s.Config.Environments {
		types := stageTypes(t, s, e.Name)
		require.NotEmpty(t, types)
		assert.Empty(t, deploypolicy.Uncovered(types), "%s: add these types to internal/deploypolicy.Table", e.Name)
	}
}

// The generated policy of every environment grants only what its templates need.
func TestDeployPolicyGrantsOnlyWhatTemplatesNeed(t *testing.T) {
	s := shippedApp(t)
	for _, e := range s.Config.Environments {
		t.Run(e.Name, func(t *testing.T) {
			noPanic(t, func() {
				b, err := stageBundle(t, s, e)
				require.NoError(t, err)
				require.NotEmpty(t, b.ExecutionPolicies)
				for _, err := range checkDeployPolicy(b, stageTypes(t, s, e.Name), s.Config.AppName, e.Name, e.Account) {
					t.Error(err)
				}
				names := []string{}
				for _, p := range b.Documents() {
					names = append(names, p.Name)
					assert.False(t, strings.HasPrefix(p.Name, s.Config.AppName+"-"+e.Name+"-"),
						"%s would be a policy the execution role may edit", p.Name)
				}
				assert.Contains(t, names, deploypolicy.PolicyName(s.Config.AppName, e.Name)+"-boundary")
			})
		})
	}
}

// The checker itself catches grants outside the list: a service no template uses, iam:*,
// "*", organizations:*, role creation without the boundary.
func TestDeployPolicyCheckerRejectsBroadGrants(t *testing.T) {
	types := []string{"AWS::S3::Bucket", "AWS::IAM::Role"}
	good, err := deploypolicy.New(deploypolicy.Options{App: "notes", Env: "dev", Account: "111111111111", Region: "eu-west-1",
		BoundaryName: deploypolicy.BoundaryName("notes", "dev"), ResourceTypes: types})
	require.NoError(t, err)
	require.Empty(t, checkDeployPolicy(good, types, "notes", "dev", "111111111111"))
	for name, st := range map[string]deploypolicy.Statement{
		"unused service": {Sid: "X", Effect: "Allow", Action: []string{"rds:CreateDBInstance"}, Resource: []string{"*"}},
		"iam:*":          {Sid: "X", Effect: "Allow", Action: []string{"iam:*"}, Resource: []string{"arn:aws:iam::111111111111:role/notes-dev-*"}},
		"*":              {Sid: "X", Effect: "Allow", Action: []string{"*"}, Resource: []string{"*"}},
		"organizations":  {Sid: "X", Effect: "Allow", Action: []string{"organizations:ListAccounts"}, Resource: []string{"*"}},
		"any role":       {Sid: "X", Effect: "Allow", Action: []string{"iam:GetRole"}, Resource: []string{"*"}},
		"no boundary":    {Sid: "X", Effect: "Allow", Action: []string{"iam:CreateRole"}, Resource: []string{"arn:aws:iam::111111111111:role/notes-dev-*"}},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := deploypolicy.New(deploypolicy.Options{App: "notes", Env: "dev", Account: "111111111111", Region: "eu-west-1",
				BoundaryName: deploypolicy.BoundaryName("notes", "dev"), ResourceTypes: types})
			require.NoError(t, err)
			doc := b.ExecutionPolicies[0].Document
			doc.Statement = append(doc.Statement, st)
			assert.NotEmpty(t, checkDeployPolicy(b, types, "notes", "dev", "111111111111"))
		})
	}
}

// A template with a resource type the table does not know stops the policy.
func TestDeployPolicyUnknownTypeFails(t *testing.T) {
	_, err := deploypolicy.New(deploypolicy.Options{App: "notes", Env: "dev", Account: "111111111111", Region: "eu-west-1",
		BoundaryName: "b", ResourceTypes: []string{"AWS::S3::Bucket", "AWS::RDS::DBInstance"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "AWS::RDS::DBInstance")
	assert.True(t, deploypolicy.Covered("Custom::Anything"), "custom resources need only their provider function")
}

// The name patterns hold: every stack of an environment is named "<app>-<env>-...", so
// names CloudFormation generates start with it, and every name the app sets itself on a
// name-scoped type starts with it too.
func TestDeployPolicyNamesCoveredByPrefix(t *testing.T) {
	s := shippedApp(t)
	named := map[string]string{
		"AWS::S3::Bucket": "BucketName", "AWS::DynamoDB::Table": "TableName", "AWS::Lambda::Function": "FunctionName",
		"AWS::IAM::Role": "RoleName", "AWS::IAM::ManagedPolicy": "ManagedPolicyName", "AWS::SNS::Topic": "TopicName",
		"AWS::KMS::Alias": "AliasName",
	}
	for _, e := range s.Config.Environments {
		prefix := s.Config.AppName + "-" + e.Name + "-"
		for path := range s.Templates {
			if name := s.stack(t, path).Name; strings.HasPrefix(path, e.Name+"/") {
				assert.True(t, strings.HasPrefix(name, prefix), "stack %s is named %s", path, name)
			}
		}
		for part, tpl := range stageTemplates(t, s, e.Name) {
			for typ, prop := range named {
				for id, r := range resourcesOf(tpl, typ) {
					name, ok := propsOf(r)[prop].(string)
					if !ok {
						continue // generated by CloudFormation: "<stack name>-<logical id>-<random>"
					}
					name = strings.TrimPrefix(name, "alias/")
					assert.True(t, strings.HasPrefix(strings.ToLower(name), prefix), "%s/%s %s %s: %s %q is outside %s*", e.Name, part, typ, id, prop, name, prefix)
				}
			}
		}
	}
}

// The execution policies work in every region of the stage, and only there: where WAF
// is on, the us-east-1 execution role (bootstrapped with the same policies) reads its
// bootstrap version and creates the CloudFront web ACL, and the Frontend stack's
// deployment reads the Edge stack's outputs in us-east-1 (Fn::GetStackOutput); dev, with
// no stack there, may not read them; no environment may act in a region it does not use.
// Judged by AWS's policy evaluation (the IAM simulator).
func TestDeployPolicyCoversTheStageRegions(t *testing.T) {
	s := shippedApp(t)
	sim := simulator(t)
	type want struct {
		env, action, region, resource string
		decision                      iamsim.Decision
	}
	var cases []want
	for _, e := range s.Config.Environments {
		prefix := s.Config.AppName + "-" + e.Name
		inRegion := func(region string) iamsim.Decision {
			if slices.Contains(e.Regions(), region) {
				return iamsim.Allowed
			}
			return iamsim.ImplicitlyDenied
		}
		for _, region := range []string{e.Region, "us-east-1"} {
			cases = append(cases,
				want{e.Name, "ssm:GetParameters", region, "arn:aws:ssm:" + region + ":" + e.Account + ":parameter/cdk-bootstrap/hnb659fds/version", inRegion(region)},
				want{e.Name, "cloudformation:DescribeStacks", region, "arn:aws:cloudformation:" + region + ":" + e.Account + ":stack/" + prefix + "-edge/0a1b2c3d", inRegion(region)},
			)
		}
		if e.WAF {
			cases = append(cases, want{e.Name, "wafv2:CreateWebACL", "us-east-1", "arn:aws:wafv2:us-east-1:" + e.Account + ":global/webacl/" + prefix + "-site/0a1b2c3d", iamsim.Allowed})
		}
		// A region the stage does not use is denied outright, even for an allowed action.
		cases = append(cases, want{e.Name, "ssm:GetParameters", "eu-central-1", "arn:aws:ssm:eu-central-1:" + e.Account + ":parameter/cdk-bootstrap/hnb659fds/version", iamsim.ExplicitlyDenied})
	}
	var reqs []iamsim.Request
	for _, c := range cases {
		e := mustEnv(t, s.Config, c.env)
		b, err := stageBundle(t, s, e)
		require.NoError(t, err)
		var identity []iamsim.Policy
		for _, p := range b.ExecutionPolicies {
			identity = append(identity, iamsim.Policy{Name: p.Name, Document: p.Document})
		}
		reqs = append(reqs, iamsim.Request{
			Principal: fmt.Sprintf("arn:aws:iam::%s:role/cdk-hnb659fds-cfn-exec-role-%s-%s", e.Account, e.Account, c.region),
			Identity:  identity, Boundary: &iamsim.Policy{Name: b.Boundary.Name, Document: b.Boundary.Document},
			Action: c.action, Resource: c.resource, Context: map[string][]string{"aws:RequestedRegion": {c.region}},
		})
	}
	out, err := sim.Evaluate(context.Background(), reqs)
	require.NoError(t, err)
	require.Len(t, out, len(cases))
	for i, c := range cases {
		assert.Equal(t, c.decision, out[i].Decision, "%s: %s on %s in %s (%s)", c.env, c.action, c.resource, c.region, out[i].Error)
	}
}
