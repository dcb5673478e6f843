package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/example/notesplatform/stacks/config"
)

// App is everything the CDK app deploys: one stage per environment, which can be
// deployed by hand (`cdk deploy 'dev/*'`), and the pipeline that deploys the same stages.
type App struct {
	Stages []*Stage
	// Pipeline deploys the same Stage objects, in the same order.
	Pipeline *PipelineStack
}

// NewApp adds one stage per configured environment to the app, in config order, and the
// pipeline stack that deploys those stages.
func NewApp(app awscdk.App, cfg *config.Config, moduleRoot string) *App {
	out := &App{}
	for _, e := range cfg.Environments {
		out.Stages = append(out.Stages, NewStage(app, &StageProps{Config: cfg, Env: e, ModuleRoot: moduleRoot}))
	}
	out.Pipeline = NewPipelineStack(app, PipelineStackName(cfg.AppName), &PipelineProps{
		Config: cfg, Stages: out.Stages, ModuleRoot: moduleRoot,
	})
	return out
}
