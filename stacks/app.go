package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/example/notesplatform/stacks/config"
)

// NewApp adds one stage per configured environment to the app, in config order.
func NewApp(app awscdk.App, cfg *config.Config, moduleRoot string) []*Stage {
	var out []*Stage
	for _, e := range cfg.Environments {
		out = append(out, NewStage(app, &StageProps{Config: cfg, Env: e, ModuleRoot: moduleRoot}))
	}
	return out
}
