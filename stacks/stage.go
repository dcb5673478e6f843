// Package stacks wires the constructs into the four stacks of an environment, the stage
// that groups them and the pipeline that deploys the stages. It holds no business rules.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/example/notesplatform/constructs/logging"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/internal/synthprof"
	"github.com/example/notesplatform/lambdas/api"
)

// Stage is one environment: the Base, Data, Backend and Frontend stacks, and where WAF
// is on the Edge stack in us-east-1, with the permissions boundary on every role, tags,
// and cdk-nag checks.
type Stage struct {
	awscdk.Stage
	// Env is the environment this stage deploys.
	Env      config.Environment
	Base     *BaseStack
	Data     *DataStack
	Backend  *BackendStack
	Frontend *FrontendStack
	// Edge holds the CloudFront web ACL in us-east-1; nil where config.Environment.WAF
	// is off.
	Edge *EdgeStack
}

// Stacks are the stage's stacks in deployment order: Base, Data, Backend, then Edge
// (when there is one) and Frontend, which reads the Edge stack's web ACL.
func (s *Stage) Stacks() []awscdk.Stack {
	out := []awscdk.Stack{s.Base.Stack, s.Data.Stack, s.Backend.Stack}
	if s.Edge != nil {
		out = append(out, s.Edge.Stack)
	}
	return append(out, s.Frontend.Stack)
}

// StageProps configures a stage.
type StageProps struct {
	// Config is the whole validated configuration.
	Config *config.Config
	// Env is the environment to build.
	Env config.Environment
	// ModuleRoot is the repository root (go.mod, web/). Required.
	ModuleRoot string
	// Routes is the route table of the API and its functions. Default: api.Shipped().
	Routes *api.Table
}

// NewStage builds one environment. app.go, the pipeline and the tests all call it, so
// the pipeline deploys exactly what the tests check.
func NewStage(scope constructs.Construct, props *StageProps) *Stage {
	e := props.Env
	app := props.Config.AppName
	env := &awscdk.Environment{Account: jsii.String(e.Account), Region: jsii.String(e.Region)}
	stage := awscdk.NewStage(scope, jsii.String(e.Name), &awscdk.StageProps{Env: env, StageName: jsii.String(e.Name)})

	// The VPC checks its zones against the account's: answer from config, offline.
	stage.Node().SetContext(jsii.String("availability-zones:account="+e.Account+":region="+e.Region), jsii.Strings(e.Zones...))

	stackProps := func(part, description string, stateful bool) awscdk.StackProps {
		return awscdk.StackProps{
			Env:                   env,
			StackName:             jsii.String(app + "-" + e.Name + "-" + part),
			Description:           jsii.String(description + " of " + app + " (" + e.Name + ")"),
			TerminationProtection: jsii.Bool(stateful && e.Production),
		}
	}
	base := NewBaseStack(stage, "Base", &BaseProps{
		StackProps: stackProps("base", "Audit trail, network, log key and permissions boundary", true),
		App:        app, Env: e,
	})
	synthprof.Mark("construct Base")
	data := NewDataStack(stage, "Data", &DataProps{
		StackProps: stackProps("data", "Notes table and user pool", true),
		App:        app, Env: e,
	})
	synthprof.Mark("construct Data")
	backend := NewBackendStack(stage, "Backend", &BackendProps{
		StackProps: stackProps("backend", "REST API and Go functions", false),
		App:        app, Env: e, Table: data.Table, UserPool: data.UserPool, LogKey: base.LogKey,
		Network: base.Network, Routes: props.Routes,
	})
	synthprof.Mark("construct Backend")
	var edge *EdgeStack
	if e.WAF {
		// CloudFront's web ACL must be created in us-east-1, whatever the environment's
		// region: a stack of its own there, in the same account and stage.
		edgeProps := stackProps("edge", "CloudFront web ACL", false)
		edgeProps.Env = &awscdk.Environment{Account: jsii.String(e.Account), Region: jsii.String(config.EdgeRegion)}
		edge = NewEdgeStack(stage, "Edge", &EdgeProps{StackProps: edgeProps, App: app, Env: e})
	}
	frontend := NewFrontendStack(stage, "Frontend", &FrontendProps{
		StackProps: stackProps("frontend", "Single-page app on CloudFront", false),
		App:        app, Env: e, WebDir: repo.WebDir(props.ModuleRoot),
		UserPool: data.UserPool, AuthURL: data.AuthURL, API: backend.API, LogKey: base.LogKey,
		Functions: backend.Functions, Alarms: backend.Alarms, Table: data.Table,
		Edge: edge, Failures: backend.Failures,
	})
	data.AddStackDependency(base.Stack, jsii.String("roles carry the Base permissions boundary"))

	// CDK's own custom-resource handlers get encrypted, expiring log groups too. (Not
	// the Edge stack: it has no function, and the log key is in the environment's region.)
	for _, st := range []awscdk.Stack{base.Stack, data.Stack, backend.Stack, frontend.Stack} {
		logging.AdoptFunctionLogs(st, &logging.LogGroupProps{
			Key: base.LogKey, RetentionDays: e.LogRetentionDays, Destroy: e.Destroy(),
		})
	}
	awsiam.PermissionsBoundary_Of(stage).Apply(base.Boundary)
	tags := awscdk.Tags_Of(stage)
	tags.Add(jsii.String("app"), jsii.String(app), nil)
	tags.Add(jsii.String("environment"), jsii.String(e.Name), nil)
	synthprof.Mark("construct Frontend")
	// Aspects on the App do not reach into a Stage: check every stage itself.
	awscdk.Aspects_Of(stage).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)

	return &Stage{Stage: stage, Env: e, Base: base, Data: data, Backend: backend, Frontend: frontend, Edge: edge}
}

// Templates returns the CloudFormation templates of the stage's stacks, by stack name,
// from its cloud assembly (synthesized once and cached by CDK).
func (s *Stage) Templates() map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, st := range *s.Synth(nil).Stacks() {
		tpl, _ := st.Template().(map[string]any)
		out[*st.StackName()] = tpl
	}
	return out
}
