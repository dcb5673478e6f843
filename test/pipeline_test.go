package test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/internal/repo"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/stacks"
)

var (
	connection variant
)

// testConnection is the CodeConnections source of the second pipeline configuration.
var testConnection = config.Source{
	Kind:          "connection",
	ConnectionArn: "arn:aws:codeconnections:eu-west-1:333333333333:connection/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f",
	Repository:    "example/notes-platform",
	Branch:        "release",
}

// connectionApp is the shipped config with the pipeline reading a CodeConnections
// repository instead of CodeCommit, accepted contractions in both environments and the
// drift switch turned the other way round: the second pipeline configuration.
func connectionApp(t *testing.T) *synthesized {
	t.Helper()
	ctx := cdkContext(t)
	src, err := json.Marshal(testConnection)
	require.NoError(t, err)
	ctx["config.pipeline.source"] = string(src)
	ctx["config.environments.dev.acceptContractions"] = `["*"]`
	ctx["config.environments.prod.acceptContractions"] = `["Backend/NotesRead:env:CURSOR_SECRET_ARN","Backend/Health:*"]`
	ctx["config.environments.dev.failOnDrift"] = "true"
	ctx["config.environments.prod.failOnDrift"] = "false"
	return connection.get(t, ctx, nil)
}

// pipelineOf is the one AWS::CodePipeline::Pipeline of a pipeline template.
func pipelineOf(t *testing.T, s *synthesized) map[string]any {
	t.Helper()
	require.NotNil(t, s.Pipeline, "the app has no pipeline stack")
	ps := resources(s.Pipeline, "AWS::CodePipeline::Pipeline")
	require.Len(t, ps, 1)
	for _, p := range ps {
		return p["Properties"].(map[string]any)
	}
	return nil
}

type action struct {
	Stage, Name, Category, Provider string
	RunOrder                        int
	Config                          map[string]any
	Raw                             map[string]any
}

func pipelineActions(t *testing.T, s *synthesized) (stageNames []string, byStage map[string][]action) {
	t.Helper()
	byStage = map[string][]action{}
	for _, st := range pipelineOf(t, s)["Stages"].([]any) {
		stage := st.(map[string]any)
		name := stage["Name"].(string)
		stageNames = append(stageNames, name)
		for _, a := range stage["Actions"].([]any) {
			am := a.(map[string]any)
			typ := am["ActionTypeId"].(map[string]any)
			cfg, _ := am["Configuration"].(map[string]any)
			ro := 1
			if f, ok := am["RunOrder"].(float64); ok {
				ro = int(f)
			}
			byStage[name] = append(byStage[name], action{Stage: name, Name: am["Name"].(string), Category: typ["Category"].(string),
				Provider: typ["Provider"].(string), RunOrder: ro, Config: cfg, Raw: am})
		}
	}
	return stageNames, byStage
}

// projectOf returns the CodeBuild project that a CodeBuild action runs.
func projectOf(t *testing.T, s *synthesized, a action) map[string]any {
	t.Helper()
	ref, ok := a.Config["ProjectName"].(map[string]any)["Ref"].(string)
	require.True(t, ok, "action %s/%s names no project", a.Stage, a.Name)
	p, ok := resources(s.Pipeline, "AWS::CodeBuild::Project")[ref]
	require.True(t, ok, "no project %s", ref)
	return p["Properties"].(map[string]any)
}

// buildSpec is the part of a CodeBuild buildspec the tests read.
type buildSpec struct {
	Phases map[string]struct {
		RuntimeVersions map[string]string `json:"runtime-versions"`
		Commands        []string          `json:"commands"`
	} `json:"phases"`
	Cache *struct {
		Paths []string `json:"paths"`
	} `json:"cache"`
	Artifacts struct {
		BaseDirectory string `json:"base-directory"`
	} `json:"artifacts"`
}

func parseBuildSpec(t *testing.T, project map[string]any) buildSpec {
	t.Helper()
	var spec buildSpec
	require.NoError(t, json.Unmarshal([]byte(buildSpecOf(t, project)), &spec))
	return spec
}

func buildSpecOf(t *testing.T, project map[string]any) string {
	t.Helper()
	spec, ok := project["Source"].(map[string]any)["BuildSpec"].(string)
	require.True(t, ok, "buildspec is not inline")
	return spec
}

// The shipped source: the CodeCommit repository that the stack creates (retained with
// the stack), on the configured branch, triggered by events rather than polling.
func TestPipelineSourceCodeCommit(t *testing.T) {
	s := shippedApp(t)
	src := s.Config.Pipeline.Source
	require.Equal(t, config.CodeCommit, src.Kind)
	noPanic(t, func() {
		repos := resources(s.Pipeline, "AWS::CodeCommit::Repository")
		require.Len(t, repos, 1, "createRepository is true: the stack makes the repository")
		var repoID string
		for id, r := range repos {
			repoID = id
			assert.Equal(t, src.RepositoryName, r["Properties"].(map[string]any)["RepositoryName"])
			assert.Equal(t, "Retain", r["DeletionPolicy"], "the repository holds the code: it outlives the stack")
		}
		names, stages := pipelineActions(t, s)
		require.Equal(t, "Source", names[0])
		require.Len(t, stages["Source"], 1)
		a := stages["Source"][0]
		assert.Equal(t, "CodeCommit", a.Provider)
		assert.Equal(t, src.Branch, a.Config["BranchName"])
		assert.Equal(t, false, a.Config["PollForSourceChanges"])
		assert.Equal(t, map[string]any{"Fn::GetAtt": []any{repoID, "Name"}}, a.Config["RepositoryName"])
	})
}

// The second source kind: a CodeConnections repository and branch, the same stages.
func TestPipelineSourceConnection(t *testing.T) {
	s := connectionApp(t)
	noPanic(t, func() {
		assert.Empty(t, resources(s.Pipeline, "AWS::CodeCommit::Repository"))
		names, stages := pipelineActions(t, s)
		require.Len(t, stages["Source"], 1)
		a := stages["Source"][0]
		assert.Equal(t, "CodeStarSourceConnection", a.Provider)
		assert.Equal(t, testConnection.ConnectionArn, a.Config["ConnectionArn"])
		assert.Equal(t, testConnection.Repository, a.Config["FullRepositoryId"])
		assert.Equal(t, testConnection.Branch, a.Config["BranchName"])
		shippedNames, _ := pipelineActions(t, shippedApp(t))
		assert.Equal(t, shippedNames, names, "both source kinds deploy the same stages")
	})
}

// Source, synth, self-mutation, assets, then one stage per environment in config order.
func TestPipelineStageOrder(t *testing.T) {
	s := shippedApp(t)
	want := []string{"Source", "Build", "UpdatePipeline", "Assets"}
	for _, e := range s.Config.Environments {
		want = append(want, e.Name)
	}
	noPanic(t, func() {
		names, _ := pipelineActions(t, s)
		assert.Equal(t, want, names)
		p := pipelineOf(t, s)
		assert.Equal(t, "V2", p["PipelineType"])
		assert.Equal(t, s.Config.AppName+"-pipeline", p["Name"])
	})
}

// Self-mutation: the pipeline redeploys its own stack, with the pinned CLI, before it
// deploys anything else, and restarts when that changed it.
func TestPipelineSelfMutation(t *testing.T) {
	s := shippedApp(t)
	noPanic(t, func() {
		_, stages := pipelineActions(t, s)
		require.Len(t, stages["UpdatePipeline"], 1)
		a := stages["UpdatePipeline"][0]
		assert.Equal(t, "SelfMutate", a.Name)
		spec := buildSpecOf(t, projectOf(t, s, a))
		cli, err := repo.CDKCLIVersion(repoRoot(t))
		require.NoError(t, err)
		assert.Contains(t, spec, "npm install -g aws-cdk@"+cli)
		assert.Contains(t, spec, "cdk -a . deploy "+stacks.PipelineStackName(s.Config.AppName)+" --require-approval=never")
		stack := s.stack(t, stacks.PipelineStackName(s.Config.AppName))
		assert.Equal(t, s.Config.Pipeline.Account, stack.Account)
		assert.Equal(t, s.Config.Pipeline.Region, stack.Region)
		assert.Equal(t, stacks.PipelineStackName(s.Config.AppName), stack.Name)
	})
}

// The synth step: current x86 Amazon Linux 2023 image (it ships the Chromium the browser
// tests need), Go from go.mod, Node 24, `make test` (which synthesizes cdk.out once and
// tests it), and the Go and npm caches in an S3 cache on the artifact bucket.
func TestPipelineSynthStep(t *testing.T) {
	s := shippedApp(t)
	noPanic(t, func() {
		_, stages := pipelineActions(t, s)
		require.Len(t, stages["Build"], 1)
		p := projectOf(t, s, stages["Build"][0])
		env := p["Environment"].(map[string]any)
		assert.Equal(t, "aws/codebuild/amazonlinux-x86_64-standard:5.0", env["Image"])
		goVersion, err := repo.GoVersion(repoRoot(t))
		require.NoError(t, err)
		spec := parseBuildSpec(t, p)
		require.NotNil(t, spec.Cache, "no build cache")
		assert.Equal(t, map[string]string{"golang": goVersion, "nodejs": stacks.NodeMajor}, spec.Phases["install"].RuntimeVersions)
		assert.Equal(t, []string{"make test"}, spec.Phases["build"].Commands, "make test writes cdk.out, the step's output, and tests it: no second synth")
		assert.Equal(t, "cdk.out", spec.Artifacts.BaseDirectory)
		vars := map[string]string{}
		for _, v := range env["EnvironmentVariables"].([]any) {
			m := v.(map[string]any)
			vars[m["Name"].(string)] = m["Value"].(string)
		}
		for _, name := range []string{"GOMODCACHE", "GOCACHE", "npm_config_cache"} {
			assert.True(t, slices.Contains(spec.Cache.Paths, vars[name]+"/**/*"), "%s (%s) is not a cache path: %v", name, vars[name], spec.Cache.Paths)
		}
		cache := p["Cache"].(map[string]any)
		assert.Equal(t, "S3", cache["Type"])
		assert.Contains(t, fmt.Sprint(cache["Location"]), "build-cache/synth")
	})
}

// Approvals exactly where configured: a permissions-broadening check, then a manual
// approval, both before the first stack of the stage; no approval anywhere else.
func TestPipelineApprovals(t *testing.T) {
	s := shippedApp(t)
	require.True(t, slices.ContainsFunc(s.Config.Environments, func(e config.Environment) bool { return e.RequireApproval }),
		"the shipped config should require approval somewhere")
	noPanic(t, func() {
		_, stages := pipelineActions(t, s)
		for name, actions := range stages {
			e, isEnv := s.Config.Environment(name)
			var manual []action
			firstDeploy := 1 << 30
			var check *action
			for i, a := range actions {
				if a.Category == "Approval" {
					manual = append(manual, a)
				}
				if a.Provider == "CloudFormation" {
					firstDeploy = min(firstDeploy, a.RunOrder)
				}
				if strings.HasPrefix(a.Name, "CheckPermissions.Check") {
					check = &actions[i]
				}
			}
			if !isEnv || !e.RequireApproval {
				assert.Empty(t, manual, "stage %s has approvals but does not require them", name)
				assert.Nil(t, check, "stage %s has a permissions check but does not require approval", name)
				continue
			}
			require.NotNil(t, check, "stage %s: no permissions-broadening check", name)
			cli, err := repo.CDKCLIVersion(repoRoot(t))
			require.NoError(t, err)
			spec, _ := json.Marshal(projectOf(t, s, *check)["Source"])
			assert.Contains(t, string(spec), "npm install -g aws-cdk@"+cli, "the check must run the pinned CLI")
			var approve *action
			for i, a := range manual {
				if a.Name == "Approve" {
					approve = &manual[i]
				}
			}
			require.NotNil(t, approve, "stage %s: no manual approval", name)
			assert.Less(t, check.RunOrder, approve.RunOrder, "stage %s: check, then approve", name)
			gate := slices.IndexFunc(actions, func(a action) bool { return a.Name == stacks.CompatGateStepName })
			require.GreaterOrEqual(t, gate, 0, "stage %s: no compatibility gate", name)
			assert.Less(t, actions[gate].RunOrder, approve.RunOrder, "stage %s: nobody is asked to approve what the compatibility gate fails", name)
			for _, a := range manual {
				assert.Less(t, a.RunOrder, firstDeploy, "stage %s: %s must come before any deployment", name, a.Name)
			}
		}
	})
}

// Every environment stage ends with a smoke test, after every deploy and before only the
// drift check, that reads the site and API URLs from the stage's own Frontend and Backend
// outputs and fails unless the site's API answers 200 and the API's own endpoint 200, or
// 403 where WAF refuses callers that bypass CloudFront.
func TestPipelineSmokeTests(t *testing.T) {
	s := shippedApp(t)
	noPanic(t, func() {
		_, stages := pipelineActions(t, s)
		for _, e := range s.Config.Environments {
			actions := stages[e.Name]
			require.NotEmpty(t, actions, e.Name)
			i := slices.IndexFunc(actions, func(a action) bool { return a.Name == "SmokeTest" })
			require.GreaterOrEqual(t, i, 0, "%s: no smoke test", e.Name)
			last := actions[i]
			for _, a := range actions {
				switch a.Name {
				case "SmokeTest":
				case stacks.DriftCheckStepName:
					assert.Greater(t, a.RunOrder, last.RunOrder, "%s: the drift check runs after the smoke test", e.Name)
				default:
					assert.Less(t, a.RunOrder, last.RunOrder, "%s: %s runs with or after the smoke test", e.Name, a.Name)
				}
			}
			vars := map[string]string{}
			var list []map[string]string
			require.NoError(t, json.Unmarshal([]byte(last.Config["EnvironmentVariables"].(string)), &list))
			for _, v := range list {
				vars[v["name"]] = v["value"]
			}
			namespace := func(stackName string) string {
				for _, a := range actions {
					if a.Config["StackName"] == stackName && a.Raw["Namespace"] != nil {
						return a.Raw["Namespace"].(string)
					}
				}
				return "<none>"
			}
			prefix := s.Config.AppName + "-" + e.Name
			assert.Equal(t, "#{"+namespace(prefix+"-frontend")+".SiteUrl}", vars["SITE_URL"], e.Name)
			assert.Equal(t, "#{"+namespace(prefix+"-backend")+".ApiUrl}", vars["API_URL"], e.Name)
			spec := buildSpecOf(t, projectOf(t, s, last))
			assert.Contains(t, spec, `${SITE_URL%/}/api/health 200`)
			// Where WAF is on, the API's own endpoint must refuse (403) what did not come
			// through CloudFront.
			direct := map[bool]string{false: "200", true: "403"}[e.WAF]
			assert.Contains(t, spec, `${API_URL%/}/health `+direct, e.Name)
			assert.Contains(t, spec, `!= \"$want\"`)
			assert.Contains(t, spec, "exit 1")
		}
	})
}

// No build runs privileged (no Docker-in-Docker), in either configuration.
func TestPipelineNoPrivilegedBuilds(t *testing.T) {
	for name, s := range map[string]*synthesized{"shipped": shippedApp(t), "connection": connectionApp(t)} {
		t.Run(name, func(t *testing.T) {
			noPanic(t, func() {
				projects := resources(s.Pipeline, "AWS::CodeBuild::Project")
				require.NotEmpty(t, projects)
				for id, p := range projects {
					env := p["Properties"].(map[string]any)["Environment"].(map[string]any)
					assert.Equal(t, false, env["PrivilegedMode"], id)
				}
			})
		})
	}
}

// Assets are published one after another by one project per asset type, not one project
// per asset in parallel.
func TestPipelineSerialAssetPublishing(t *testing.T) {
	s := shippedApp(t)
	noPanic(t, func() {
		_, stages := pipelineActions(t, s)
		assets := stages["Assets"]
		require.NotEmpty(t, assets)
		kinds := map[string]int{}
		for _, a := range assets {
			kinds[strings.TrimRight(a.Name, "0123456789")]++
		}
		for kind, n := range kinds {
			assert.Equal(t, 1, n, "%d %s actions: assets are published in parallel", n, kind)
		}
	})
}

// Artifacts are encrypted with a rotating customer-managed key (environments live in
// other accounts), in a private, TLS-only, retained bucket that expires them.
func TestPipelineArtifactsEncrypted(t *testing.T) {
	s := shippedApp(t)
	require.True(t, stacks.CrossAccount(s.Config), "the shipped config deploys to other accounts")
	noPanic(t, func() {
		store := artifactStore(t, pipelineOf(t, s), s.Config.Pipeline.Region)
		key := store["EncryptionKey"].(map[string]any)
		assert.Equal(t, "KMS", key["Type"])
		keyID := key["Id"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		k := resources(s.Pipeline, "AWS::KMS::Key")[keyID]
		require.NotNil(t, k, "artifact key %s", keyID)
		assert.Equal(t, true, k["Properties"].(map[string]any)["EnableKeyRotation"])
		assert.Equal(t, "Retain", k["DeletionPolicy"])

		bucketID := store["Location"].(map[string]any)["Ref"].(string)
		b := resources(s.Pipeline, "AWS::S3::Bucket")[bucketID]
		require.NotNil(t, b, "artifact bucket %s", bucketID)
		assert.Equal(t, "Retain", b["DeletionPolicy"])
		props := b["Properties"].(map[string]any)
		enc := props["BucketEncryption"].(map[string]any)["ServerSideEncryptionConfiguration"].([]any)[0].(map[string]any)
		assert.Equal(t, "aws:kms", enc["ServerSideEncryptionByDefault"].(map[string]any)["SSEAlgorithm"])
		assert.Equal(t, map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
			props["PublicAccessBlockConfiguration"])
		assert.NotNil(t, props["LoggingConfiguration"], "server access logs")
		rules := props["LifecycleConfiguration"].(map[string]any)["Rules"].([]any)
		require.NotEmpty(t, rules)
		assert.Equal(t, float64(30), rules[0].(map[string]any)["ExpirationInDays"])

		tlsOnly := false
		for _, p := range resources(s.Pipeline, "AWS::S3::BucketPolicy") {
			props := p["Properties"].(map[string]any)
			if fmt.Sprint(props["Bucket"]) != fmt.Sprint(map[string]any{"Ref": bucketID}) {
				continue
			}
			doc, _ := json.Marshal(props["PolicyDocument"])
			tlsOnly = strings.Contains(string(doc), `"aws:SecureTransport":"false"`) && strings.Contains(string(doc), `"Effect":"Deny"`)
		}
		assert.True(t, tlsOnly, "the artifact bucket must deny requests without TLS")
	})
}

// artifactStore is the pipeline's artifact store in a region: its only one, or, once a
// stage deploys to another region (an Edge stack in us-east-1), the one of that region
// among CodePipeline's per-region stores.
func artifactStore(t *testing.T, pipeline map[string]any, region string) map[string]any {
	t.Helper()
	if store, ok := pipeline["ArtifactStore"].(map[string]any); ok {
		return store
	}
	stores, _ := pipeline["ArtifactStores"].([]any)
	for _, st := range stores {
		m := st.(map[string]any)
		if m["Region"] == region {
			return m["ArtifactStore"].(map[string]any)
		}
	}
	t.Fatalf("no artifact store in %s among %v", region, stores)
	return nil
}

// CrossAccount decides whether artifacts need a customer-managed key.
func TestPipelineCrossAccountKeys(t *testing.T) {
	c := &config.Config{Pipeline: config.Pipeline{Account: "333333333333"},
		Environments: []config.Environment{{Name: "dev", Account: "333333333333"}}}
	assert.False(t, stacks.CrossAccount(c), "all in the pipeline account")
	c.Environments = append(c.Environments, config.Environment{Name: "prod", Account: "222222222222"})
	assert.True(t, stacks.CrossAccount(c), "prod elsewhere")
}

// The pipeline's stages deploy exactly the stacks that the tests check and that
// `cdk synth` writes for each environment: same stack names, same accounts and regions,
// and the template files that the deploy actions read are the stages' templates.
func TestPipelineDeploysSameTemplates(t *testing.T) {
	s := shippedApp(t)
	read, err := cfn.Read(s.Assembly)
	require.NoError(t, err)
	noPanic(t, func() {
		_, stages := pipelineActions(t, s)
		for _, e := range s.Config.Environments {
			want := map[string]string{} // stack name -> template file in the assembly
			for _, st := range read.StageStacks(e.Name) {
				if st.Parent != nil {
					continue // a nested stack deploys through its parent
				}
				rel, err := filepath.Rel(s.Assembly, st.TemplateFile)
				require.NoError(t, err)
				want[st.Name] = filepath.ToSlash(rel)
			}
			stacks := stage{Env: e, s: s}.stacks()
			require.Len(t, want, len(stacks), e.Name)
			regions := map[string]string{} // stack name -> region
			for _, stack := range stacks {
				regions[stack.Name] = stack.Region
			}
			got := map[string]string{}
			for _, a := range stages[e.Name] {
				if a.Provider != "CloudFormation" || a.Config["ActionMode"] != "CHANGE_SET_REPLACE" {
					continue
				}
				path, _ := a.Config["TemplatePath"].(string)
				_, file, ok := strings.Cut(path, "::")
				require.True(t, ok, "template path %q", path)
				got[a.Config["StackName"].(string)] = file
				role, _ := json.Marshal(a.Config["RoleArn"])
				assert.Contains(t, string(role), ":iam::"+e.Account+":role/cdk-", "%s deploys with the bootstrap role of %s", a.Name, e.Account)
				region := s.Config.Pipeline.Region // an action without Region runs in the pipeline's
				if r, ok := a.Raw["Region"].(string); ok {
					region = r
				}
				assert.Equal(t, regions[a.Config["StackName"].(string)], region, a.Name)
			}
			assert.Equal(t, want, got, "stage %s", e.Name)
			for path, tpl := range s.Templates {
				if !strings.HasPrefix(path, e.Name+"/") {
					continue
				}
				file := filepath.Join(s.Assembly, got[s.stack(t, path).Name])
				i := slices.IndexFunc(read.Stacks, func(x *cfn.Stack) bool { return x.TemplateFile == file })
				require.GreaterOrEqual(t, i, 0, "%s: the pipeline deploys %s, which is no stack's template in the assembly", path, file)
				deployed, err := read.Stacks[i].JSON()
				require.NoError(t, err)
				assert.Equal(t, templateJSON(tpl), deployed, "%s: the pipeline deploys a different template", path)
			}
		}
	})
}

// No unsuppressed cdk-nag finding on the pipeline stack, in either configuration, and
// AwsSolutions really ran on it.
func TestPipelineNagClean(t *testing.T) {
	for name, s := range map[string]*synthesized{"shipped": shippedApp(t), "connection": connectionApp(t)} {
		t.Run(name, func(t *testing.T) {
			read, err := cfn.Read(s.Assembly)
			require.NoError(t, err)
			findings := read.Findings()
			assert.Empty(t, findings, fmt.Sprint(findings))
			// cdk-nag names reports <pack>-<stage>-<stack>; the pipeline stack has no stage.
			stackName := stacks.PipelineStackName(s.Config.AppName)
			b, err := os.ReadFile(filepath.Join(s.Assembly, "AwsSolutions--"+stackName+"-NagReport.csv"))
			require.NoError(t, err, "cdk-nag did not run on the pipeline stack")
			assert.Contains(t, string(b), `"Compliant"`)
			assert.Contains(t, string(b), `"Suppressed"`)
		})
	}
}

// Each suppression on the pipeline stack names its rule, a reason, and appliesTo for the
// rules that support it (IAM4, IAM5).
func TestPipelineSuppressionsAreNarrow(t *testing.T) {
	s := shippedApp(t)
	noPanic(t, func() {
		count := 0
		for id, r := range templateJSON(s.Pipeline)["Resources"].(map[string]any) {
			meta, _ := r.(map[string]any)["Metadata"].(map[string]any)
			nag, _ := meta["cdk_nag"].(map[string]any)
			rules, _ := nag["rules_to_suppress"].([]any)
			for _, x := range rules {
				rule := x.(map[string]any)
				count++
				ruleID, _ := rule["id"].(string)
				reason, _ := rule["reason"].(string)
				assert.NotEmpty(t, ruleID, id)
				assert.GreaterOrEqual(t, len(reason), 40, "%s %s: give a reason a reviewer can accept", id, ruleID)
				if ruleID == "AwsSolutions-IAM5" || ruleID == "AwsSolutions-IAM4" {
					applies, _ := rule["applies_to"].([]any)
					assert.NotEmpty(t, applies, "%s %s: narrow the suppression with appliesTo", id, ruleID)
				}
			}
		}
		assert.Positive(t, count)
	})
}

// pipelineVolatile are strings of the pipeline template that change without an
// infrastructure change: the hashes of buildspecs and project configurations.
var pipelineVolatile = regexp.MustCompile(`\b[0-9a-f]{40,64}\b`)

// A golden snapshot of the pipeline stack, one per configuration
// (test/testdata/pipeline/<name>.json, refreshed with `go test ./test -update`).
func TestPipelineSnapshot(t *testing.T) {
	for name, s := range map[string]*synthesized{"shipped": shippedApp(t), "connection": connectionApp(t)} {
		t.Run(name, func(t *testing.T) {
			noPanic(t, func() {
				got := pipelineVolatile.ReplaceAll(normalize(templateJSON(s.Pipeline)), []byte("<hash>"))
				checkGolden(t, "pipeline/"+name, got)
			})
		})
	}
}

// The smoke test's command, run by a real shell and curl against two local servers
// standing in for the site and the API's own endpoint: it passes exactly when the site
// answers 200 and the API 200 (no WAF) or 403 (WAF refuses a caller that bypassed
// CloudFront), and fails otherwise, naming what answered.
func TestSmokeTestCommandsRun(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to run the smoke test's command: %v", tool, err)
		}
	}
	server := func(status int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) }))
		t.Cleanup(srv.Close)
		return srv.URL + "/"
	}
	for _, c := range []struct {
		originChecked bool
		site, api     int
		pass          bool
	}{
		{false, 200, 200, true},
		{false, 200, 403, false},
		{true, 200, 403, true},
		{true, 200, 200, false}, // the API answers callers that bypass CloudFront
		{true, 404, 403, false},
	} {
		name := fmt.Sprintf("originChecked=%v/site=%d/api=%d", c.originChecked, c.site, c.api)
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command("bash", "-c", strings.Join(stacks.SmokeTestCommands(c.originChecked), "\n"))
			cmd.Env = append(os.Environ(), "SITE_URL="+server(c.site), "API_URL="+server(c.api))
			out, err := cmd.CombinedOutput()
			if c.pass {
				assert.NoError(t, err, "%s", out)
			} else {
				assert.Error(t, err, "%s", out)
				assert.Contains(t, string(out), "smoke test failed")
			}
		})
	}
}

// cacheExempt are the CodeBuild projects that run Go or npm without a build cache, each
// with the reason.
var cacheExempt = map[string]string{
	"DriftCheck": "an S3 cache's grant would let the step write the pipeline's artifacts; it compiles only the AWS SDK (seconds)",
	"SelfMutation": "CDK Pipelines' own project: it installs the pinned CLI with npm and deploys the pipeline; " +
		"its role is the pipeline's deployer, to which we add no artifact-bucket write",
}

// Every pipeline step that compiles Go or installs npm packages keeps Go's module and
// build caches and npm's cache between runs in an S3 cache (the variables that point the
// tools at them, and the buildspec's cache paths), unless it is exempt for a reason.
func TestPipelineStepsCacheWhatTheyBuild(t *testing.T) {
	for name, s := range map[string]*synthesized{"shipped": shippedApp(t), "connection": connectionApp(t)} {
		t.Run(name, func(t *testing.T) {
			noPanic(t, func() {
				checked, exempted := 0, map[string]bool{}
				for id, p := range resources(s.Pipeline, "AWS::CodeBuild::Project") {
					props := p["Properties"].(map[string]any)
					raw, _ := props["Source"].(map[string]any)["BuildSpec"].(string)
					var spec buildSpec
					all := raw // a buildspec CDK Pipelines writes otherwise is read as text
					if json.Unmarshal([]byte(raw), &spec) == nil {
						var commands []string
						for _, ph := range spec.Phases {
							commands = append(commands, ph.Commands...)
						}
						all = strings.Join(commands, "\n")
					}
					goBuild := regexp.MustCompile(`(^|\n|&& |; )(go (run|build|test)|make) `).MatchString(all)
					npm := regexp.MustCompile(`(^|\n|&& |; )(npm |make )`).MatchString(all)
					if !goBuild && !npm {
						continue
					}
					if part, reason := exemptFromCache(id); reason != "" {
						t.Logf("%s: no cache: %s", id, reason)
						exempted[part] = true
						continue
					}
					checked++
					assert.Equal(t, "S3", props["Cache"].(map[string]any)["Type"], "%s: an S3 cache", id)
					require.NotNil(t, spec.Cache, "%s: the buildspec names no cache paths", id)
					vars := map[string]string{}
					for _, v := range props["Environment"].(map[string]any)["EnvironmentVariables"].([]any) {
						m := v.(map[string]any)
						vars[m["Name"].(string)] = fmt.Sprint(m["Value"])
					}
					want := []string{}
					if goBuild {
						want = append(want, "GOMODCACHE", "GOCACHE")
					}
					if npm {
						want = append(want, "npm_config_cache")
					}
					for _, v := range want {
						require.NotEmpty(t, vars[v], "%s: %s points the tool at its cache", id, v)
						assert.Contains(t, spec.Cache.Paths, vars[v]+"/**/*", "%s: the cache keeps %s", id, v)
					}
				}
				assert.GreaterOrEqual(t, checked, 4, "the synth, artifact-test, compatibility-gate and policy-check steps at least")
				for part := range cacheExempt {
					assert.True(t, exempted[part], "stale exemption %s: no such step builds anything", part)
				}
			})
		})
	}
}

// exemptFromCache is the exemption a project may run without a cache under, and its
// reason; "" when it may not.
func exemptFromCache(logicalID string) (part, reason string) {
	for part, reason := range cacheExempt {
		if strings.Contains(logicalID, part) {
			return part, reason
		}
	}
	return "", ""
}
