package test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
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

// Self-mutation deploys the pipeline stack with the pipeline account's execution role on
// every push, so whatever a commit writes into the pipeline stack is asked of that role.
// These tests model the calls CloudFormation makes to create each resource of a template
// (the create action of its type on the resource's ARN, iam:PassRole of the roles it
// hands to a service, for a custom resource the invocation of its provider, and for IAM
// resources each role, policy and attachment call with
// the condition keys IAM sees), and ask the IAM evaluator whether the pipeline account's
// execution policies, within their boundary, allow them.

// deployCall is one call CloudFormation makes with the execution role, as IAM sees it.
type deployCall struct {
	what     string // the resource it serves, for messages
	action   string
	resource string
	context  map[string][]string
	// region is the region the call goes to (aws:RequestedRegion). Default: us-east-1
	// for IAM, the pipeline's region for the rest.
	region string
}

// deployedStack is one template the execution role deploys, with where.
type deployedStack struct {
	name, account, region string
	template              map[string]any
}

// generatedName is the name CloudFormation gives a resource that has none:
// "<stack>-<logical id>-<random>", cut to the type's limit (buckets in lower case).
func generatedName(stack, id string, max int, lower bool) string {
	n := stack + "-" + id
	if len(n) > max-13 {
		n = n[:max-13]
	}
	n += "-0A1B2C3D4E5F"
	if lower {
		n = strings.ToLower(n)
	}
	return n
}

// physicalName is the name a template sets on a resource (the property given), or the
// one CloudFormation generates.
func (d deployedStack) physicalName(id, prop string, max int, lower bool) string {
	r, _ := d.template["Resources"].(map[string]any)[id].(map[string]any)
	if v, ok := propsOf(r)[prop].(string); ok {
		return v
	}
	return generatedName(d.name, id, max, lower)
}

// roleARN resolves a role reference of the template ({"Fn::GetAtt": [role, "Arn"]}, a Ref
// to a role, or a literal ARN).
func (d deployedStack) roleARN(v any) string {
	res, _ := d.template["Resources"].(map[string]any)
	id := ""
	if m, ok := v.(map[string]any); ok {
		if att, ok := m["Fn::GetAtt"].([]any); ok {
			id, _ = att[0].(string)
		}
		if ref, ok := m["Ref"].(string); ok {
			id = ref
		}
	}
	if _, ok := res[id]; ok {
		return fmt.Sprintf("arn:aws:iam::%s:role/%s", d.account, d.physicalName(id, "RoleName", 64, false))
	}
	if s, ok := v.(string); ok {
		return s
	}
	return resolvedARN(v)
}

// roleBoundaries are the PermissionsBoundary of each role of the template, by logical id
// ("" when it has none).
func (d deployedStack) roleBoundary(id string) string {
	r, _ := d.template["Resources"].(map[string]any)[id].(map[string]any)
	pb, ok := propsOf(r)["PermissionsBoundary"]
	if !ok {
		return ""
	}
	return resolvedARN(pb)
}

// withBoundary is the context of an IAM call on a role: the boundary the role has (or
// gets); IAM leaves the key out when there is none.
func withBoundary(boundary string, extra map[string][]string) map[string][]string {
	ctx := map[string][]string{}
	if boundary != "" {
		ctx["iam:PermissionsBoundary"] = []string{boundary}
	}
	maps.Copy(ctx, extra)
	return ctx
}

// deployCalls are the calls that creating the template's resources makes. A type without a
// model fails the test: add one here.
func (d deployedStack) deployCalls(t *testing.T, only func(id string) bool) []deployCall {
	t.Helper()
	var out []deployCall
	res, _ := d.template["Resources"].(map[string]any)
	arn := func(service, rest string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, d.region, d.account, rest)
	}
	for _, id := range slices.Sorted(maps.Keys(res)) {
		if only != nil && !only(id) {
			continue
		}
		r := res[id].(map[string]any)
		typ, _ := r["Type"].(string)
		p := propsOf(r)
		what := d.name + " " + id + " " + typ
		add := func(action, resource string, ctx map[string][]string) {
			region := d.region
			if strings.HasPrefix(action, "iam:") {
				region = deploypolicy.GlobalRegion
			}
			out = append(out, deployCall{what: what, action: action, resource: resource, context: ctx, region: region})
		}
		pass := func(role any) {
			if role != nil {
				add("iam:PassRole", d.roleARN(role), nil)
			}
		}
		roleOf := func(v any) (string, string) { // ARN and boundary of a role the template may define
			roleArn := d.roleARN(v)
			if m, ok := v.(map[string]any); ok {
				if ref, ok := m["Ref"].(string); ok {
					return roleArn, d.roleBoundary(ref)
				}
			}
			return roleArn, ""
		}
		kind := typ
		if strings.HasPrefix(typ, "Custom::") {
			kind = "AWS::CloudFormation::CustomResource" // every Custom::* type is one
		}
		switch kind {
		case "AWS::S3::Bucket":
			add("s3:CreateBucket", "arn:aws:s3:::"+d.physicalName(id, "BucketName", 63, true), nil)
		case "AWS::S3::BucketPolicy":
			bucket := p["Bucket"]
			if m, ok := bucket.(map[string]any); ok {
				bucket = d.physicalName(m["Ref"].(string), "BucketName", 63, true)
			}
			add("s3:PutBucketPolicy", fmt.Sprint("arn:aws:s3:::", bucket), nil)
		case "AWS::KMS::Key":
			add("kms:CreateKey", "*", nil)
		case "AWS::KMS::Alias":
			add("kms:CreateAlias", arn("kms", p["AliasName"].(string)), nil)
		case "AWS::Lambda::Function":
			add("lambda:CreateFunction", arn("lambda", "function:"+d.physicalName(id, "FunctionName", 64, false)), nil)
			pass(p["Role"])
		case "AWS::Logs::LogGroup":
			add("logs:CreateLogGroup", arn("logs", "log-group:"+d.physicalName(id, "LogGroupName", 512, false)), nil)
		case "AWS::CodeBuild::Project":
			add("codebuild:CreateProject", arn("codebuild", "project/"+d.physicalName(id, "Name", 255, false)), nil)
			pass(p["ServiceRole"])
		case "AWS::CodePipeline::Pipeline":
			add("codepipeline:CreatePipeline", arn("codepipeline", d.physicalName(id, "Name", 100, false)), nil)
			pass(p["RoleArn"])
		case "AWS::Events::Rule":
			add("events:PutRule", arn("events", "rule/"+d.physicalName(id, "Name", 64, false)), nil)
			targets, _ := p["Targets"].([]any)
			for _, tg := range targets {
				pass(tg.(map[string]any)["RoleArn"])
			}
		case "AWS::CodeCommit::Repository":
			add("codecommit:CreateRepository", arn("codecommit", d.physicalName(id, "RepositoryName", 100, false)), nil)
		case "AWS::CloudWatch::Dashboard":
			// Dashboards are global: no region in the ARN.
			add("cloudwatch:PutDashboard", fmt.Sprintf("arn:aws:cloudwatch::%s:dashboard/%s", d.account, d.physicalName(id, "DashboardName", 255, false)), nil)
		case "AWS::CloudFormation::CustomResource":
			// CloudFormation sends the request to the ServiceToken with the execution role:
			// it invokes a Lambda function (a provider of the same stack, CDK's
			// AwsCustomResource for the approval rule template) or publishes to an SNS
			// topic. What the provider then calls, it calls with its own role, which carries
			// the pipeline roles' boundary like every role of the stack.
			token := p["ServiceToken"]
			var target string
			if m, ok := token.(map[string]any); ok {
				if att, ok := m["Fn::GetAtt"].([]any); ok && len(att) == 2 && att[1] == "Arn" {
					fn, _ := att[0].(string)
					if fr, ok := res[fn].(map[string]any); ok && fr["Type"] == "AWS::Lambda::Function" {
						target = arn("lambda", "function:"+d.physicalName(fn, "FunctionName", 64, false))
					}
				}
			} else if s, ok := token.(string); ok {
				target = s
			}
			switch {
			case strings.HasPrefix(target, "arn:aws:lambda:"):
				add("lambda:InvokeFunction", target, nil)
			case strings.HasPrefix(target, "arn:aws:sns:"):
				add("sns:Publish", target, nil)
			default:
				t.Errorf("%s: no model of a custom resource whose ServiceToken is %s: add one to deployCalls", what, toJSON(token))
			}
		case "AWS::IAM::Role":
			role := fmt.Sprintf("arn:aws:iam::%s:role/%s", d.account, d.physicalName(id, "RoleName", 64, false))
			boundary := d.roleBoundary(id)
			add("iam:CreateRole", role, withBoundary(boundary, nil))
			if pols, _ := p["Policies"].([]any); len(pols) > 0 {
				add("iam:PutRolePolicy", role, withBoundary(boundary, nil))
			}
			arns, _ := p["ManagedPolicyArns"].([]any)
			for _, a := range arns {
				add("iam:AttachRolePolicy", role, withBoundary(boundary, map[string][]string{"iam:PolicyARN": {resolvedARN(a)}}))
			}
		case "AWS::IAM::Policy":
			roles, _ := p["Roles"].([]any)
			for _, ref := range roles {
				role, boundary := roleOf(ref)
				if s, ok := ref.(string); ok { // a role named, not defined, by the template
					role = fmt.Sprintf("arn:aws:iam::%s:role/%s", d.account, s)
				}
				add("iam:PutRolePolicy", role, withBoundary(boundary, nil))
			}
			users, _ := p["Users"].([]any)
			for _, u := range users {
				add("iam:PutUserPolicy", fmt.Sprintf("arn:aws:iam::%s:user/%v", d.account, u), nil)
			}
		case "AWS::IAM::ManagedPolicy":
			policy := fmt.Sprintf("arn:aws:iam::%s:policy/%s", d.account, d.physicalName(id, "ManagedPolicyName", 128, false))
			add("iam:CreatePolicy", policy, nil)
			roles, _ := p["Roles"].([]any)
			for _, ref := range roles {
				role, boundary := roleOf(ref)
				add("iam:AttachRolePolicy", role, withBoundary(boundary, map[string][]string{"iam:PolicyARN": {policy}}))
			}
		case "AWS::IAM::User":
			add("iam:CreateUser", fmt.Sprintf("arn:aws:iam::%s:user/%s", d.account, d.physicalName(id, "UserName", 64, false)), nil)
		case "AWS::IAM::AccessKey":
			add("iam:CreateAccessKey", fmt.Sprintf("arn:aws:iam::%s:user/%v", d.account, p["UserName"]), nil)
		default:
			t.Errorf("%s: no model of the calls that create a %s: add one to deployCalls", what, typ)
		}
	}
	return out
}

// pipelineStacks are the stacks the pipeline account's execution role deploys.
func pipelineStacks(t *testing.T, s *synthesized) []deployedStack {
	t.Helper()
	var out []deployedStack
	prefix := stacks.PipelineStackName(s.Config.AppName)
	for name, tpl := range pipelineTemplates(t, s) {
		region := s.Config.Pipeline.Region
		if r, ok := strings.CutPrefix(name, prefix+"-support-"); ok {
			region = r
		}
		out = append(out, deployedStack{name: name, account: s.Config.Pipeline.Account, region: region, template: tpl})
	}
	slices.SortFunc(out, func(a, b deployedStack) int { return strings.Compare(a.name, b.name) })
	return out
}

// asExecutionRole evaluates calls as the pipeline account's execution role (the bootstrap
// role of the pipeline's region, which deploys the support stacks too), with the bundle's
// execution policies within its boundary.
func asExecutionRole(t *testing.T, c *config.Config, b *deploypolicy.Bundle, calls []deployCall) []iamsim.Result {
	t.Helper()
	p := c.Pipeline
	principal := fmt.Sprintf("arn:aws:iam::%s:role/cdk-%s-cfn-exec-role-%s-%s", p.Account, deploypolicy.DefaultQualifier, p.Account, p.Region)
	var identity []iamsim.Policy
	for _, pol := range b.ExecutionPolicies {
		identity = append(identity, iamsim.Policy{Name: pol.Name, Document: pol.Document})
	}
	reqs := make([]iamsim.Request, len(calls))
	for i, call := range calls {
		region := call.region
		switch {
		case region != "":
		case strings.HasPrefix(call.action, "iam:"):
			region = deploypolicy.GlobalRegion
		default:
			region = p.Region
		}
		ctx := map[string][]string{"aws:RequestedRegion": {region}}
		maps.Copy(ctx, call.context)
		reqs[i] = iamsim.Request{Principal: principal, Identity: identity,
			Boundary: &iamsim.Policy{Name: b.Boundary.Name, Document: b.Boundary.Document},
			Action:   call.action, Resource: call.resource, Context: ctx}
	}
	out, err := simulator(t).Evaluate(context.Background(), reqs)
	require.NoError(t, err)
	return out
}

// The real pipeline templates (and their support stacks) deploy: every call that creating
// them makes is allowed by the pipeline account's execution policies within their
// boundary.
func TestSelfMutationAllowsThePipeline(t *testing.T) {
	for name, s := range pipelineAccountConfigs(t) {
		t.Run(name, func(t *testing.T) {
			b := pipelineEnvBundle(t, "", s).bundle
			var calls []deployCall
			for _, st := range pipelineStacks(t, s) {
				calls = append(calls, st.deployCalls(t, nil)...)
			}
			require.Greater(t, len(calls), 40)
			for i, r := range asExecutionRole(t, s.Config, b, calls) {
				c := calls[i]
				assert.Equal(t, iamsim.Allowed, r.Decision, "%s: %s on %s (%v): %s %v %s", c.what, c.action, c.resource, c.context, r.Decision, r.Denials, r.Error)
			}
			t.Logf("%d calls of %d stacks allowed", len(calls), len(pipelineStacks(t, s)))
		})
	}
}

// escalation is a change a malicious commit could make to the pipeline stack: resources
// it adds, and calls its update makes that adding no resource shows.
type escalation struct {
	name      string
	resources map[string]any
	calls     func() []deployCall
}

func resource(typ string, props map[string]any) map[string]any {
	return map[string]any{"Type": typ, "Properties": props}
}

// Every change a malicious commit could make to escalate through self-mutation is denied
// when CloudFormation asks the execution role for it: an IAM user, an access key, a role
// without the pipeline roles' boundary (or with another, or losing it), a policy that
// grants iam:* or sts:AssumeRole on * (where IAM can see it: attaching AdministratorAccess
// or one of the execution policies, creating a managed policy), a change to the execution
// policies, and a resource outside the pipeline's prefix (a custom resource whose provider
// is a function or topic that the pipeline stack does not own included).
func TestSelfMutationCannotEscalate(t *testing.T) {
	s := shippedApp(t)
	b := pipelineEnvBundle(t, "", s).bundle
	acct := s.Config.Pipeline.Account
	stackName := stacks.PipelineStackName(s.Config.AppName)
	var pipeline deployedStack
	for _, st := range pipelineStacks(t, s) {
		if st.name == stackName {
			pipeline = st
		}
	}
	require.NotNil(t, pipeline.template)
	rolesBoundary := fmt.Sprintf("arn:aws:iam::%s:policy/%s", acct, deploypolicy.PipelineRoleBoundaryName(s.Config.AppName))
	selfMutation := ""
	for id := range resourcesOf(pipeline.template, "AWS::IAM::Role") {
		if strings.HasPrefix(id, "PipelineUpdatePipelineSelfMutationRole") {
			selfMutation = id
		}
	}
	require.NotEmpty(t, selfMutation)
	trustAccount := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": map[string]any{"AWS": "arn:aws:iam::444444444444:root"}}}}
	everything := map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
		map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}}}
	var execPolicies []string
	for _, p := range b.Documents() {
		execPolicies = append(execPolicies, "arn:aws:iam::"+acct+":policy/"+p.Name)
	}
	execRole := fmt.Sprintf("arn:aws:iam::%s:role/cdk-%s-cfn-exec-role-%s-%s", acct, deploypolicy.DefaultQualifier, acct, s.Config.Pipeline.Region)

	for _, e := range []escalation{
		{name: "an IAM user", resources: map[string]any{
			"CiUser": resource("AWS::IAM::User", map[string]any{"UserName": stackName + "-ci"})}},
		{name: "an access key", resources: map[string]any{
			"CiKey": resource("AWS::IAM::AccessKey", map[string]any{"UserName": "admin"})}},
		{name: "a role without the boundary", resources: map[string]any{
			"Backdoor": resource("AWS::IAM::Role", map[string]any{"AssumeRolePolicyDocument": trustAccount})}},
		{name: "a role with another boundary", resources: map[string]any{
			"Backdoor": resource("AWS::IAM::Role", map[string]any{"AssumeRolePolicyDocument": trustAccount,
				"PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess"})}},
		{name: "a pipeline role losing its boundary", calls: func() []deployCall {
			role := pipeline.roleARN(map[string]any{"Ref": selfMutation})
			return []deployCall{{what: "the self-mutation role without PermissionsBoundary", action: "iam:DeleteRolePermissionsBoundary", resource: role,
				context: withBoundary(rolesBoundary, nil)}}
		}},
		{name: "AdministratorAccess attached to a pipeline role", resources: map[string]any{
			"Admin": resource("AWS::IAM::Role", map[string]any{"AssumeRolePolicyDocument": trustAccount, "PermissionsBoundary": rolesBoundary,
				"ManagedPolicyArns": []any{"arn:aws:iam::aws:policy/AdministratorAccess"}})}},
		{name: "a managed policy granting iam:* and sts:AssumeRole on *", resources: map[string]any{
			"Escalate": resource("AWS::IAM::ManagedPolicy", map[string]any{"PolicyDocument": everything,
				"Roles": []any{map[string]any{"Ref": selfMutation}}})}},
		{name: "an execution policy attached to a pipeline role", resources: map[string]any{
			"Borrow": resource("AWS::IAM::Role", map[string]any{"AssumeRolePolicyDocument": trustAccount, "PermissionsBoundary": rolesBoundary,
				"ManagedPolicyArns": []any{execPolicies[0]}})}},
		{name: "a managed policy replacing an execution policy", resources: map[string]any{
			"Replace": resource("AWS::IAM::ManagedPolicy", map[string]any{"PolicyDocument": everything,
				"ManagedPolicyName": b.ExecutionPolicies[0].Name})}},
		{name: "a change to the execution policies or their attachment", calls: func() []deployCall {
			var out []deployCall
			for _, p := range execPolicies {
				for _, a := range []string{"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicyVersion", "iam:DeletePolicy"} {
					out = append(out, deployCall{what: "a custom resource or an update changing " + p, action: a, resource: p})
				}
			}
			out = append(out,
				deployCall{what: "detaching an execution policy", action: "iam:DetachRolePolicy", resource: execRole,
					context: map[string][]string{"iam:PolicyARN": {execPolicies[0]}}},
				deployCall{what: "widening the execution role", action: "iam:AttachRolePolicy", resource: execRole,
					context: map[string][]string{"iam:PolicyARN": {"arn:aws:iam::aws:policy/AdministratorAccess"}}},
				deployCall{what: "widening the execution role", action: "iam:PutRolePolicy", resource: execRole},
				deployCall{what: "lifting the execution role's boundary", action: "iam:DeleteRolePermissionsBoundary", resource: execRole})
			return out
		}},
		{name: "a bucket outside the prefix", resources: map[string]any{
			"Exfil": resource("AWS::S3::Bucket", map[string]any{"BucketName": "company-audit-logs"})}},
		{name: "a role outside the prefix", resources: map[string]any{
			"Admin": resource("AWS::IAM::Role", map[string]any{"RoleName": "Admin", "AssumeRolePolicyDocument": trustAccount, "PermissionsBoundary": rolesBoundary})}},
		{name: "a key alias outside the prefix", resources: map[string]any{
			"Hijack": resource("AWS::KMS::Alias", map[string]any{"AliasName": "alias/cdk-hnb659fds-assets-key", "TargetKeyId": "x"})}},
		{name: "a CodeBuild project outside the prefix", resources: map[string]any{
			"Miner": resource("AWS::CodeBuild::Project", map[string]any{"Name": "deploy-anything"})}},
		{name: "a function outside the prefix", resources: map[string]any{
			"Other": resource("AWS::Lambda::Function", map[string]any{"FunctionName": "other-function"})}},
		{name: "a custom resource whose provider is a function outside the prefix", resources: map[string]any{
			"Invoke": resource("Custom::Anything", map[string]any{
				"ServiceToken": "arn:aws:lambda:" + s.Config.Pipeline.Region + ":" + acct + ":function:account-admin-tool"})}},
		{name: "a custom resource whose provider is an SNS topic", resources: map[string]any{
			"Notify": resource("AWS::CloudFormation::CustomResource", map[string]any{
				"ServiceToken": "arn:aws:sns:" + s.Config.Pipeline.Region + ":" + acct + ":account-admin-requests"})}},
	} {
		t.Run(e.name, func(t *testing.T) {
			changed := map[string]any{}
			maps.Copy(changed, pipeline.template)
			res := map[string]any{}
			maps.Copy(res, pipeline.template["Resources"].(map[string]any))
			maps.Copy(res, e.resources)
			changed["Resources"] = res
			st := pipeline
			st.template = changed
			calls := st.deployCalls(t, func(id string) bool { _, ok := e.resources[id]; return ok })
			if e.calls != nil {
				calls = append(calls, e.calls()...)
			}
			require.NotEmpty(t, calls)
			denied := 0
			for i, r := range asExecutionRole(t, s.Config, b, calls) {
				c := calls[i]
				require.Empty(t, r.Error, "%s %s", c.action, c.resource)
				if r.Decision != iamsim.Allowed {
					denied++
					t.Logf("denied: %s: %s on %s: %s by %v", c.what, c.action, c.resource, r.Decision, r.Denials)
				} else {
					t.Logf("allowed: %s: %s on %s", c.what, c.action, c.resource)
				}
			}
			assert.Positive(t, denied, "%s: every call it needs is allowed: the execution policies let a commit do it", e.name)
			if e.calls != nil {
				assert.Equal(t, len(calls), denied, "%s: every one of these calls must be denied", e.name)
			}
		})
	}
}

// What IAM cannot see when CloudFormation puts a policy on a pipeline role is the
// document: an AWS::IAM::Policy granting iam:* and sts:AssumeRole on * is a PutRolePolicy
// on a pipeline role that carries the boundary, like every legitimate one. What it grants
// is then cut by the pipeline roles' boundary, which the role must carry and no commit can
// change: a pipeline role granted everything can still do what the pipeline does (assume
// the bootstrap roles and its own action roles, move artifacts, run builds), and no
// escalation (IAM, other roles, the execution policies).
func TestSelfMutationPolicyCutByRolesBoundary(t *testing.T) {
	s := shippedApp(t)
	b := pipelineEnvBundle(t, "", s).bundle
	p := s.Config.Pipeline
	role := fmt.Sprintf("arn:aws:iam::%s:role/%s-PipelineUpdatePipelineSelfMutat-0A1B2C3D4E5F", p.Account, stacks.PipelineStackName(s.Config.AppName))
	everything := map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
		map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
		map[string]any{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}}}
	require.NotNil(t, b.RoleBoundary)
	prod := s.Config.Environments[len(s.Config.Environments)-1]
	bootstrap := func(kind, account, region string) string {
		return fmt.Sprintf("arn:aws:iam::%s:role/cdk-%s-%s-role-%s-%s", account, deploypolicy.DefaultQualifier, kind, account, region)
	}
	type call struct {
		action, resource string
		ctx              map[string][]string
	}
	allowed := []call{
		{"sts:AssumeRole", bootstrap("deploy", p.Account, p.Region), nil},
		{"sts:AssumeRole", bootstrap("deploy", prod.Account, prod.Region), nil},
		{"sts:AssumeRole", bootstrap("file-publishing", prod.Account, prod.Region), nil},
		{"sts:AssumeRole", bootstrap("lookup", prod.Account, prod.Region), nil},
		{"sts:AssumeRole", fmt.Sprintf("arn:aws:iam::%s:role/%s-PipelineCodeBuildActionRole-0A1B2C3D4E5F", p.Account, stacks.PipelineStackName(s.Config.AppName)), nil},
		{"s3:PutObject", "arn:aws:s3:::notes-pipeline-artifacts82dd59a1-0a1b2c3d4e5f/notes-pipeline/Synth_Outp/abc", nil},
		{"codebuild:StartBuild", "arn:aws:codebuild:" + p.Region + ":" + p.Account + ":project/notes-pipeline-PipelineBuildSynthCdkBuildProject6BEFA8E6", nil},
		{"kms:Decrypt", "arn:aws:kms:" + p.Region + ":" + p.Account + ":key/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f", nil},
	}
	denied := []call{
		{"iam:CreateUser", "arn:aws:iam::" + p.Account + ":user/backdoor", nil},
		{"iam:CreateAccessKey", "arn:aws:iam::" + p.Account + ":user/admin", nil},
		{"iam:PutRolePolicy", role, nil},
		{"iam:AttachRolePolicy", role, map[string][]string{"iam:PolicyARN": {"arn:aws:iam::aws:policy/AdministratorAccess"}}},
		{"iam:UpdateAssumeRolePolicy", role, nil},
		{"iam:CreatePolicyVersion", "arn:aws:iam::" + p.Account + ":policy/" + b.ExecutionPolicies[0].Name, nil},
		{"sts:AssumeRole", "arn:aws:iam::" + prod.Account + ":role/OrganizationAccountAccessRole", nil},
		{"sts:AssumeRole", "arn:aws:iam::" + p.Account + ":role/Admin", nil},
		{"sts:AssumeRole", bootstrap("cfn-exec", prod.Account, prod.Region), nil},
		{"codepipeline:UpdatePipeline", "arn:aws:codepipeline:" + p.Region + ":" + p.Account + ":notes-pipeline", nil},
		{"codebuild:UpdateProject", "arn:aws:codebuild:" + p.Region + ":" + p.Account + ":project/notes-pipeline-PipelineBuildSynthCdkBuildProject6BEFA8E6", nil},
		{"kms:PutKeyPolicy", "arn:aws:kms:" + p.Region + ":" + p.Account + ":key/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f", nil},
		{"s3:PutBucketPolicy", "arn:aws:s3:::notes-pipeline-artifacts82dd59a1-0a1b2c3d4e5f", nil},
	}
	var reqs []iamsim.Request
	for _, c := range append(slices.Clone(allowed), denied...) {
		var keyPolicy any
		if strings.HasPrefix(c.action, "kms:") {
			keyPolicy = accountKeyPolicy(p.Account) // the artifact key's policy lets IAM policies grant its use
		}
		reqs = append(reqs, iamsim.Request{Principal: role, Action: c.action, Resource: c.resource, Context: c.ctx, ResourcePolicy: keyPolicy,
			Identity: []iamsim.Policy{{Name: "Escalate", Document: everything}},
			Boundary: &iamsim.Policy{Name: b.RoleBoundary.Name, Document: b.RoleBoundary.Document},
			// A role in another account: IAM asks that account's trust policy too, which
			// trusts the pipeline account (cdk bootstrap --trust); here only the caller's
			// side is asked.
			ResourceAccount: p.Account,
		})
	}
	out, err := simulator(t).Evaluate(context.Background(), reqs)
	require.NoError(t, err)
	for i, r := range out {
		c := reqs[i]
		require.Empty(t, r.Error, "%s %s", c.Action, c.Resource)
		if i < len(allowed) {
			assert.Equal(t, iamsim.Allowed, r.Decision, "the boundary cuts what the pipeline needs: %s on %s: %v", c.Action, c.Resource, r.Denials)
		} else {
			assert.NotEqual(t, iamsim.Allowed, r.Decision, "a pipeline role granted everything could %s on %s", c.Action, c.Resource)
		}
	}
	b2, _ := json.Marshal(b.RoleBoundary.Document)
	t.Logf("pipeline roles' boundary: %d characters", len(b2))
}
