package test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/deploypolicy"
	"github.com/example/notesplatform/stacks"
)

// pipelineTemplates are the templates that the pipeline account's execution role deploys:
// the pipeline stack and its cross-region support stacks (every top-level stack of the
// assembly), by stack name, read from the cloud assembly as cmd/deploypolicy reads them.
func pipelineTemplates(t *testing.T, s *synthesized) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, st := range outsideStages(s) {
		tpl, err := st.JSON()
		require.NoError(t, err)
		out[st.Name] = tpl
	}
	require.Contains(t, out, stacks.PipelineStackName(s.Config.AppName))
	return out
}

// pipelineAccount is the pipeline's account and region as a config.Environment, named
// deploypolicy.PipelineEnv, so that what holds an environment's bundle holds this one.
func pipelineAccount(c *config.Config) config.Environment {
	return config.Environment{Name: deploypolicy.PipelineEnv, Account: c.Pipeline.Account, Region: c.Pipeline.Region}
}

// pipelineEnvBundle is the pipeline account's bundle of one configuration, as
// `deploy-policy --env pipeline` prints it.
func pipelineEnvBundle(t *testing.T, label string, s *synthesized) envBundle {
	t.Helper()
	tpls := pipelineTemplates(t, s)
	b, err := deploypolicy.ForPipeline(s.Config, tpls)
	require.NoError(t, err)
	var repository string
	if src := s.Config.Pipeline.Source; src.Kind == config.CodeCommit && src.CreateRepository {
		repository = src.RepositoryName
	}
	return envBundle{name: label + deploypolicy.PipelineEnv, app: s.Config.AppName, env: pipelineAccount(s.Config), bundle: b,
		types: deploypolicy.ResourceTypes(slices.Collect(maps.Values(tpls))...), boundary: deploypolicy.PipelineRoleBoundaryName(s.Config.AppName),
		repository: repository, typeRegions: typeRegionsOf(t, outsideStages(s))}
}

// outsideStages are the pipeline stack and its support stacks: the stacks outside the
// stages.
func outsideStages(s *synthesized) []*cfn.Stack {
	var out []*cfn.Stack
	for _, st := range s.Cloud.Stacks {
		if st.Stage == "" && st.Parent == nil {
			out = append(out, st)
		}
	}
	return out
}

// pipelineAccountConfigs are the configurations whose pipelines differ in what they deploy: the
// shipped one (CodeCommit, one region), custom-domain (prod in another region: a support
// stack) and connection (a CodeConnections source, no repository, no events rule).
func pipelineAccountConfigs(t *testing.T) map[string]*synthesized {
	return map[string]*synthesized{"shipped": shippedApp(t), "custom-domain": customDomainApp(t), "connection": connectionApp(t)}
}

// The pipeline account's bundle is generated from the pipeline stack and its support
// stacks, covers every type in them, and grants only what they need: no wildcard action,
// no service their types do not use, IAM only on roles named <app>-pipeline-* and only with
// the pipeline roles' boundary, the same explicit denies as an environment's, and every
// document within IAM's size limit.
func TestPipelinePolicyGrantsOnlyWhatTemplatesNeed(t *testing.T) {
	for name, s := range pipelineAccountConfigs(t) {
		t.Run(name, func(t *testing.T) {
			noPanic(t, func() {
				eb := pipelineEnvBundle(t, "", s)
				assert.Empty(t, deploypolicy.Uncovered(eb.types), "add these types to internal/deploypolicy.Table")
				require.Contains(t, eb.types, "AWS::CodePipeline::Pipeline")
				acct := s.Config.Pipeline.Account
				boundary := fmt.Sprintf("arn:aws:iam::%s:policy/%s", acct, deploypolicy.PipelineRoleBoundaryName(s.Config.AppName))
				for _, err := range checkBundle(eb.bundle, eb.types, stacks.PipelineStackName(s.Config.AppName)+"-", boundary, acct) {
					t.Error(err)
				}
				require.NotNil(t, eb.bundle.RoleBoundary, "the bundle creates the pipeline roles' boundary")
				var names []string
				for _, p := range eb.bundle.Documents() {
					names = append(names, p.Name)
					assert.False(t, strings.HasPrefix(p.Name, stacks.PipelineStackName(s.Config.AppName)+"-"),
						"%s would be a policy the execution role may manage", p.Name)
				}
				for _, p := range eb.bundle.ExecutionPolicies {
					deny := p.Document.Statement[len(p.Document.Statement)-1]
					if deny.Sid != "DenyChangingTheseDeployPolicies" {
						continue
					}
					for _, n := range names {
						assert.Contains(t, deny.Resource, "arn:aws:iam::"+acct+":policy/"+n, "the execution role may not change %s", n)
					}
				}
			})
		})
	}
}

// The support stacks live in other regions of the pipeline account and are deployed by the
// pipeline region's execution role: their regions are admitted, and the names CDK
// Pipelines generates there outside the prefix (each support stack's replication key
// alias) are granted by exact name, nothing wider. The custom-domain configuration has two
// support stacks: eu-central-1 (prod's region) and us-east-1 (prod's Edge stack).
func TestPipelinePolicyCoversSupportStacks(t *testing.T) {
	s := customDomainApp(t)
	eb := pipelineEnvBundle(t, "", s)
	tpls := pipelineTemplates(t, s)
	prefix := stacks.PipelineStackName(s.Config.AppName)
	require.Contains(t, tpls, prefix+"-support-eu-central-1")
	aliases := map[string]string{} // alias name: the region of the support stack that makes it
	for name, tpl := range tpls {
		region, ok := strings.CutPrefix(name, prefix+"-support-")
		if !ok {
			continue
		}
		var n int
		for _, r := range resourcesOf(tpl, "AWS::KMS::Alias") {
			aliases[propsOf(r)["AliasName"].(string)] = region
			n++
		}
		assert.Equal(t, 1, n, "%s: one replication key alias", name)
	}
	require.Contains(t, slices.Collect(maps.Values(aliases)), "eu-central-1")
	// The statements are packed into as many documents as IAM's size limit needs, in Sid
	// order: the aliases' grant may be in any of them.
	var kmsAliases, regionDeny []string
	for _, p := range eb.bundle.ExecutionPolicies {
		for _, st := range p.Document.Statement {
			switch st.Sid {
			case "KMSAliases":
				require.Nil(t, kmsAliases, "one KMSAliases statement in the bundle")
				kmsAliases = st.Resource
			case "DenyOtherRegions":
				require.Nil(t, regionDeny, "one DenyOtherRegions statement in the bundle")
				regionDeny = st.Condition["StringNotEquals"]["aws:RequestedRegion"]
			}
		}
	}
	require.NotEmpty(t, kmsAliases, "no KMSAliases statement in %d execution policies", len(eb.bundle.ExecutionPolicies))
	assert.ElementsMatch(t, []string{"eu-west-1", "eu-central-1", "us-east-1"}, regionDeny)
	for alias, region := range aliases {
		assert.Contains(t, kmsAliases, "arn:aws:kms:"+region+":"+s.Config.Pipeline.Account+":"+alias, "the alias of the support stack in %s", region)
	}
	for _, r := range kmsAliases {
		named := false
		for alias := range aliases {
			named = named || strings.HasSuffix(r, ":"+alias)
		}
		assert.True(t, strings.Contains(r, ":alias/"+prefix+"-") || named || strings.HasSuffix(r, ":key/*"),
			"%s: an alias outside the prefix that no template names", r)
	}
}

// resolvedARN renders the ARNs CDK writes as {"Fn::Join": ["", ["arn:", {"Ref":
// "AWS::Partition"}, ...]]} in the aws partition; other values as JSON.
func resolvedARN(v any) string {
	if m, ok := v.(map[string]any); ok {
		if j, ok := m["Fn::Join"].([]any); ok && len(j) == 2 && j[0] == "" {
			var b strings.Builder
			for _, p := range j[1].([]any) {
				switch x := p.(type) {
				case string:
					b.WriteString(x)
				case map[string]any:
					if x["Ref"] != "AWS::Partition" {
						return toJSON(v)
					}
					b.WriteString("aws")
				}
			}
			return b.String()
		}
	}
	if s, ok := v.(string); ok {
		return s
	}
	return toJSON(v)
}

// Every role of the pipeline stack and its support stacks carries the pipeline roles'
// boundary, which the execution policies require of every role they let CloudFormation
// create.
func TestPipelineRolesCarryBoundary(t *testing.T) {
	for name, s := range pipelineAccountConfigs(t) {
		t.Run(name, func(t *testing.T) {
			want := fmt.Sprintf("arn:aws:iam::%s:policy/%s", s.Config.Pipeline.Account, deploypolicy.PipelineRoleBoundaryName(s.Config.AppName))
			roles := 0
			for stack, tpl := range pipelineTemplates(t, s) {
				for id, r := range resourcesOf(tpl, "AWS::IAM::Role") {
					roles++
					assert.Equal(t, want, resolvedARN(propsOf(r)["PermissionsBoundary"]), "%s role %s", stack, id)
				}
			}
			assert.Greater(t, roles, 10)
		})
	}
}

// Every action any pipeline role is granted, by its policies or an attached AWS managed
// policy, is one the pipeline roles' boundary allows (deploypolicy.PipelineRoleActions, or
// sts:AssumeRole, which the boundary allows of the bootstrap and pipeline roles only) and
// none that it denies: the boundary cuts nothing the pipeline needs.
func TestPipelineRoleActionsWithinBoundary(t *testing.T) {
	for name, s := range pipelineAccountConfigs(t) {
		t.Run(name, func(t *testing.T) {
			checked := 0
			check := func(where, action string) {
				checked++
				covered := strings.EqualFold(action, "sts:AssumeRole") || slices.ContainsFunc(deploypolicy.PipelineRoleActions,
					func(allow string) bool { return deploypolicy.Match(allow, action, true) })
				assert.True(t, covered, "%s: %s is not covered by deploypolicy.PipelineRoleActions: add it there (and update the account's boundary)", where, action)
				for _, d := range deploypolicy.PipelineRoleDenies {
					assert.False(t, globsOverlap(action, d), "%s: %s is cut by the pipeline roles' boundary's deny of %s", where, action, d)
				}
			}
			for stack, tpl := range pipelineTemplates(t, s) {
				for where, sts := range policyStatements(tpl, "") {
					for _, st := range sts {
						if st["Effect"] != "Allow" {
							continue
						}
						assert.Nil(t, st["NotAction"], "%s %s: NotAction grants everything else", stack, where)
						for _, a := range strs(st["Action"]) {
							check(stack+" "+where, a)
						}
					}
				}
				for id, r := range resourcesOf(tpl, "AWS::IAM::Role") {
					arns, _ := propsOf(r)["ManagedPolicyArns"].([]any)
					for _, arn := range arns {
						n := resolvedARN(arn)
						base := n[strings.LastIndex(n, "/")+1:]
						actions, known := awsManagedActions[base]
						assert.True(t, known, "%s role %s: the actions of %s are not in awsManagedActions", stack, id, n)
						for _, a := range actions {
							check(stack+" role "+id+" ("+base+")", a)
						}
					}
				}
			}
			assert.Positive(t, checked)
		})
	}
}

// Every stack of the pipeline account is named under the pipeline's prefix, so names that
// CloudFormation generates start with it, and every name a pipeline template sets itself
// starts with it too, but for the two kinds the bundle names exactly: the configured
// repository and the support stacks' key aliases.
func TestPipelineNamesUnderPrefix(t *testing.T) {
	named := map[string]string{
		"AWS::S3::Bucket": "BucketName", "AWS::Lambda::Function": "FunctionName", "AWS::IAM::Role": "RoleName",
		"AWS::IAM::ManagedPolicy": "ManagedPolicyName", "AWS::KMS::Alias": "AliasName", "AWS::CodeBuild::Project": "Name",
		"AWS::CodePipeline::Pipeline": "Name", "AWS::Events::Rule": "Name", "AWS::CodeCommit::Repository": "RepositoryName",
		"AWS::Logs::LogGroup": "LogGroupName",
	}
	for name, s := range pipelineAccountConfigs(t) {
		t.Run(name, func(t *testing.T) {
			prefix := stacks.PipelineStackName(s.Config.AppName)
			b := pipelineEnvBundle(t, "", s).bundle
			granted := toJSON(b.ExecutionPolicies)
			projects := 0
			for stack, tpl := range pipelineTemplates(t, s) {
				assert.True(t, stack == prefix || strings.HasPrefix(stack, prefix+"-"), "stack %s", stack)
				for typ, prop := range named {
					for id, r := range resourcesOf(tpl, typ) {
						if typ == "AWS::CodeBuild::Project" {
							projects++
						}
						v, ok := propsOf(r)[prop].(string)
						if !ok {
							assert.NotEqual(t, "AWS::CodeBuild::Project", typ, "%s %s: a project CloudFormation names need not start with the stack's name: name it (stacks.nameProjects)", stack, id)
							continue
						}
						n := strings.TrimPrefix(v, "alias/")
						switch {
						case n == prefix || strings.HasPrefix(n, prefix+"-"):
						case typ == "AWS::CodeCommit::Repository":
							assert.Equal(t, s.Config.Pipeline.Source.RepositoryName, v, "%s %s", stack, id)
							assert.Contains(t, granted, ":codecommit:"+s.Config.Pipeline.Region+":"+s.Config.Pipeline.Account+":"+v)
						case typ == "AWS::KMS::Alias" && stack != prefix:
							assert.Contains(t, granted, ":"+v+`"`, "%s %s: the support stack's alias is granted by exact name", stack, id)
						default:
							t.Errorf("%s %s %s: %s %q is outside %s-*", stack, typ, id, prop, v, prefix)
						}
					}
				}
			}
			assert.Positive(t, projects)
		})
	}
}

// The pipeline roles' boundary allows what the roles need and nothing of IAM, denies
// changing identities and the pipeline itself, lets roles assume only the CDK bootstrap
// roles and the pipeline's own, and fits IAM's size limit.
func TestPipelineRoleBoundaryDocument(t *testing.T) {
	d := deploypolicy.PipelineRoleBoundary("notes", "aws", "333333333333", deploypolicy.DefaultQualifier)
	require.Len(t, d.Statement, 3)
	allow, assume, deny := d.Statement[0], d.Statement[1], d.Statement[2]
	assert.Equal(t, []string{"*"}, allow.Resource)
	for _, a := range allow.Action {
		assert.NotEqual(t, "*", a)
		svc, _, _ := strings.Cut(a, ":")
		assert.NotContains(t, []string{"iam", "sts", "organizations", "account"}, svc, "%s in the pipeline roles' boundary", a)
	}
	assert.Equal(t, []string{"sts:AssumeRole"}, assume.Action)
	assert.Equal(t, []string{
		"arn:aws:iam::*:role/cdk-hnb659fds-deploy-role-*", "arn:aws:iam::*:role/cdk-hnb659fds-file-publishing-role-*",
		"arn:aws:iam::*:role/cdk-hnb659fds-image-publishing-role-*", "arn:aws:iam::*:role/cdk-hnb659fds-lookup-role-*",
		"arn:aws:iam::333333333333:role/notes-pipeline-*",
	}, assume.Resource)
	assert.Equal(t, "Deny", deny.Effect)
	assert.Contains(t, deny.Action, "iam:*")
	assert.LessOrEqual(t, deploypolicy.Size(d), deploypolicy.MaxPolicySize)
}
