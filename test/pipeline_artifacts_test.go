package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/stacks"
)

// artifactTestsPipeline is a minimal pipeline with the synth step deferring the artifact
// tests and the ArtifactTests step in a wave after it, as pipeline.go wires them.
func artifactTestsPipeline(t *testing.T) assertions.Template {
	t.Helper()
	outdir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	stack := awscdk.NewStack(app, jsii.String("ArtifactTestsPipeline"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("333333333333"), Region: jsii.String("eu-west-1")},
	})
	source := pipelines.CodePipelineSource_Connection(jsii.String(testConnection.Repository), jsii.String("main"), &pipelines.ConnectionSourceOptions{
		ConnectionArn: jsii.String(testConnection.ConnectionArn), ActionName: jsii.String("Source"),
	})
	deferral := map[string]*awscodebuild.BuildEnvironmentVariable{}
	for k, v := range stacks.ArtifactTestsDeferral() {
		deferral[k] = &awscodebuild.BuildEnvironmentVariable{Value: jsii.String(v)}
	}
	synth := pipelines.NewCodeBuildStep(jsii.String("Synth"), &pipelines.CodeBuildStepProps{
		Input:                  source,
		Commands:               jsii.Strings("make test", "npx cdk synth --quiet"),
		PrimaryOutputDirectory: jsii.String("cdk.out"),
		BuildEnvironment:       &awscodebuild.BuildEnvironment{EnvironmentVariables: &deferral},
	})
	goVersion, err := repo.GoVersion(repoRoot(t))
	require.NoError(t, err)
	step := stacks.NewArtifactTestsStep(&stacks.ArtifactTestsProps{Source: source, Synth: synth, GoVersion: goVersion})
	pipeline := pipelines.NewCodePipeline(stack, jsii.String("Pipeline"), &pipelines.CodePipelineProps{Synth: synth, SelfMutation: jsii.Bool(false)})
	pipeline.AddWave(jsii.String("Verify"), &pipelines.WaveOptions{Pre: &[]pipelines.Step{step}})
	pipeline.BuildPipeline()
	return assertions.Template_FromStack(stack, nil)
}

// TestArtifactTestsStep: the artifact tests run natively on an ARM image (the functions
// are arm64; the x86 synth image has no qemu), unprivileged, with the Go of go.mod, on the
// synth step's cdk.out mounted at ./cdk.out, with the command the Makefile defines; the
// synth step, and only it, defers them to this step.
func TestArtifactTestsStep(t *testing.T) {
	var tpl assertions.Template
	noPanic(t, func() { tpl = artifactTestsPipeline(t) })
	require.NotNil(t, tpl)

	var stepProject, synthProject map[string]any
	var stepSpec string
	for _, p := range resources(tpl, "AWS::CodeBuild::Project") {
		props := p["Properties"].(map[string]any)
		spec, _ := props["Source"].(map[string]any)["BuildSpec"].(string)
		switch {
		case strings.Contains(spec, stacks.ArtifactTestsCommand):
			stepProject, stepSpec = props, spec
		case strings.Contains(spec, "npx cdk synth"):
			synthProject = props
		}
	}
	require.NotNil(t, stepProject, "no CodeBuild project runs %q", stacks.ArtifactTestsCommand)
	require.NotNil(t, synthProject, "no synth project")

	env := stepProject["Environment"].(map[string]any)
	assert.Equal(t, "aws/codebuild/amazonlinux-aarch64-standard:4.0", env["Image"], "the functions are arm64: run them natively")
	assert.Equal(t, "ARM_CONTAINER", env["Type"])
	assert.Equal(t, false, env["PrivilegedMode"])
	vars := map[string]string{}
	for _, v := range env["EnvironmentVariables"].([]any) {
		m := v.(map[string]any)
		vars[m["Name"].(string)] = m["Value"].(string)
	}
	assert.Equal(t, "auto", vars["GOTOOLCHAIN"])
	assert.Equal(t, "-mod=readonly", vars["GOFLAGS"])
	assert.NotContains(t, vars, stacks.ArtifactTestsDeferEnv, "the step that runs the artifact tests must not defer them")

	synthVars := map[string]string{}
	for _, v := range synthProject["Environment"].(map[string]any)["EnvironmentVariables"].([]any) {
		m := v.(map[string]any)
		synthVars[m["Name"].(string)] = m["Value"].(string)
	}
	assert.Contains(t, synthVars[stacks.ArtifactTestsDeferEnv], stacks.ArtifactTestsStepID, "the synth step names the step that runs the artifact tests")

	var spec buildSpec
	require.NoError(t, json.Unmarshal([]byte(stepSpec), &spec), stepSpec)
	goVersion, err := repo.GoVersion(repoRoot(t))
	require.NoError(t, err)
	assert.Equal(t, goVersion, spec.Phases["install"].RuntimeVersions["golang"])
	assert.Equal(t, stacks.NodeMajor, spec.Phases["install"].RuntimeVersions["nodejs"])
	assert.Equal(t, []string{stacks.ArtifactTestsCommand}, spec.Phases["build"].Commands)
	install := strings.Join(spec.Phases["install"].Commands, "\n")
	assert.Regexp(t, regexp.MustCompile(`ln -s -- "\$CODEBUILD_SRC_DIR_Synth_\w+" "cdk.out"`), install, "the synth output must be at ./cdk.out, where the tests read it")

	// The command is a real Makefile target.
	makefile, err := os.ReadFile(filepath.Join(repoRoot(t), "Makefile"))
	require.NoError(t, err)
	target := strings.TrimPrefix(stacks.ArtifactTestsCommand, "make ")
	assert.Regexp(t, regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(target)+`:`), string(makefile))
}

func TestArtifactTestsStepNeedsItsInputs(t *testing.T) {
	defer func() {
		r := recover()
		require.NotNil(t, r, "a step without inputs was accepted")
		assert.Contains(t, r.(error).Error(), "Source, Synth and GoVersion")
	}()
	stacks.NewArtifactTestsStep(&stacks.ArtifactTestsProps{})
}
