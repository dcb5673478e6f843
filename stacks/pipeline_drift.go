package stacks

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/internal/config"
)

// DriftCheckStepName is the step's id in the stage (the CodeBuild action is named after it).
const DriftCheckStepName = "DriftCheck"

// DriftCheckProps configures the drift check of one stage.
type DriftCheckProps struct {
	// Stage is the deployed stage whose stacks are checked. Required.
	Stage *Stage
	// Source is the repository checkout: the step runs `go run ./cmd/driftcheck`.
	// Required.
	Source pipelines.IFileSetProducer
	// GoVersion is the "major.minor" Go runtime for CodeBuild (GoVersion of go.mod).
	// Required.
	GoVersion string
	// FailOnDrift fails the step (and the stage) on drift; otherwise drift is only
	// reported. Default: false.
	FailOnDrift bool
	// Qualifier is the bootstrap qualifier of the target account. Default: "hnb659fds".
	Qualifier string
}

// DriftCheckCommand is the command the step runs for the stacks of a stage.
func DriftCheckCommand(region, role string, stackNames []string, failOnDrift bool) string {
	args := []string{"go", "run", "./cmd/driftcheck", "--region", shellQuote(region), "--role", shellQuote(role)}
	for _, s := range stackNames {
		args = append(args, "--stack", shellQuote(s))
	}
	if failOnDrift {
		args = append(args, "--fail-on-drift")
	}
	return strings.Join(args, " ")
}

// EveryCommand is one shell command that runs every command, even after one fails, and
// fails if any failed: each region's drift is reported whatever the other's result. A
// single command is returned as it is.
func EveryCommand(commands []string) string {
	if len(commands) == 1 {
		return commands[0]
	}
	var b strings.Builder
	b.WriteString("status=0; ")
	for _, c := range commands {
		b.WriteString(c + " || status=1; ")
	}
	b.WriteString("exit $status")
	return b.String()
}

// DriftCheckStep is the pipeline step that ends a stage, after its smoke test: it runs
// CloudFormation drift detection on the stage's stacks through the target account's
// lookup role and prints the result per resource; with FailOnDrift, drift fails the stage.
// Its role may assume that one lookup role, beyond what CDK Pipelines gives every
// CodeBuild step (reading its input artifact, writing its logs); it has no build cache,
// whose S3 grant would let it write the pipeline's artifacts. The command imports no CDK
// code, so it compiles in a minute or two on the small ARM image.
func DriftCheckStep(props *DriftCheckProps) pipelines.CodeBuildStep {
	if props == nil || props.Stage == nil || props.Source == nil {
		panic(errors.New("drift check: Stage and Source are required"))
	}
	p := *props
	if p.Qualifier == "" {
		p.Qualifier = "hnb659fds"
	}
	var errs []error
	if !goRuntime.MatchString(p.GoVersion) {
		errs = append(errs, fmt.Errorf("drift check: GoVersion %q: allowed is major.minor such as 1.26", p.GoVersion))
	}
	if !qualifierPat.MatchString(p.Qualifier) {
		errs = append(errs, fmt.Errorf("drift check: Qualifier %q: allowed is 1-10 of A-Z a-z 0-9 _ - (the cdk bootstrap qualifier)", p.Qualifier))
	}
	if err := errors.Join(errs...); err != nil {
		panic(err)
	}
	e := p.Stage.Env
	// One check per region of the stage (the Edge stack is in us-east-1), each through
	// the lookup role of that region.
	byRegion := map[string][]string{}
	var regions []string
	for _, st := range p.Stage.Stacks() {
		r := *st.Region()
		if byRegion[r] == nil {
			regions = append(regions, r)
		}
		byRegion[r] = append(byRegion[r], *st.StackName())
	}
	var commands, roles []string
	for _, r := range regions {
		role := config.LookupRoleArn(p.Qualifier, e.Account, r)
		roles = append(roles, role)
		commands = append(commands, DriftCheckCommand(r, role, byRegion[r], p.FailOnDrift))
	}
	step := goStep{image: defaultImage(), compute: awscodebuild.ComputeType_SMALL, goVersion: p.GoVersion}
	return pipelines.NewCodeBuildStep(jsii.String(DriftCheckStepName), &pipelines.CodeBuildStepProps{
		Input:            p.Source,
		InstallCommands:  jsii.Strings("go version"),
		Commands:         jsii.Strings(EveryCommand(commands)),
		BuildEnvironment: step.environment(),
		PartialBuildSpec: step.buildSpec(),
		RolePolicyStatements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("DetectDriftAsLookupRole"),
			Actions:   jsii.Strings("sts:AssumeRole"),
			Resources: jsii.Strings(roles...),
		})},
		// Detection of four stacks takes minutes; the command gives up after 15.
		Timeout: awscdk.Duration_Minutes(jsii.Number(25)),
	})
}
