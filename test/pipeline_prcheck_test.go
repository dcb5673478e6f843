package test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/eventpattern"
	"github.com/example/notesplatform/internal/iamsim"
	"github.com/example/notesplatform/internal/prcheck"
	"github.com/example/notesplatform/stacks"
)

// checkProject is the pull-request check's CodeBuild project (the one named after it).
func checkProject(t *testing.T, s *synthesized) (id string, props map[string]any) {
	t.Helper()
	for id, p := range resources(s.Pipeline, "AWS::CodeBuild::Project") {
		props := p["Properties"].(map[string]any)
		if props["Name"] == stacks.PullRequestCheckProjectName(s.Config.AppName) {
			return id, props
		}
	}
	t.Fatalf("no CodeBuild project %s", stacks.PullRequestCheckProjectName(s.Config.AppName))
	return "", nil
}

// Both source kinds: the check runs in the synth step's environment (image, Go of go.mod,
// Node, the Go and npm cache paths), unprivileged, with its own cache prefix of the
// artifact bucket and its own log group, and its buildspec builds and runs cmd/prcheck for
// the first environment, then reports in post_build.
func TestPullRequestCheckProject(t *testing.T) {
	for name, s := range map[string]*synthesized{"codecommit": shippedApp(t), "connection": connectionApp(t)} {
		t.Run(name, func(t *testing.T) {
			noPanic(t, func() {
				_, p := checkProject(t, s)
				_, stages := pipelineActions(t, s)
				synth := projectOf(t, s, stages["Build"][0])
				assert.Equal(t, synth["Environment"].(map[string]any)["Image"], p["Environment"].(map[string]any)["Image"], "the synth step's image")
				assert.Equal(t, false, p["Environment"].(map[string]any)["PrivilegedMode"])
				spec := parseBuildSpec(t, p)
				synthSpec := parseBuildSpec(t, synth)
				assert.Equal(t, synthSpec.Phases["install"].RuntimeVersions, spec.Phases["install"].RuntimeVersions)
				require.NotNil(t, spec.Cache)
				assert.Equal(t, synthSpec.Cache.Paths, spec.Cache.Paths, "the same Go module, build and npm caches")
				vars := map[string]string{}
				for _, v := range p["Environment"].(map[string]any)["EnvironmentVariables"].([]any) {
					m := v.(map[string]any)
					vars[m["Name"].(string)] = fmt.Sprint(m["Value"])
				}
				for _, k := range []string{"GOMODCACHE", "GOCACHE", "npm_config_cache", "GOFLAGS", "GOTOOLCHAIN"} {
					assert.NotEmpty(t, vars[k], k)
				}
				assert.Contains(t, vars[stacks.ArtifactTestsDeferEnv], stacks.ArtifactTestsStepID, "the check says where the artifact tests run")

				cache := p["Cache"].(map[string]any)
				assert.Equal(t, "S3", cache["Type"])
				assert.Contains(t, toJSON(cache["Location"]), stacks.PullRequestCheckCachePrefix, "its own cache, not the synth step's")
				logs := p["LogsConfig"].(map[string]any)["CloudWatchLogs"].(map[string]any)
				group := logs["GroupName"].(map[string]any)["Ref"].(string)
				assert.True(t, strings.HasPrefix(group, "PullRequestCheckLogs"), "its own log group, not the pipeline's: %s", group)

				first := s.Config.Environments[0]
				build, post := stacks.PullRequestCheckCommands(s.Config.Pipeline.Source.Kind, first.Name, "hnb659fds")
				assert.Equal(t, build, spec.Phases["build"].Commands)
				assert.Equal(t, post, spec.Phases["post_build"].Commands)
				assert.Contains(t, strings.Join(build, "\n"), "./cmd/prcheck")
				assert.Contains(t, strings.Join(build, "\n"), "run --source "+string(s.Config.Pipeline.Source.Kind)+" --stage '"+first.Name+"'")
				assert.Equal(t, float64(stacks.PullRequestCheckTimeoutMinutes), p["TimeoutInMinutes"])
			})
		})
	}
}

// The check runs the README's two commands: the full tier's commands include `make synth`
// and `make test`, both Makefile targets, and the compatibility gate of the first
// environment; the program the buildspec runs is a real command of the repository.
func TestPullRequestCheckRunsTheREADMECommands(t *testing.T) {
	var commands []string
	for _, step := range prcheck.Plan(prcheck.Full, "dev", "hnb659fds", nil) {
		commands = append(commands, step.Command)
	}
	assert.Contains(t, commands, "make synth")
	assert.Contains(t, commands, "make test")
	assert.Contains(t, strings.Join(commands, "\n"), "go run ./cmd/compatgate --assembly cdk.out --stage 'dev'")
	makefile, err := os.ReadFile(filepath.Join(repoRoot(t), "Makefile"))
	require.NoError(t, err)
	for _, target := range []string{"synth", "test", "e2e"} {
		assert.Regexp(t, regexp.MustCompile(`(?m)^`+target+`:`), string(makefile), "make %s", target)
	}
	_, err = os.Stat(filepath.Join(repoRoot(t), "cmd", "prcheck", "main.go"))
	assert.NoError(t, err)
}

// CodeCommit: an EventBridge rule on the repository's pull-request events starts the check
// on the pull request's source commit; an approval rule template, associated with the
// repository, makes pull requests into the branch need the approval of the check's role.
func TestPullRequestCheckCodeCommit(t *testing.T) {
	s := shippedApp(t)
	noPanic(t, func() {
		projectID, _ := checkProject(t, s)
		rules := resources(s.Pipeline, "AWS::Events::Rule")
		var rule map[string]any
		for id, r := range rules {
			if strings.HasPrefix(id, "PullRequestCheckTrigger") {
				rule = r["Properties"].(map[string]any)
			}
		}
		require.NotNil(t, rule, "no pull-request rule")
		targets := rule["Targets"].([]any)
		require.Len(t, targets, 1)
		assert.Equal(t, map[string]any{"Fn::GetAtt": []any{projectID, "Arn"}}, targets[0].(map[string]any)["Arn"])

		var template, association map[string]any
		for _, r := range templateJSON(s.Pipeline)["Resources"].(map[string]any) {
			r := r.(map[string]any)
			switch r["Type"] {
			case "Custom::CodeCommitApprovalRuleTemplate":
				template = r["Properties"].(map[string]any)
			case "Custom::CodeCommitApprovalRuleTemplateAssociation":
				association = r["Properties"].(map[string]any)
			}
		}
		require.NotNil(t, template, "no approval rule template")
		require.NotNil(t, association, "the template is associated with no repository")
		create := toJSON(template["Create"])
		assert.Contains(t, create, `\"action\":\"CreateApprovalRuleTemplate\"`)
		assert.Contains(t, create, stacks.PullRequestCheckApprovalRule(s.Config.AppName))
		assert.Contains(t, create, `\\\"DestinationReferences\\\":[\\\"refs/heads/`+s.Config.Pipeline.Source.Branch+`\\\"]`)
		assert.Contains(t, create, `:assumed-role/`, "the pool is the check role's sessions")
		assert.Regexp(t, `"Ref":"PullRequestCheckProjectRole[0-9A-F]+"`, create, "the pool names the check's role")
		assert.Contains(t, toJSON(template["Update"]), "UpdateApprovalRuleTemplateContent")
		assert.Contains(t, toJSON(template["Delete"]), "DeleteApprovalRuleTemplate")
		assert.Contains(t, toJSON(association["Create"]), "AssociateApprovalRuleTemplateWithRepository")
		assert.Contains(t, toJSON(association["Delete"]), "DisassociateApprovalRuleTemplateFromRepository")
		assert.Regexp(t, `Repository[0-9A-F]+`, toJSON(association["Create"]), "associated with the stack's repository")
	})
}

// CodeConnections: the project reads the connection's repository through the connection,
// builds on the provider's pull-request events into the branch (trusted authors only, the
// others after a comment), and reports its result as the commit's status. No EventBridge
// rule and no approval rule: those are CodeCommit's.
func TestPullRequestCheckConnection(t *testing.T) {
	s := connectionApp(t)
	noPanic(t, func() {
		_, p := checkProject(t, s)
		src := p["Source"].(map[string]any)
		assert.Equal(t, "GITHUB", src["Type"])
		assert.Equal(t, "https://github.com/"+testConnection.Repository+".git", src["Location"])
		assert.Equal(t, map[string]any{"Type": "CODECONNECTIONS", "Resource": testConnection.ConnectionArn}, src["Auth"])
		assert.Equal(t, true, src["ReportBuildStatus"])
		assert.Equal(t, map[string]any{"Context": stacks.PullRequestCheckStatusContext(s.Config.AppName)}, src["BuildStatusConfig"])
		triggers := p["Triggers"].(map[string]any)
		assert.Equal(t, true, triggers["Webhook"])
		assert.Equal(t, []any{[]any{
			map[string]any{"Type": "EVENT", "Pattern": "PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED"},
			map[string]any{"Type": "BASE_REF", "Pattern": "^refs/heads/" + testConnection.Branch + "$"},
		}}, triggers["FilterGroups"])
		policy := triggers["PullRequestBuildPolicy"].(map[string]any)
		assert.Equal(t, "ALL_PULL_REQUESTS", policy["RequiresCommentApproval"], "an untrusted author's code waits for a trusted comment")
		assert.NotContains(t, toJSON(policy["ApproverRoles"]), "GITHUB_READ")
		for id := range resources(s.Pipeline, "AWS::Events::Rule") {
			assert.False(t, strings.HasPrefix(id, "PullRequestCheck"), "no EventBridge rule for a connection: %s", id)
		}
		assert.NotContains(t, toJSON(templateJSON(s.Pipeline)), "Custom::CodeCommitApprovalRuleTemplate")
	})
}

// sampleEvent reads one of AWS's vendored sample events.
func sampleEvent(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", "codecommit", name+".json"))
	require.NoError(t, err)
	var e map[string]any
	require.NoError(t, json.Unmarshal(b, &e))
	return e
}

// The rule's pattern, as synthesized, matches AWS's documented pullRequestCreated and
// pullRequestSourceBranchUpdated events (the samples' repository standing in for the
// stack's, and the pipeline's branch for main) and nothing else: not a pull request that
// closed or merged, not a comment, not a push to main, not a pull request into another
// branch. The rule's input makes StartBuild build the sample's source commit with the pull
// request's identity in the build's variables.
func TestPullRequestEventPattern(t *testing.T) {
	s := shippedApp(t)
	var rule map[string]any
	noPanic(t, func() {
		for id, r := range resources(s.Pipeline, "AWS::Events::Rule") {
			if strings.HasPrefix(id, "PullRequestCheckTrigger") {
				rule = r["Properties"].(map[string]any)
			}
		}
	})
	require.NotNil(t, rule)
	pattern := rule["EventPattern"].(map[string]any)
	require.Len(t, pattern["resources"], 1)
	sampleRepo := "arn:aws:codecommit:us-east-2:123456789012:MyDemoRepo"
	pattern["resources"] = []any{sampleRepo} // the template's Fn::GetAtt of the repository's Arn
	branch := s.Config.Pipeline.Source.Branch
	pb, err := json.Marshal(pattern)
	require.NoError(t, err)
	match := func(event map[string]any) bool {
		t.Helper()
		eb, err := json.Marshal(event)
		require.NoError(t, err)
		ok, err := eventpattern.Match(pb, eb)
		require.NoError(t, err)
		return ok
	}
	onBranch := func(e map[string]any) map[string]any {
		if d, ok := e["detail"].(map[string]any); ok && d["destinationReference"] != nil {
			d["destinationReference"] = "refs/heads/" + branch
		}
		return e
	}
	for _, name := range []string{"pullRequestCreated", "pullRequestSourceBranchUpdated"} {
		assert.True(t, match(onBranch(sampleEvent(t, name))), "%s must start the check", name)
	}
	for _, name := range []string{"pullRequestStatusChanged", "pullRequestMergeStatusUpdated", "commentOnPullRequestCreated", "referenceUpdated", "referenceUpdated-main"} {
		assert.False(t, match(onBranch(sampleEvent(t, name))), "%s must not start the check", name)
	}
	other := onBranch(sampleEvent(t, "pullRequestCreated"))
	other["detail"].(map[string]any)["destinationReference"] = "refs/heads/feature"
	assert.False(t, match(other), "a pull request into another branch")
	foreign := onBranch(sampleEvent(t, "pullRequestCreated"))
	foreign["resources"] = []any{"arn:aws:codecommit:us-east-2:123456789012:OtherRepo"}
	assert.False(t, match(foreign), "another repository's pull request")

	// The input transformer, as EventBridge applies it: each <name> (outside quotes) becomes
	// the JSON value at its path.
	transformer := rule["Targets"].([]any)[0].(map[string]any)["InputTransformer"].(map[string]any)
	event := onBranch(sampleEvent(t, "pullRequestSourceBranchUpdated"))
	input := transformer["InputTemplate"].(string)
	for name, path := range transformer["InputPathsMap"].(map[string]any) {
		v := event
		var value any = v
		for _, seg := range strings.Split(strings.TrimPrefix(path.(string), "$."), ".") {
			value = value.(map[string]any)[seg]
		}
		b, _ := json.Marshal(value)
		input = strings.ReplaceAll(input, "<"+name+">", string(b))
	}
	var start struct {
		SourceVersion string `json:"sourceVersion"`
		Env           []struct {
			Name, Type, Value string
		} `json:"environmentVariablesOverride"`
	}
	require.NoError(t, json.Unmarshal([]byte(input), &start), input)
	detail := event["detail"].(map[string]any)
	assert.Equal(t, detail["sourceCommit"], start.SourceVersion, "the build checks out the pull request's source commit")
	got := map[string]string{}
	for _, v := range start.Env {
		got[v.Name] = v.Value
		assert.Equal(t, "PLAINTEXT", v.Type)
	}
	for name, field := range stacks.PullRequestEnv {
		assert.Equal(t, detail[field], got[name], name)
	}
}

// checkRole is the check role's identity policy, resolved to plain ARNs, and the role ARN.
func checkRole(t *testing.T, s *synthesized) (roleArn string, policy map[string]any, resolved map[string]any) {
	t.Helper()
	st := s.stack(t, stacks.PipelineStackName(s.Config.AppName))
	tpl, err := s.Cloud.Resolver(nil).Template(st)
	require.NoError(t, err)
	b, err := json.Marshal(tpl)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &resolved))
	res := resolved["Resources"].(map[string]any)
	var roleName string
	for id, r := range res {
		r := r.(map[string]any)
		if r["Type"] == "AWS::IAM::Policy" && strings.HasPrefix(id, "PullRequestCheckProjectRoleDefaultPolicy") {
			policy = r["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)
			roleName = r["Properties"].(map[string]any)["Roles"].([]any)[0].(string)
		}
	}
	require.NotNil(t, policy, "no policy of the check's role")
	for id, r := range res {
		if strings.HasPrefix(id, "PullRequestCheckProjectRole") && r.(map[string]any)["Type"] == "AWS::IAM::Role" {
			props := r.(map[string]any)["Properties"].(map[string]any)
			assert.Empty(t, props["ManagedPolicyArns"], "the check's role has no managed policy")
			assert.Empty(t, props["Policies"], "the check's role has no inline policy")
			assert.Contains(t, toJSON(props["AssumeRolePolicyDocument"]), "codebuild.amazonaws.com")
		}
	}
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", s.Config.Pipeline.Account, roleName), policy, resolved
}

// No deploy power: the check's role (its policies as synthesized, evaluated by a real IAM
// policy evaluator) may assume no role but the first environment's lookup role: none of the
// deploy, file- or image-publishing, CloudFormation execution roles of any account, nor any
// other role; it cannot write the pipeline's artifacts, push to the repository or start the
// pipeline; and the lookup role at the end of its one path (CDK's bootstrap: AWS's
// ReadOnlyAccess) can write nothing in the application account and assume nothing. The
// calls the check makes (its own, and CodeBuild's with its role) are all allowed: the role is
// exercised, not merely narrow.
func TestPullRequestCheckRoleCannotDeploy(t *testing.T) {
	for name, s := range map[string]*synthesized{"codecommit": shippedApp(t), "connection": connectionApp(t)} {
		t.Run(name, func(t *testing.T) {
			sim, err := iamsim.New(repoRoot(t))
			require.NoError(t, err)
			roleArn, policy, resolved := checkRole(t, s)
			identity := []iamsim.Policy{{Name: "check", Document: policy}}
			cfg := s.Config
			p := cfg.Pipeline
			first := cfg.Environments[0]
			lookup := config.LookupRoleArn("hnb659fds", first.Account, first.Region)
			res := resolved["Resources"].(map[string]any)
			bucket := ""
			for _, st := range policy["Statement"].([]any) {
				st := st.(map[string]any)
				if st["Sid"] == "CacheBucketLocation" {
					bucket = st["Resource"].(string)
				}
			}
			require.NotEmpty(t, bucket)
			key := ""
			for _, st := range policy["Statement"].([]any) {
				st := st.(map[string]any)
				if strings.Contains(toJSON(st["Action"]), "kms:Decrypt") {
					key = st["Resource"].(string)
				}
			}
			require.NotEmpty(t, key)
			project := stacks.PullRequestCheckProjectName(cfg.AppName)
			logGroup := ""
			for id, r := range res {
				if strings.HasPrefix(id, "PullRequestCheckLogs") {
					logGroup = fmt.Sprint(r.(map[string]any)["Properties"].(map[string]any)["LogGroupName"])
				}
			}
			if logGroup == "" || logGroup == "<nil>" {
				for _, st := range policy["Statement"].([]any) {
					st := st.(map[string]any)
					if toJSON(st["Action"]) == `["logs:CreateLogStream","logs:PutLogEvents"]` {
						logGroup = strings.TrimPrefix(st["Resource"].(string), fmt.Sprintf("arn:aws:logs:%s:%s:log-group:", p.Region, p.Account))
						logGroup = strings.TrimSuffix(logGroup, ":*")
					}
				}
			}
			require.NotEmpty(t, logGroup)

			type req struct{ action, resource string }
			allowed := []req{
				{"sts:AssumeRole", lookup},
				{"s3:GetObject", bucket + "/" + stacks.PullRequestCheckCachePrefix + "/cache.zip"},
				{"s3:PutObject", bucket + "/" + stacks.PullRequestCheckCachePrefix + "/cache.zip"},
				{"kms:GenerateDataKey", key}, {"kms:Decrypt", key},
				{"logs:CreateLogStream", fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:log-stream:build-1", p.Region, p.Account, logGroup)},
				{"logs:PutLogEvents", fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:log-stream:build-1", p.Region, p.Account, logGroup)},
				{"codebuild:CreateReportGroup", fmt.Sprintf("arn:aws:codebuild:%s:%s:report-group/%s-%s", p.Region, p.Account, project, stacks.PullRequestCheckReportGroup)},
				{"codebuild:CreateReport", fmt.Sprintf("arn:aws:codebuild:%s:%s:report-group/%s-%s", p.Region, p.Account, project, stacks.PullRequestCheckReportGroup)},
				{"codebuild:BatchPutTestCases", fmt.Sprintf("arn:aws:codebuild:%s:%s:report-group/%s-%s", p.Region, p.Account, project, stacks.PullRequestCheckReportGroup)},
				{"codebuild:UpdateReport", fmt.Sprintf("arn:aws:codebuild:%s:%s:report-group/%s-%s", p.Region, p.Account, project, stacks.PullRequestCheckReportGroup)},
			}
			repoArn := fmt.Sprintf("arn:aws:codecommit:%s:%s:%s", p.Region, p.Account, p.Source.RepositoryName)
			if p.Source.Kind == config.CodeCommit {
				// CodeBuild clones with GitPull; the program calls every method of its
				// CodeCommit interface (and the post_build fallback posts a comment).
				allowed = append(allowed, req{"codecommit:GitPull", repoArn})
				calls := reflect.TypeOf((*prcheck.PullRequests)(nil)).Elem()
				for i := range calls.NumMethod() {
					allowed = append(allowed, req{"codecommit:" + calls.Method(i).Name, repoArn})
				}
			} else {
				allowed = append(allowed, req{"codeconnections:GetConnectionToken", p.Source.ConnectionArn}, req{"codeconnections:GetConnection", p.Source.ConnectionArn})
			}

			var denied []req
			accounts := []string{p.Account}
			for _, e := range cfg.Environments {
				accounts = append(accounts, e.Account)
				for _, r := range []string{"deploy-role", "file-publishing-role", "image-publishing-role", "cfn-exec-role"} {
					denied = append(denied, req{"sts:AssumeRole", fmt.Sprintf("arn:aws:iam::%s:role/cdk-hnb659fds-%s-%s-%s", e.Account, r, e.Account, e.Region)})
				}
				denied = append(denied,
					req{"sts:AssumeRole", fmt.Sprintf("arn:aws:iam::%s:role/%s-%s-admin", e.Account, cfg.AppName, e.Name)},
					req{"s3:PutObject", fmt.Sprintf("arn:aws:s3:::cdk-hnb659fds-assets-%s-%s/asset.zip", e.Account, e.Region)},
					req{"cloudformation:CreateChangeSet", fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s-%s-backend/x", e.Region, e.Account, cfg.AppName, e.Name)},
					req{"lambda:UpdateFunctionCode", fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s-%s-notes", e.Region, e.Account, cfg.AppName, e.Name)},
				)
			}
			for _, r := range []string{"deploy-role", "file-publishing-role", "cfn-exec-role"} {
				denied = append(denied, req{"sts:AssumeRole", fmt.Sprintf("arn:aws:iam::%s:role/cdk-hnb659fds-%s-%s-%s", p.Account, r, p.Account, p.Region)})
			}
			denied = append(denied,
				req{"s3:PutObject", bucket + "/" + cfg.AppName + "-pipeline/Synth_Output/abc.zip"},
				req{"s3:GetObject", bucket + "/" + cfg.AppName + "-pipeline/Synth_Output/abc.zip"},
				req{"s3:PutObject", bucket + "/build-cache/synth/cache.zip"},
				req{"s3:DeleteObject", bucket + "/" + stacks.PullRequestCheckCachePrefix + "/cache.zip"},
				req{"iam:PassRole", fmt.Sprintf("arn:aws:iam::%s:role/anything", p.Account)},
				req{"codepipeline:StartPipelineExecution", fmt.Sprintf("arn:aws:codepipeline:%s:%s:%s-pipeline", p.Region, p.Account, cfg.AppName)},
				req{"codebuild:StartBuild", fmt.Sprintf("arn:aws:codebuild:%s:%s:project/%s", p.Region, p.Account, project)},
				req{"codecommit:CreateApprovalRuleTemplate", "*"},
				req{"codecommit:PostCommentForPullRequest", fmt.Sprintf("arn:aws:codecommit:%s:%s:other-repo", p.Region, p.Account)},
				req{"logs:PutLogEvents", fmt.Sprintf("arn:aws:logs:%s:%s:log-group:/aws/codebuild/%s-pipeline-synth:log-stream:x", p.Region, p.Account, cfg.AppName)},
			)
			if p.Source.Kind == config.CodeCommit {
				// Pushing to the repository's branch would deploy: the pipeline runs on it.
				denied = append(denied, req{"codecommit:GitPush", repoArn}, req{"codecommit:MergePullRequestBySquash", repoArn})
			}
			// The resource side as AWS has it: `cdk bootstrap --trust <pipeline account>` makes
			// the target accounts' deploy, publishing and lookup roles trust the pipeline
			// account, so only the check role's own policy can keep it out; the artifact
			// key's policy is the synthesized one.
			trust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
				"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": map[string]any{"AWS": "arn:aws:iam::" + p.Account + ":root"},
			}}}
			var keyPolicy any
			for id, r := range res {
				if strings.HasPrefix(id, "ArtifactKey") && r.(map[string]any)["Type"] == "AWS::KMS::Key" {
					keyPolicy = r.(map[string]any)["Properties"].(map[string]any)["KeyPolicy"]
				}
			}
			require.NotNil(t, keyPolicy)
			request := func(r req) iamsim.Request {
				q := iamsim.Request{Principal: roleArn, Identity: identity, Action: r.action, Resource: r.resource, ResourceAccount: accountOf(r.resource, p.Account)}
				switch {
				case r.action == "sts:AssumeRole":
					q.ResourcePolicy = trust
				case strings.HasPrefix(r.action, "kms:"):
					q.ResourcePolicy = keyPolicy
				}
				return q
			}
			var reqs []iamsim.Request
			for _, r := range allowed {
				reqs = append(reqs, request(r))
			}
			for _, r := range denied {
				reqs = append(reqs, request(r))
			}
			results, err := sim.Evaluate(context.Background(), reqs)
			require.NoError(t, err)
			for i, r := range results {
				require.Empty(t, r.Error, "%s on %s", reqs[i].Action, reqs[i].Resource)
				if i < len(allowed) {
					assert.Equal(t, iamsim.Allowed, r.Decision, "the check needs %s on %s", reqs[i].Action, reqs[i].Resource)
				} else {
					assert.NotEqual(t, iamsim.Allowed, r.Decision, "the check's role must not %s on %s", reqs[i].Action, reqs[i].Resource)
				}
			}

			// Every role the policy can assume, written out: the lookup role only.
			for _, st := range policy["Statement"].([]any) {
				st := st.(map[string]any)
				acts := toJSON(st["Action"])
				if strings.Contains(acts, "sts:") || strings.Contains(acts, "iam:PassRole") || strings.Contains(acts, `"*"`) {
					assert.Equal(t, `"sts:AssumeRole"`, acts)
					assert.Equal(t, lookup, st["Resource"], "the only role the check may assume")
				}
				for _, r := range listOf(st["Resource"]) {
					acct := accountOf(r, p.Account)
					assert.True(t, acct == p.Account || r == lookup, "%s reaches account %s", r, acct)
				}
			}

			// The end of the path: the lookup role, as CDK's bootstrap template makes it
			// (AWS's ReadOnlyAccess, and a deny of kms:Decrypt), writes nothing.
			managed, err := sim.AWSManaged(context.Background(), []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"})
			require.NoError(t, err)
			readOnly := []iamsim.Policy{{Name: "ReadOnlyAccess", Document: managed["arn:aws:iam::aws:policy/ReadOnlyAccess"].Document},
				{Name: "DontReadSecrets", Document: map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Sid": "DontReadSecrets", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}}}}}
			var lreqs []iamsim.Request
			var lwhat []string
			for _, r := range denied {
				if accountOf(r.resource, p.Account) == first.Account {
					lreqs = append(lreqs, iamsim.Request{Principal: lookup, Identity: readOnly, Action: r.action, Resource: r.resource})
					lwhat = append(lwhat, r.action+" on "+r.resource)
				}
			}
			lreqs = append(lreqs,
				iamsim.Request{Principal: lookup, Identity: readOnly, Action: "iam:PassRole", Resource: fmt.Sprintf("arn:aws:iam::%s:role/x", first.Account)},
				iamsim.Request{Principal: lookup, Identity: readOnly, Action: "dynamodb:PutItem", Resource: fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/notes", first.Region, first.Account)},
				iamsim.Request{Principal: lookup, Identity: readOnly, Action: "cloudformation:GetTemplate", Resource: fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s-%s-backend/x", first.Region, first.Account, cfg.AppName, first.Name)},
			)
			lwhat = append(lwhat, "iam:PassRole", "dynamodb:PutItem", "cloudformation:GetTemplate")
			lres, err := sim.Evaluate(context.Background(), lreqs)
			require.NoError(t, err)
			for i, r := range lres {
				require.Empty(t, r.Error, lwhat[i])
				if lwhat[i] == "cloudformation:GetTemplate" {
					assert.Equal(t, iamsim.Allowed, r.Decision, "the lookup role reads the deployed templates (what the gate and the diff need)")
					continue
				}
				assert.NotEqual(t, iamsim.Allowed, r.Decision, "the lookup role must not %s", lwhat[i])
			}
		})
	}
}

func listOf(v any) []string {
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

// accountOf is an ARN's account (S3 ARNs have none: the bucket's is the pipeline's here).
func accountOf(arn, dflt string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[4] == "" {
		return dflt
	}
	return parts[4]
}

// The pipeline's dashboard shows the check's results and duration.
func TestPullRequestCheckOnDashboard(t *testing.T) {
	s := shippedApp(t)
	noPanic(t, func() {
		projectID, _ := checkProject(t, s)
		var bodies []string
		for _, d := range resources(s.Pipeline, "AWS::CloudWatch::Dashboard") {
			props := d["Properties"].(map[string]any)
			assert.Equal(t, stacks.PipelineStackName(s.Config.AppName), props["DashboardName"])
			bodies = append(bodies, toJSON(props["DashboardBody"]))
		}
		require.Len(t, bodies, 1)
		for _, metric := range []string{"SucceededBuilds", "FailedBuilds", "Duration"} {
			assert.True(t, slices.ContainsFunc(bodies, func(b string) bool {
				return strings.Contains(b, `\"AWS/CodeBuild\",\"`+metric+`\",\"ProjectName\",\"",{"Ref":"`+projectID+`"}`)
			}), "%s of the check", metric)
		}
	})
}
