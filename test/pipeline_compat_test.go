package test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodecommit"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/stacks"
)

// compatPipeline is a small cross-account pipeline whose one stage "dev" (account
// 111111111111, eu-west-1) runs the compatibility gate before its stack deploys.
func compatPipeline(t *testing.T, accept []string) *synthesized {
	t.Helper()
	outdir, err := os.MkdirTemp("", "cdk-compat-*")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(outdir) })
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	pstack := awscdk.NewStack(app, jsii.String("Pipe"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("333333333333"), Region: jsii.String("eu-west-1")},
	})
	repo := awscodecommit.Repository_FromRepositoryName(pstack, jsii.String("Repo"), jsii.String("notes"))
	source := pipelines.CodePipelineSource_CodeCommit(repo, jsii.String("main"), nil)
	synth := pipelines.NewCodeBuildStep(jsii.String("Synth"), &pipelines.CodeBuildStepProps{
		Input: source, Commands: jsii.Strings("true"), PrimaryOutputDirectory: jsii.String("cdk.out"),
	})
	pipeline := pipelines.NewCodePipeline(pstack, jsii.String("Pipeline"), &pipelines.CodePipelineProps{
		Synth: synth, CrossAccountKeys: jsii.Bool(true), SelfMutation: jsii.Bool(false),
	})
	stage := awscdk.NewStage(app, jsii.String("dev"), &awscdk.StageProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
	})
	awssns.NewTopic(awscdk.NewStack(stage, jsii.String("Backend"), nil), jsii.String("Topic"), nil)
	cacheBucket := awss3.NewBucket(pstack, jsii.String("Cache"), nil)
	gate := stacks.CompatGateStep(&stacks.CompatGateProps{
		Stage: stage, Source: source, Assembly: synth, Accept: accept, GoVersion: "1.26", PipelineName: "notes-pipeline",
		Cache: awscodebuild.Cache_Bucket(cacheBucket, &awscodebuild.BucketCacheOptions{Prefix: jsii.String("build-cache/compat")}),
	})
	pipeline.AddStage(stage, &pipelines.AddStageOpts{Pre: &[]pipelines.Step{gate}})
	pipeline.BuildPipeline()
	return &synthesized{Pipeline: assertions.Template_FromStack(pstack, nil)}
}

func TestCompatGateStep(t *testing.T) {
	noPanic(t, func() {
		accept := []string{"Backend/NotesRead:env:CURSOR_SECRET_ARN", "Backend/Health:*"}
		s := compatPipeline(t, accept)
		_, byStage := pipelineActions(t, s)
		var gate *action
		deployOrder := 0
		for _, a := range byStage["dev"] {
			switch {
			case a.Name == stacks.CompatGateStepName:
				gate = &a
			case strings.HasSuffix(a.Name, ".Prepare"):
				deployOrder = a.RunOrder
			}
		}
		require.NotNil(t, gate, "no %s action in stage dev: %v", stacks.CompatGateStepName, byStage["dev"])
		require.NotZero(t, deployOrder, "no change set action in stage dev")
		assert.Less(t, gate.RunOrder, deployOrder, "the gate runs before the stage's stacks change")

		p := projectOf(t, s, *gate)
		spec := parseBuildSpec(t, p)
		require.NotNil(t, spec.Cache, "no build cache")
		want := "go run ./cmd/compatgate --assembly cdk.out --stage 'dev' --qualifier 'hnb659fds'" +
			" --accept 'Backend/NotesRead:env:CURSOR_SECRET_ARN' --accept 'Backend/Health:*'"
		assert.Equal(t, want, stacks.CompatGateCommand("dev", "hnb659fds", accept))
		// A stage rollback (CodePipeline executionType ROLLBACK) deploys an older release: the
		// step asks its pipeline and tells the gate, which then accepts every contraction.
		assert.Equal(t, []string{
			`EXECUTION_TYPE=$(aws codepipeline get-pipeline-execution --pipeline-name 'notes-pipeline' --pipeline-execution-id "$PIPELINE_EXECUTION_ID" --query pipelineExecution.executionType --output text)`,
			want + ` --execution-type "$EXECUTION_TYPE"`,
		}, spec.Phases["build"].Commands)
		var actionEnv []map[string]any
		require.NoError(t, json.Unmarshal([]byte(gate.Config["EnvironmentVariables"].(string)), &actionEnv))
		assert.Contains(t, actionEnv, map[string]any{"name": "PIPELINE_EXECUTION_ID", "type": "PLAINTEXT", "value": "#{codepipeline.PipelineExecutionId}"},
			"the execution id is a pipeline variable of the action")
		assert.Equal(t, "1.26", spec.Phases["install"].RuntimeVersions["golang"])
		assert.Equal(t, stacks.NodeMajor, spec.Phases["install"].RuntimeVersions["nodejs"], "importing the app starts the jsii runtime")
		// The cloud assembly is the synth step's output, placed at cdk.out beside the source.
		install := strings.Join(spec.Phases["install"].Commands, "\n")
		assert.Regexp(t, `ln -s -- "\$CODEBUILD_SRC_DIR_\w+" "cdk.out"`, install)
		assert.Contains(t, spec.Cache.Paths, "/root/.cache/go-build/**/*")

		env := p["Environment"].(map[string]any)
		assert.Equal(t, "aws/codebuild/amazonlinux-x86_64-standard:5.0", env["Image"])
		assert.Equal(t, false, env["PrivilegedMode"])
		cache := p["Cache"].(map[string]any)
		assert.Contains(t, fmt.Sprint(cache["Location"]), "build-cache/compat")

		// The project's role may assume the target account's lookup role, and no other role.
		role := p["ServiceRole"].(map[string]any)["Fn::GetAtt"].([]any)[0]
		var assumes, reads []string
		for _, pol := range resources(s.Pipeline, "AWS::IAM::Policy") {
			props := pol["Properties"].(map[string]any)
			if toJSON(props["Roles"]) != toJSON([]any{map[string]any{"Ref": role}}) {
				continue
			}
			for _, st := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				st := st.(map[string]any)
				if strings.Contains(toJSON(st["Action"]), "sts:AssumeRole") {
					assumes = append(assumes, toJSON(st["Resource"]))
				}
				if strings.Contains(toJSON(st["Action"]), "codepipeline:") {
					reads = append(reads, toJSON(st["Action"])+" "+toJSON(st["Resource"]))
				}
			}
		}
		assert.Equal(t, []string{`{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::111111111111:role/cdk-hnb659fds-lookup-role-111111111111-eu-west-1"]]}`}, assumes)
		assert.Equal(t, []string{`"codepipeline:GetPipelineExecution" {"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":codepipeline:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":notes-pipeline"]]}`}, reads,
			"the step reads its own pipeline's executions (the role lives in the pipeline's stack, account and region) and nothing else of CodePipeline")
	})
}

func TestCompatGateStepValidate(t *testing.T) {
	defer func() {
		r := recover()
		require.NotNil(t, r)
		msg := fmt.Sprint(r)
		assert.Contains(t, msg, `GoVersion "1.26.1": allowed is major.minor`)
		assert.Contains(t, msg, `accepted contraction "NotesRead": allowed is <function>:<kind>:<item>`)
		assert.Contains(t, msg, "Source and Assembly are required")
		assert.Contains(t, msg, `PipelineName "notes pipeline": allowed is 1-100 of`)
	}()
	stage := awscdk.NewStage(awscdk.NewApp(nil), jsii.String("dev"), nil)
	stacks.CompatGateStep(&stacks.CompatGateProps{Stage: stage, GoVersion: "1.26.1", Accept: []string{"NotesRead"}, PipelineName: "notes pipeline"})
}
