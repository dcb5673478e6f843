package stacks

import (
	"errors"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/jsii-runtime-go"
)

// The artifact tests (test/artifact) run every Lambda bundle of cdk.out under AWS's
// Runtime Interface Emulator. The functions are arm64 binaries; the synth step runs on
// CodeBuild's x86_64 Amazon Linux 2023 image, which has no qemu package (Amazon Linux
// 2023 ships neither qemu nor qemu-user-static), so those tests run natively in their own
// step on the aarch64 image, on the cloud assembly the synth step produced.
const (
	// ArtifactTestsStepID is the step's id and its action's name in the pipeline.
	ArtifactTestsStepID = "ArtifactTests"
	// ArtifactTestsDeferEnv tells test/artifact, on a machine without the emulator it
	// needs, that another step runs the tests (the test package skips with that reason
	// there, and fails everywhere else).
	ArtifactTestsDeferEnv = "ARTIFACT_TESTS_RUN_IN"
	// ArtifactTestsCommand runs the tests: npm ci for dynalite, then go test.
	ArtifactTestsCommand = "make test-artifacts"
)

// ArtifactTestsProps configures the artifact test step.
type ArtifactTestsProps struct {
	// Source is the repository (the tests, go.mod, package-lock.json). Required.
	Source pipelines.IFileSetProducer
	// Synth is the synth step; its primary output (cdk.out) is placed at ./cdk.out.
	// Required.
	Synth pipelines.IFileSetProducer
	// GoVersion is the Go runtime to select, "major.minor" (GoVersion of go.mod). Required.
	GoVersion string
	// Cache keeps the Go and npm caches between runs. Default: no cache.
	Cache awscodebuild.Cache
}

// NewArtifactTestsStep returns the step that runs test/artifact on Graviton, natively (no
// qemu), against the cdk.out of the synth step: the bundles that the pipeline deploys.
// Add it before the first environment deploys, e.g. as a Pre step of the first stage.
func NewArtifactTestsStep(props *ArtifactTestsProps) pipelines.CodeBuildStep {
	if props == nil || props.Source == nil || props.Synth == nil || props.GoVersion == "" {
		panic(errors.New("pipeline: the artifact test step needs Source, Synth and GoVersion"))
	}
	step := goStep{image: defaultImage(), // aarch64 Amazon Linux 2023: the functions' architecture
		compute: awscodebuild.ComputeType_MEDIUM, goVersion: props.GoVersion, node: true,
		caches: []cacheDir{goModCache, goCache, npmCache}, extra: map[string]string{"CI": "true"}}
	return pipelines.NewCodeBuildStep(jsii.String(ArtifactTestsStepID), &pipelines.CodeBuildStepProps{
		Input:            props.Source,
		AdditionalInputs: &map[string]pipelines.IFileSetProducer{"cdk.out": props.Synth},
		InstallCommands:  jsii.Strings("go version", "node --version", "uname -m"),
		Commands:         jsii.Strings(ArtifactTestsCommand),
		BuildEnvironment: step.environment(),
		PartialBuildSpec: step.buildSpec(),
		Cache:            props.Cache,
		Timeout:          awscdk.Duration_Minutes(jsii.Number(30)),
	})
}

// ArtifactTestsDeferral is the environment variable to add to the synth step: there,
// `make test` leaves the artifact tests to the ArtifactTests step (and says so).
func ArtifactTestsDeferral() map[string]string {
	return map[string]string{
		ArtifactTestsDeferEnv: "the pipeline's " + ArtifactTestsStepID + " step, natively on arm64, on this synth's cdk.out",
	}
}
