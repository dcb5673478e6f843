package stacks

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/internal/config"
)

// CompatGateProps configures the old-version compatibility gate of one stage.
type CompatGateProps struct {
	// Stage is the environment whose stacks are checked; its name is the --stage of the
	// command, its account and region name the lookup role. Required.
	Stage awscdk.Stage
	// Source is the repository checkout the step runs `go run ./cmd/compatgate` in. Required.
	Source pipelines.IFileSetProducer
	// Assembly produces the cloud assembly (the synth step); it is placed at cdk.out.
	// Required.
	Assembly pipelines.IFileSetProducer
	// Accept are the contractions a person accepted for this environment, as the gate
	// prints their ids (config key environments[].acceptContractions). Default: none.
	Accept []string
	// GoVersion is the "major.minor" Go runtime for CodeBuild (GoVersion of go.mod).
	// Required.
	GoVersion string
	// Qualifier is the bootstrap qualifier of the target account. Default: "hnb659fds".
	Qualifier string
	// Cache keeps Go's module and build caches between runs. Default: no cache (the
	// command imports no CDK code; without a cache it downloads its modules each run).
	Cache awscodebuild.Cache
	// PipelineName is the pipeline that runs the step, in the step's own account and
	// region: the step asks it whether the execution is a stage rollback (which deploys an
	// older release and so removes what the running one added) and then accepts every
	// contraction. Default: no rollback detection, a stage rollback can fail the gate.
	PipelineName string
}

// CompatGateStepName is the step's id in the stage (the CodeBuild action is named after it).
const CompatGateStepName = "CompatGate"

var (
	goRuntime    = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
	qualifierPat = regexp.MustCompile(`^[A-Za-z0-9_-]{1,10}$`)
	// pipelineNamePat is what CodePipeline accepts as a pipeline name.
	pipelineNamePat = regexp.MustCompile(`^[A-Za-z0-9.@_-]{1,100}$`)
)

func (p *CompatGateProps) validate() error {
	var errs []error
	if p.Stage == nil {
		return errors.New("compat gate: Stage is required")
	}
	if p.Source == nil || p.Assembly == nil {
		errs = append(errs, errors.New("compat gate: Source and Assembly are required: the step runs the repository's command on the synthesized assembly"))
	}
	if !goRuntime.MatchString(p.GoVersion) {
		errs = append(errs, fmt.Errorf("compat gate: GoVersion %q: allowed is major.minor such as 1.26", p.GoVersion))
	}
	if p.PipelineName != "" && !pipelineNamePat.MatchString(p.PipelineName) {
		errs = append(errs, fmt.Errorf("compat gate: PipelineName %q: allowed is 1-100 of A-Z a-z 0-9 . @ - _ (a CodePipeline name)", p.PipelineName))
	}
	if !qualifierPat.MatchString(p.Qualifier) {
		errs = append(errs, fmt.Errorf("compat gate: Qualifier %q: allowed is 1-10 of A-Z a-z 0-9 _ - (the cdk bootstrap qualifier)", p.Qualifier))
	}
	for _, a := range p.Accept {
		if !config.AcceptPattern.MatchString(a) {
			errs = append(errs, fmt.Errorf("compat gate: accepted contraction %q: allowed is %s", a, config.AcceptAllowed))
		}
	}
	return errors.Join(errs...)
}

// shellQuote quotes one argument for the build's shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// executionTypeCommand asks CodePipeline for the type of the running execution (STANDARD
// or ROLLBACK); a failed call fails the step.
func executionTypeCommand(pipeline string) string {
	return `EXECUTION_TYPE=$(aws codepipeline get-pipeline-execution --pipeline-name ` + shellQuote(pipeline) +
		` --pipeline-execution-id "$PIPELINE_EXECUTION_ID" --query pipelineExecution.executionType --output text)`
}

// CompatGateCommand is the command the step runs for a stage.
func CompatGateCommand(stage string, qualifier string, accept []string) string {
	args := []string{"go", "run", "./cmd/compatgate", "--assembly", "cdk.out", "--stage", shellQuote(stage)}
	if qualifier != "" {
		args = append(args, "--qualifier", shellQuote(qualifier))
	}
	for _, a := range accept {
		args = append(args, "--accept", shellQuote(a))
	}
	return strings.Join(args, " ")
}

// CompatGateStep is the pipeline step that runs, before a stage's stacks deploy, the
// old-version compatibility gate on the stage's new templates against the deployed ones
// (read through the target account's bootstrap lookup role). Add it to the stage's Pre
// steps. It only reads: its role may assume that one lookup role and read its own
// pipeline's executions, beyond what CDK Pipelines gives every CodeBuild step (artifacts,
// logs).
func CompatGateStep(props *CompatGateProps) pipelines.CodeBuildStep {
	p := *props
	p.Qualifier = cmp.Or(p.Qualifier, "hnb659fds")
	if err := p.validate(); err != nil {
		panic(err)
	}
	account, region := *p.Stage.Account(), *p.Stage.Region()
	if *awscdk.Token_IsUnresolved(account) || *awscdk.Token_IsUnresolved(region) {
		panic(fmt.Errorf("compat gate: stage %s needs an explicit account and region to name its lookup role", *p.Stage.StageName()))
	}
	lookupRole := fmt.Sprintf("arn:%s:iam::%s:role/cdk-%s-lookup-role-%s-%s", *awscdk.Aws_PARTITION(), account, p.Qualifier, account, region)
	statements := []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadDeployedTemplates"),
		Actions:   jsii.Strings("sts:AssumeRole"),
		Resources: jsii.Strings(lookupRole),
	})}
	commands := []string{CompatGateCommand(*p.Stage.StageName(), p.Qualifier, p.Accept)}
	var env *map[string]*string
	if p.PipelineName != "" {
		commands = []string{executionTypeCommand(p.PipelineName), commands[0] + ` --execution-type "$EXECUTION_TYPE"`}
		env = &map[string]*string{"PIPELINE_EXECUTION_ID": jsii.String("#{codepipeline.PipelineExecutionId}")}
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:     jsii.String("ReadExecutionType"),
			Actions: jsii.Strings("codepipeline:GetPipelineExecution"),
			Resources: jsii.Strings(fmt.Sprintf("arn:%s:codepipeline:%s:%s:%s",
				*awscdk.Aws_PARTITION(), *awscdk.Aws_REGION(), *awscdk.Aws_ACCOUNT_ID(), p.PipelineName)),
		}))
	}
	// The same image and caches as the synth step; the command imports no CDK code.
	step := goStep{image: synthImage(), compute: awscodebuild.ComputeType_MEDIUM, goVersion: p.GoVersion, node: true,
		caches: []cacheDir{goModCache, goCache}}
	return pipelines.NewCodeBuildStep(jsii.String(CompatGateStepName), &pipelines.CodeBuildStepProps{
		Input:                p.Source,
		AdditionalInputs:     &map[string]pipelines.IFileSetProducer{"cdk.out": p.Assembly},
		InstallCommands:      jsii.Strings("go version"),
		Commands:             jsii.Strings(commands...),
		Env:                  env,
		BuildEnvironment:     step.environment(),
		PartialBuildSpec:     step.buildSpec(),
		Cache:                p.Cache,
		RolePolicyStatements: &statements,
		Timeout:              awscdk.Duration_Minutes(jsii.Number(30)),
	})
}
