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

	"github.com/example/notesplatform/internal/deploypolicy"
)

// PolicyCheckProps configures the pre-deploy policy check of one stage.
type PolicyCheckProps struct {
	// Stage is the environment whose templates are checked; its name is the --stage of the
	// command, its account and region name the lookup role. Required.
	Stage awscdk.Stage
	// App is the app's name (config appName): the check derives the policies and the
	// boundary named after it. Required.
	App string
	// Source is the repository checkout the step runs `go run ./cmd/policycheck` in (and
	// installs the IAM evaluator's npm packages in, from package-lock.json). Required.
	Source pipelines.IFileSetProducer
	// Assembly produces the cloud assembly (the synth step); it is placed at cdk.out.
	// Required.
	Assembly pipelines.IFileSetProducer
	// GoVersion is the "major.minor" Go runtime for CodeBuild (GoVersion of go.mod).
	// Required.
	GoVersion string
	// Qualifier is the bootstrap qualifier of the target account. Default: "hnb659fds".
	Qualifier string
	// Trust is the pipeline account, which the target account trusts: the check prints it
	// in the bootstrap command when the account's set of policies must change. Default: the
	// command is printed without --trust.
	Trust string
	// Cache keeps Go's module and build caches and npm's cache between runs. Default: no
	// cache.
	Cache awscodebuild.Cache
}

// PolicyCheckStepName is the step's id in the stage (the CodeBuild action is named after it).
const PolicyCheckStepName = "PolicyCheck"

var appNamePat = regexp.MustCompile(`^[a-z][a-z0-9-]{1,19}$`)

func (p *PolicyCheckProps) validate() error {
	var errs []error
	if p.Stage == nil {
		return errors.New("policy check: Stage is required")
	}
	if !appNamePat.MatchString(p.App) {
		errs = append(errs, fmt.Errorf("policy check: App %q: allowed is the config appName (2-20 of a-z 0-9 -, starting with a letter)", p.App))
	}
	if p.Source == nil || p.Assembly == nil {
		errs = append(errs, errors.New("policy check: Source and Assembly are required: the step runs the repository's command on the synthesized assembly"))
	}
	if !goRuntime.MatchString(p.GoVersion) {
		errs = append(errs, fmt.Errorf("policy check: GoVersion %q: allowed is major.minor such as 1.26", p.GoVersion))
	}
	if !qualifierPat.MatchString(p.Qualifier) {
		errs = append(errs, fmt.Errorf("policy check: Qualifier %q: allowed is 1-10 of A-Z a-z 0-9 _ - (the cdk bootstrap qualifier)", p.Qualifier))
	}
	if p.Trust != "" && !regexp.MustCompile(`^[0-9]{12}$`).MatchString(p.Trust) {
		errs = append(errs, fmt.Errorf("policy check: Trust %q: allowed is a 12-digit account id", p.Trust))
	}
	return errors.Join(errs...)
}

// PolicyCheckCommand is the command the step runs for a stage.
func PolicyCheckCommand(app, stage, qualifier, trust string) string {
	args := []string{"go", "run", "./cmd/policycheck", "--assembly", "cdk.out", "--app", shellQuote(app), "--stage", shellQuote(stage),
		"--qualifier", shellQuote(cmp.Or(qualifier, deploypolicy.DefaultQualifier))}
	if trust != "" {
		args = append(args, "--trust", shellQuote(trust))
	}
	return strings.Join(args, " ")
}

// PolicyCheckInstallCommands install the IAM evaluator (@cloud-copilot/iam-simulate and
// its action catalog, pinned in package-lock.json) that the check runs with Node.
var PolicyCheckInstallCommands = []string{"go version", "node --version", "npm ci --no-audit --no-fund --loglevel=error"}

// PolicyCheckStep is the pipeline step that runs, before a stage's stacks deploy and
// beside the compatibility gate, the pre-deploy policy check: it reads the target
// account's CloudFormation execution policies through the bootstrap lookup role and fails,
// printing the missing actions and the commands that update the policies, when they do not
// allow what the stage's new templates need. Add it to the stage's Pre steps. It only
// reads: its role may assume that one lookup role, beyond what CDK Pipelines gives every
// CodeBuild step (artifacts, logs).
func PolicyCheckStep(props *PolicyCheckProps) pipelines.CodeBuildStep {
	p := *props
	p.Qualifier = cmp.Or(p.Qualifier, deploypolicy.DefaultQualifier)
	if err := p.validate(); err != nil {
		panic(err)
	}
	account, region := *p.Stage.Account(), *p.Stage.Region()
	if *awscdk.Token_IsUnresolved(account) || *awscdk.Token_IsUnresolved(region) {
		panic(fmt.Errorf("policy check: stage %s needs an explicit account and region to name its lookup role", *p.Stage.StageName()))
	}
	lookupRole := fmt.Sprintf("arn:%s:iam::%s:role/cdk-%s-lookup-role-%s-%s", *awscdk.Aws_PARTITION(), account, p.Qualifier, account, region)
	statements := []awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadExecutionPolicies"),
		Actions:   jsii.Strings("sts:AssumeRole"),
		Resources: jsii.Strings(lookupRole),
	})}
	// The synth step's image and caches: Go for the command (no CDK code), Node for the
	// evaluator.
	step := goStep{image: synthImage(), compute: awscodebuild.ComputeType_MEDIUM, goVersion: p.GoVersion, node: true,
		caches: []cacheDir{goModCache, goCache, npmCache}}
	return pipelines.NewCodeBuildStep(jsii.String(PolicyCheckStepName), &pipelines.CodeBuildStepProps{
		Input:                p.Source,
		AdditionalInputs:     &map[string]pipelines.IFileSetProducer{"cdk.out": p.Assembly},
		InstallCommands:      jsii.Strings(PolicyCheckInstallCommands...),
		Commands:             jsii.Strings(PolicyCheckCommand(p.App, *p.Stage.StageName(), p.Qualifier, p.Trust)),
		BuildEnvironment:     step.environment(),
		PartialBuildSpec:     step.buildSpec(),
		Cache:                p.Cache,
		RolePolicyStatements: &statements,
		Timeout:              awscdk.Duration_Minutes(jsii.Number(30)),
	})
}
