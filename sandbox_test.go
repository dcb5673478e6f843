package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/cdkapp"
	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/repo"
)

// synthWith runs what `cdk synth` runs (synth, its gate included) on cdk.json's context
// plus extra keys, offline, and with CDK_DEFAULT_ACCOUNT and CDK_DEFAULT_REGION as the CDK
// CLI would set them from credentials. It returns the exit code, stderr and the assembly.
// The functions are not bundled: a sandbox deploys the bundles make synth builds and
// measures, and what these tests check is which stacks a sandbox gets.
func synthWith(t *testing.T, extra map[string]any, env map[string]string) (code int, stderr, assembly string) {
	t.Helper()
	root, err := repo.Root()
	require.NoError(t, err)
	ctx, err := repo.CDKContext(root)
	require.NoError(t, err)
	// Context reaches the app as the CLI passes it, JSON: an object given to jsii as a Go
	// map would come back wrapped ({"$jsii.map": ...}). config.Load reads either form.
	cfg, err := json.Marshal(ctx["config"])
	require.NoError(t, err)
	ctx["config"] = string(cfg)
	out := t.TempDir()
	var errOut bytes.Buffer
	code = synth(cdkapp.Options{Root: root, Context: ctx, Extra: extra, Outdir: out, SkipBundling: true,
		Getenv: func(k string) string { return env[k] }}, &errOut)
	return code, errOut.String(), out
}

// A sandbox synthesizes one stage named for the person, its four stacks in the given
// account and region, and nothing else: no pipeline, no configured environment. It is a
// throw-away development environment: everything is deleted with its stacks, no WAF, no
// audit trail of its own, optional MFA, CodeDeploy moves traffic all at once.
func TestSandboxSynth(t *testing.T) {
	if testing.Short() {
		t.Skip("full tier (make test): synthesizes a whole sandbox stage with its functions bundled")
	}
	code, stderr, asm := synthWith(t, map[string]any{"sandbox": "alice", "sandboxAccount": "444444444444", "sandboxRegion": "eu-central-1"}, nil)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "synthesized sandbox alice (account 444444444444, eu-central-1): 4 stacks, no pipeline")

	read, err := cfn.Read(asm)
	require.NoError(t, err)
	require.Equal(t, []string{"alice"}, read.Stages, "only the sandbox's stage")
	templates := map[string]*cfn.Template{}
	for _, st := range read.Stacks {
		assert.NotEmpty(t, st.Stage, "%s: a sandbox synth has no stack outside its stage (the pipeline)", st.ID)
		if st.Parent != nil {
			continue
		}
		assert.Equal(t, "444444444444/eu-central-1", st.Account+"/"+st.Region, st.Name)
		assert.False(t, st.TerminationProtection, st.Name)
		templates[st.Name] = st.Template
	}
	assert.Equal(t, []string{"notes-alice-backend", "notes-alice-base", "notes-alice-data", "notes-alice-frontend"}, slices.Sorted(maps.Keys(templates)))

	byType := map[string][]cfn.Resource{}
	for name, tpl := range templates {
		for id, res := range tpl.Resources {
			byType[res.Type] = append(byType[res.Type], res)
			if res.Type == "AWS::ApiGateway::Account" {
				continue // the region's API Gateway logging setting: no data, kept by design (constructs/apigwaccount)
			}
			for policy, p := range map[string]string{"DeletionPolicy": res.DeletionPolicy, "UpdateReplacePolicy": res.UpdateReplacePolicy} {
				if p != "" {
					assert.Equal(t, "Delete", p, "%s %s %s: a sandbox keeps nothing when it is destroyed", name, id, policy)
				}
			}
		}
	}
	for _, typ := range []string{"AWS::DynamoDB::Table", "AWS::Cognito::UserPool", "AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Logs::LogGroup"} {
		require.NotEmpty(t, byType[typ], typ)
		for _, r := range byType[typ] {
			assert.Equal(t, "Delete", r.DeletionPolicy, "%s is deleted with the sandbox", typ)
		}
	}
	for _, typ := range []string{"AWS::WAFv2::WebACL", "AWS::WAFv2::WebACLAssociation", "AWS::CloudTrail::Trail"} {
		assert.Empty(t, byType[typ], "a sandbox has no %s", typ)
	}
	table := byType["AWS::DynamoDB::Table"][0].Properties
	assert.Equal(t, false, table["DeletionProtectionEnabled"])
	pool := byType["AWS::Cognito::UserPool"][0].Properties
	assert.Equal(t, "INACTIVE", pool["DeletionProtection"])
	assert.Equal(t, "OPTIONAL", pool["MfaConfiguration"])
	groups := byType["AWS::CodeDeploy::DeploymentGroup"]
	require.NotEmpty(t, groups)
	for _, g := range groups {
		assert.Equal(t, "CodeDeployDefault.LambdaAllAtOnce", g.Properties["DeploymentConfigName"])
	}
	assert.Subset(t, table["Tags"], []any{
		map[string]any{"Key": "environment", "Value": "alice"},
		map[string]any{"Key": "sandbox", "Value": "true"},
	}, "the person's resources are tagged as a sandbox")
}

// The same app without the sandbox keys is the configured environments and the pipeline
// (with CDK Pipelines' support stack in each other region a stage deploys to: us-east-1,
// for prod's Edge stack), and no sandbox, whatever account and region the credentials
// name. Building the constructs shows it; the shipped synth itself is make synth's.
func TestNoSandboxSynth(t *testing.T) {
	env := map[string]string{"CDK_DEFAULT_ACCOUNT": "444444444444", "CDK_DEFAULT_REGION": "eu-central-1"}
	app, err := cdkapp.Build(cdkapp.Options{Getenv: func(k string) string { return env[k] }})
	require.NoError(t, err)
	defer app.Cleanup()
	assert.Nil(t, app.Sandbox)
	var stages []string
	for _, st := range app.Stages {
		stages = append(stages, st.Env.Name)
	}
	var want []string
	for _, e := range configured(t).Environments {
		want = append(want, e.Name)
	}
	assert.Equal(t, want, stages, "one stage per configured environment, in config order")
	require.NotNil(t, app.Pipeline, "the pipeline stack")
	var top []string
	for _, c := range *app.CDK.Node().Children() {
		if *awscdk.Stack_IsStack(c) {
			top = append(top, *awscdk.Stack_Of(c).StackName())
		}
	}
	slices.Sort(top)
	assert.Equal(t, []string{"notes-pipeline", "notes-pipeline-support-us-east-1"}, top, "the pipeline stack and its support stack")
}

// A sandbox may not take a configured environment's name or its account and region, and
// may not be named like the pipeline; synth stops with the key, the value and what is
// allowed, before anything is built.
func TestSandboxRejected(t *testing.T) {
	prod := configuredIndex(t, "prod")
	for _, c := range []struct {
		name  string
		extra map[string]any
		env   map[string]string
		want  string
	}{
		{"configured name", map[string]any{"sandbox": "dev", "sandboxAccount": "444444444444", "sandboxRegion": "eu-west-1"}, nil,
			`sandbox: value "dev": allowed is a name that no configured environment uses (config.environments[0] is "dev"`},
		{"configured account and region", map[string]any{"sandbox": "alice", "sandboxAccount": "222222222222", "sandboxRegion": "eu-west-1"}, nil,
			fmt.Sprintf(`sandboxAccount/sandboxRegion: value "222222222222/eu-west-1": allowed is an account and region pair that no configured environment deploys to (config.environments[%d] "prod" does`, prod)},
		{"configured pair from the credentials", map[string]any{"sandbox": "alice"}, map[string]string{"CDK_DEFAULT_ACCOUNT": "111111111111", "CDK_DEFAULT_REGION": "eu-west-1"},
			`sandboxAccount/sandboxRegion: value "111111111111/eu-west-1"`},
		{"unsafe name", map[string]any{"sandbox": "alice/../prod", "sandboxAccount": "444444444444", "sandboxRegion": "eu-west-1"}, nil,
			`sandbox: value "alice/../prod": allowed is 2-10 characters: a lower-case letter, then lower-case letters or digits`},
		{"pipeline", map[string]any{"sandbox": "pipeline", "sandboxAccount": "444444444444", "sandboxRegion": "eu-west-1"}, nil,
			`sandbox: value "pipeline": allowed is a name other than`},
		{"no account anywhere", map[string]any{"sandbox": "alice"}, nil,
			"sandboxAccount: missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stderr, asm := synthWith(t, c.extra, c.env)
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr, "invalid configuration")
			assert.Contains(t, stderr, c.want)
			_, err := os.Stat(filepath.Join(asm, "manifest.json"))
			assert.True(t, os.IsNotExist(err), "nothing is synthesized")
			assert.False(t, strings.Contains(stderr, "synthesized"))
		})
	}
}

// fakeNPX stands in for `npx cdk`: it records its arguments, one per line, and for a
// deploy writes the stage manifest that the CLI would, for the sandbox and account and
// region of its -c arguments (999999999999 and eu-north-1, as from credentials, without).
const fakeNPX = `#!/bin/bash
printf '%s\n' "$@" > "$FAKE_LOG.$(date +%s%N)"
name= account=999999999999 region=eu-north-1 out= deploy=
while [ $# -gt 0 ]; do
  case "$1" in
    --output) out=$2; shift ;;
    -c) case "$2" in sandbox=*) name=${2#sandbox=} ;; sandboxAccount=*) account=${2#sandboxAccount=} ;; sandboxRegion=*) region=${2#sandboxRegion=} ;; esac; shift ;;
    deploy) deploy=1 ;;
  esac
  shift
done
if [ -n "$deploy" ]; then
  mkdir -p "$out/assembly-$name"
  printf '{"artifacts":{"x":{"type":"cdk:asset-manifest"},"b":{"type":"aws:cloudformation:stack","environment":"aws://%s/%s"}}}' "$account" "$region" > "$out/assembly-$name/manifest.json"
fi
`

// makeSandbox runs a sandbox target of the Makefile with the fake CLI and returns its exit
// code, its output and the argument lists the CLI was called with.
func makeSandbox(t *testing.T, dir string, args ...string) (int, string, [][]string) {
	t.Helper()
	bin := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bin, "npx"), []byte(fakeNPX), 0o755))
	logs := filepath.Join(t.TempDir(), "call")
	root, err := repo.Root()
	require.NoError(t, err)
	cmd := exec.Command("make", append([]string{"--no-print-directory", "-C", root, "SANDBOX_DIR=" + dir}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "FAKE_LOG="+logs)
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, string(out))
		code = exit.ExitCode()
	}
	files, _ := filepath.Glob(logs + ".*")
	slices.Sort(files)
	var calls [][]string
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		calls = append(calls, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"))
	}
	return code, string(out), calls
}

// make sandbox deploys only the sandbox's stacks with the CLI and remembers where;
// make sandbox-destroy NAME=... destroys them there.
func TestMakeSandbox(t *testing.T) {
	dir := t.TempDir()
	code, out, calls := makeSandbox(t, dir, "sandbox", "NAME=alice", "ACCOUNT=444444444444", "REGION=eu-central-1")
	require.Equal(t, 0, code, out)
	require.Len(t, calls, 1, out)
	assert.Equal(t, []string{"cdk", "--output", dir + "/alice.cdk.out", "-c", "sandbox=alice", "-c", "sandboxAccount=444444444444", "-c", "sandboxRegion=eu-central-1",
		"deploy", "--require-approval", "never", "alice/*"}, calls[0])
	state, err := os.ReadFile(filepath.Join(dir, "alice"))
	require.NoError(t, err)
	assert.Equal(t, "SANDBOX_ACCOUNT=444444444444\nSANDBOX_REGION=eu-central-1\n", string(state))
	assert.Contains(t, out, "remove it with: make sandbox-destroy NAME=alice")

	code, out, calls = makeSandbox(t, dir, "sandbox-destroy", "NAME=alice")
	require.Equal(t, 0, code, out)
	require.Len(t, calls, 1, out)
	assert.Equal(t, []string{"cdk", "--output", dir + "/alice.cdk.out", "-c", "sandbox=alice", "-c", "sandboxAccount=444444444444", "-c", "sandboxRegion=eu-central-1",
		"destroy", "--force", "alice/*"}, calls[0], "destroyed where it was deployed")
	_, err = os.Stat(filepath.Join(dir, "alice"))
	assert.True(t, os.IsNotExist(err), "forgotten once destroyed")

	// Without ACCOUNT and REGION the CLI resolves them from the credentials; the state
	// records what the deploy used.
	code, out, calls = makeSandbox(t, dir, "sandbox", "NAME=bob")
	require.Equal(t, 0, code, out)
	assert.Equal(t, []string{"cdk", "--output", dir + "/bob.cdk.out", "-c", "sandbox=bob", "deploy", "--require-approval", "never", "bob/*"}, calls[0])
	state, err = os.ReadFile(filepath.Join(dir, "bob"))
	require.NoError(t, err)
	assert.Equal(t, "SANDBOX_ACCOUNT=999999999999\nSANDBOX_REGION=eu-north-1\n", string(state))

	// A name is an argument, never shell text: the app rejects it, the shell runs nothing.
	_, out, calls = makeSandbox(t, dir, "sandbox", `NAME=a"; echo INJECTED; "`)
	require.Len(t, calls, 1, out)
	assert.Contains(t, calls[0], `sandbox=a"; echo INJECTED; "`)
	assert.NotContains(t, strings.Split(out, "\n"), "INJECTED")

	code, out, calls = makeSandbox(t, dir, "sandbox")
	assert.Equal(t, 2, code)
	assert.Contains(t, out, "usage: make sandbox NAME=<your name>")
	assert.Empty(t, calls)
}

// configured is the validated configuration of cdk.json.
func configured(t *testing.T) *config.Config {
	t.Helper()
	root, err := repo.Root()
	require.NoError(t, err)
	ctx, err := repo.CDKContext(root)
	require.NoError(t, err)
	cfg, err := config.Load(ctx)
	require.NoError(t, err)
	return cfg
}

// configuredIndex is the position of the named environment in cdk.json's config, so that
// adding an environment before it breaks no expectation.
func configuredIndex(t *testing.T, name string) int {
	t.Helper()
	envs := configured(t).Environments
	i := slices.IndexFunc(envs, func(e config.Environment) bool { return e.Name == name })
	require.GreaterOrEqual(t, i, 0, "cdk.json configures no environment %q", name)
	return i
}
