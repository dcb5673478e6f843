package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/guard"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/synthprof"
	"github.com/example/notesplatform/lambdas/api"
)

// App is everything the CDK app deploys: one stage per environment, which can be
// deployed by hand (`cdk deploy 'dev/*'`), and the pipeline that deploys the same stages.
type App struct {
	Stages []*Stage
	// Pipeline deploys the same Stage objects, in the same order; nil for a sandbox.
	Pipeline *PipelineStack
	// Waived are the resources exempt from an AWS Control Tower control, with the reviewed
	// waiver (constructs/guard) that their template metadata now carries.
	Waived []guard.Match
}

// Options change what NewAppWith builds.
type Options struct {
	// Routes replaces the shipped route table in every stage: the scale benchmark's
	// test-only hook (test/scale). Default: api.Shipped().
	Routes *api.Table
}

// NewApp adds one stage per configured environment to the app, in config order, and the
// pipeline stack that deploys those stages.
func NewApp(app awscdk.App, cfg *config.Config, moduleRoot string) *App {
	return NewAppWith(app, cfg, moduleRoot, Options{})
}

// NewAppWith is NewApp with options.
func NewAppWith(app awscdk.App, cfg *config.Config, moduleRoot string, opts Options) *App {
	out := &App{}
	for _, e := range cfg.Environments {
		stage := NewStage(app, &StageProps{Config: cfg, Env: e, ModuleRoot: moduleRoot, Routes: opts.Routes})
		out.Stages = append(out.Stages, stage)
		// Now: the pipeline synthesizes each stage once, and keeps those templates.
		out.Waived = append(out.Waived, guard.Apply(stage, guard.Waivers)...)
		synthprof.Mark("construct guard waivers")
	}
	out.Pipeline = NewPipelineStack(app, PipelineStackName(cfg.AppName), &PipelineProps{
		Config: cfg, Stages: out.Stages, ModuleRoot: moduleRoot,
	})
	synthprof.Mark("construct pipeline")
	for _, c := range *app.Node().Children() {
		if !*awscdk.Stage_IsStage(c) { // the pipeline stack and its support stacks
			out.Waived = append(out.Waived, guard.Apply(c, guard.Waivers)...)
		}
	}
	synthprof.Mark("construct guard waivers")
	return out
}

// NewSandbox adds one personal sandbox (config.Sandbox) to the app: its stage and nothing
// else, no pipeline and no configured environment, so `cdk deploy '<name>/*'` and `cdk
// destroy` reach only the person's own stacks.
func NewSandbox(app awscdk.App, cfg *config.Config, env config.Environment, moduleRoot string) *App {
	stage := NewStage(app, &StageProps{Config: cfg, Env: env, ModuleRoot: moduleRoot})
	awscdk.Tags_Of(stage.Stage).Add(jsii.String("sandbox"), jsii.String("true"), nil)
	return &App{Stages: []*Stage{stage}, Waived: guard.Apply(stage, guard.Waivers)}
}
