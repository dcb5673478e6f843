package stacks

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodecommit"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/example/notesplatform/constructs/bucket"
	"github.com/example/notesplatform/constructs/dashboard"
	"github.com/example/notesplatform/constructs/key"
	"github.com/example/notesplatform/constructs/logging"
	"github.com/example/notesplatform/constructs/nag"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/deploypolicy"
	"github.com/example/notesplatform/internal/repo"
)

// PipelineStack is the self-mutating CDK Pipelines pipeline that deploys the stages that
// NewApp builds (the same Stage objects that `cdk deploy 'dev/*'` and the tests use), in
// config order, each followed by a smoke test.
type PipelineStack struct {
	awscdk.Stack
	// Pipeline is the CDK Pipelines construct; BuildPipeline has been called.
	Pipeline pipelines.CodePipeline
	// ArtifactBucket holds the pipeline's artifacts and the build cache.
	ArtifactBucket awss3.IBucket
	// Repository is the CodeCommit repository (created or imported); nil for a connection.
	Repository awscodecommit.IRepository
}

// PipelineProps configures the pipeline stack.
type PipelineProps struct {
	// Config is the whole validated configuration. Required.
	Config *config.Config
	// Stages are the environments to deploy, one per config environment, in config order.
	// Required.
	Stages []*Stage
	// ModuleRoot is the repository root: go.mod names the Go toolchain of the builds and
	// package.json the CDK CLI version. Required.
	ModuleRoot string
}

// Build images. The synth step runs `make test`, whose browser tests need Chromium: the
// x86_64 Amazon Linux 2023 standard image ships it (and Go 1.26, Node 24), the aarch64 one
// does not and Amazon Linux 2023 has no Chromium package. Every other step (self-mutation,
// asset publishing, permission checks, smoke tests) runs on the cheaper ARM image.
var (
	synthImage   = awscodebuild.LinuxBuildImage_AMAZON_LINUX_2023_5
	defaultImage = awscodebuild.LinuxArmBuildImage_AMAZON_LINUX_2023_STANDARD_4_0
)

// NodeMajor is the Node.js major version of every build (jsii and the CDK CLI support it).
const NodeMajor = "24"

// cacheDir is a cache of the builds: the variable that points a tool at it and its path.
type cacheDir struct{ env, path string }

// The caches a Go step may keep between runs in an S3 cache: Go's module and build caches
// and npm's cache.
var (
	goModCache = cacheDir{"GOMODCACHE", "/root/.cache/go-mod"}
	goCache    = cacheDir{"GOCACHE", "/root/.cache/go-build"}
	npmCache   = cacheDir{"npm_config_cache", "/root/.npm"}
)

// goStep is what a step that runs Go shares with the others: not privileged; Go of
// go.mod's version (a newer toolchain line is fetched, checksum-verified, by go), modules
// read-only; Node.js NodeMajor when node is set; the given caches at their paths, which
// the step's S3 cache keeps; and the extra variables.
type goStep struct {
	image     awscodebuild.IBuildImage
	compute   awscodebuild.ComputeType
	goVersion string
	node      bool
	caches    []cacheDir
	extra     map[string]string
}

// environment is the step's CodeBuild environment.
func (g goStep) environment() *awscodebuild.BuildEnvironment {
	vars := map[string]*awscodebuild.BuildEnvironmentVariable{
		"GOTOOLCHAIN": {Value: jsii.String("auto")},
		"GOFLAGS":     {Value: jsii.String("-mod=readonly")},
	}
	for _, c := range g.caches {
		vars[c.env] = &awscodebuild.BuildEnvironmentVariable{Value: jsii.String(c.path)}
	}
	for k, v := range g.extra {
		vars[k] = &awscodebuild.BuildEnvironmentVariable{Value: jsii.String(v)}
	}
	return &awscodebuild.BuildEnvironment{
		BuildImage: g.image, ComputeType: g.compute, Privileged: jsii.Bool(false), EnvironmentVariables: &vars,
	}
}

// buildSpec is the step's partial buildspec: the install phase's runtimes and the cache
// paths.
func (g goStep) buildSpec() awscodebuild.BuildSpec {
	spec := g.buildSpecObject()
	return awscodebuild.BuildSpec_FromObject(&spec)
}

// buildSpecObject is buildSpec as a value, for a project that adds its own phases.
func (g goStep) buildSpecObject() map[string]interface{} {
	runtimes := map[string]interface{}{"golang": g.goVersion}
	if g.node {
		runtimes["nodejs"] = NodeMajor
	}
	spec := map[string]interface{}{
		"phases": map[string]interface{}{"install": map[string]interface{}{"runtime-versions": runtimes}},
	}
	if len(g.caches) > 0 {
		var paths []interface{}
		for _, c := range g.caches {
			paths = append(paths, c.path+"/**/*")
		}
		spec["cache"] = map[string]interface{}{"paths": paths}
	}
	return spec
}

func (p *PipelineProps) validate() error {
	var errs []error
	if p.Config == nil {
		return errors.New("pipeline: Config is required")
	}
	if len(p.Stages) != len(p.Config.Environments) {
		errs = append(errs, fmt.Errorf("pipeline: %d stages for %d configured environments: give one stage per environment", len(p.Stages), len(p.Config.Environments)))
	}
	for i, s := range p.Stages {
		if i < len(p.Config.Environments) && s.Env.Name != p.Config.Environments[i].Name {
			errs = append(errs, fmt.Errorf("pipeline: stage %d is %q, config environment %d is %q: keep config order", i, s.Env.Name, i, p.Config.Environments[i].Name))
		}
	}
	if p.ModuleRoot == "" {
		errs = append(errs, errors.New("pipeline: ModuleRoot is required"))
	}
	return errors.Join(errs...)
}

// PipelineStackName is the pipeline stack's name and construct id: `cdk deploy <it>`. It
// is also the prefix of every name in the pipeline account that the account's execution
// policies let CloudFormation manage (deploypolicy.PipelineEnv).
func PipelineStackName(app string) string { return app + "-" + deploypolicy.PipelineEnv }

// nameProjects names every CodeBuild project of the pipeline stack that has no name
// "<stack name>-<logical id>": the pipeline account's execution policies let
// CloudFormation manage only projects under the stack's name, and CloudFormation does not
// document that a project name it generates starts with the stack's name (CDK Pipelines'
// projects are seen named after the logical id alone); a name of our own makes it certain.
func nameProjects(stack awscdk.Stack) {
	for _, c := range *stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		// An L2 project's name is a token that resolves to nothing when no name was given.
		if r, ok := c.(awscodebuild.CfnProject); ok && (r.Name() == nil || stack.Resolve(r.Name()) == nil) {
			r.SetName(jsii.String(*stack.StackName() + "-" + *stack.GetLogicalId(r)))
		}
	}
}

// CrossAccount reports whether some environment lives in another account than the pipeline:
// only then do the artifacts need a customer-managed KMS key that the other accounts can use.
func CrossAccount(c *config.Config) bool {
	for _, e := range c.Environments {
		if e.Account != c.Pipeline.Account {
			return true
		}
	}
	return false
}

// NewPipelineStack makes the pipeline stack in the pipeline account and region.
func NewPipelineStack(scope constructs.Construct, id string, props *PipelineProps) *PipelineStack {
	if err := props.validate(); err != nil {
		panic(err)
	}
	cfg := props.Config
	p := cfg.Pipeline
	goVersion, err := repo.GoVersion(props.ModuleRoot)
	if err != nil {
		panic(fmt.Errorf("pipeline: %w", err))
	}
	cliVersion, err := repo.CDKCLIVersion(props.ModuleRoot)
	if err != nil {
		panic(fmt.Errorf("pipeline: %w", err))
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		Env:                   &awscdk.Environment{Account: jsii.String(p.Account), Region: jsii.String(p.Region)},
		StackName:             jsii.String(PipelineStackName(cfg.AppName)),
		Description:           jsii.String("Self-mutating delivery pipeline of " + cfg.AppName),
		TerminationProtection: jsii.Bool(true),
	})
	crossAccount := CrossAccount(cfg)
	artifacts, artifactKey := artifactBucket(stack, cfg.AppName)
	// Every CodeBuild project of the pipeline logs to one encrypted, expiring log group
	// (CodeBuild's default is an unencrypted /aws/codebuild/<project> group kept forever).
	buildLogs := logging.NewLogGroup(stack, "BuildLogs", &logging.LogGroupProps{
		Key: artifactKey, RetentionDays: PipelineLogRetentionDays,
	})

	var repo awscodecommit.IRepository
	var source pipelines.CodePipelineSource
	switch p.Source.Kind {
	case config.CodeCommit:
		if p.Source.CreateRepository {
			r := awscodecommit.NewRepository(stack, jsii.String("Repository"), &awscodecommit.RepositoryProps{
				RepositoryName: jsii.String(p.Source.RepositoryName),
				Description:    jsii.String("Source of " + cfg.AppName + ": every push to " + p.Source.Branch + " runs the pipeline"),
			})
			r.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN) // the code outlives the stack
			repo = r
		} else {
			repo = awscodecommit.Repository_FromRepositoryName(stack, jsii.String("Repository"), jsii.String(p.Source.RepositoryName))
		}
		source = pipelines.CodePipelineSource_CodeCommit(repo, jsii.String(p.Source.Branch), &pipelines.CodeCommitSourceOptions{
			ActionName: jsii.String("Source"),
		})
	case config.Connection:
		source = pipelines.CodePipelineSource_Connection(jsii.String(p.Source.Repository), jsii.String(p.Source.Branch), &pipelines.ConnectionSourceOptions{
			ConnectionArn: jsii.String(p.Source.ConnectionArn),
			ActionName:    jsii.String("Source"),
			TriggerOnPush: jsii.Bool(true),
		})
	default:
		panic(fmt.Errorf("pipeline: source kind %q: allowed are codecommit and connection", p.Source.Kind))
	}

	// The x86 synth image cannot run the arm64 bundles (Amazon Linux 2023 has no qemu):
	// `make test` there leaves the artifact tests to the ArtifactTests step, which runs
	// them natively on ARM before anything deploys.
	synthEnv := map[string]string{"CI": "true"}
	maps.Copy(synthEnv, ArtifactTestsDeferral())
	synthStep := goStep{image: synthImage(), compute: awscodebuild.ComputeType_MEDIUM, // 4 vCPU, 7 GB: jsii and the awscdk compile
		goVersion: goVersion, node: true, caches: []cacheDir{goModCache, goCache, npmCache}, extra: synthEnv}
	synth := pipelines.NewCodeBuildStep(jsii.String("Synth"), &pipelines.CodeBuildStepProps{
		Input: source,
		InstallCommands: jsii.Strings(
			"go version",
			"node --version",
			"chromium --version",
		),
		// make test synthesizes cdk.out first (the step's output) and tests what it
		// wrote: one synth per build.
		Commands:               jsii.Strings("make test"),
		PrimaryOutputDirectory: jsii.String("cdk.out"),
		BuildEnvironment:       synthStep.environment(),
		PartialBuildSpec:       synthStep.buildSpec(),
		// S3 cache on the artifact bucket: it survives between builds (a local cache lives
		// only while CodeBuild keeps the same host warm, which pushes minutes apart rarely
		// get), costs only storage, and is encrypted and expired like the artifacts.
		Cache:   awscodebuild.Cache_Bucket(artifacts, &awscodebuild.BucketCacheOptions{Prefix: jsii.String("build-cache/synth")}),
		Timeout: awscdk.Duration_Minutes(jsii.Number(60)),
	})

	pipelineName := cfg.AppName + "-pipeline"
	pipeline := pipelines.NewCodePipeline(stack, jsii.String("Pipeline"), &pipelines.CodePipelineProps{
		PipelineName:            jsii.String(pipelineName),
		PipelineType:            awscodepipeline.PipelineType_V2,
		Synth:                   synth,
		SelfMutation:            jsii.Bool(true),
		PublishAssetsInParallel: jsii.Bool(false),
		CrossAccountKeys:        jsii.Bool(crossAccount),
		ArtifactBucket:          artifacts,
		CliVersion:              jsii.String(cliVersion),
		CodeBuildDefaults: &pipelines.CodeBuildOptions{
			Logging: &awscodebuild.LoggingOptions{
				CloudWatch: &awscodebuild.CloudWatchLoggingOptions{LogGroup: buildLogs},
			},
			BuildEnvironment: &awscodebuild.BuildEnvironment{
				BuildImage:  defaultImage(),
				ComputeType: awscodebuild.ComputeType_SMALL,
				Privileged:  jsii.Bool(false),
			},
			PartialBuildSpec: awscodebuild.BuildSpec_FromObject(&map[string]interface{}{
				"phases": map[string]interface{}{
					"install": map[string]interface{}{"runtime-versions": map[string]interface{}{"nodejs": NodeMajor}},
				},
			}),
		},
	})

	cache := func(name string) awscodebuild.Cache {
		return awscodebuild.Cache_Bucket(artifacts, &awscodebuild.BucketCacheOptions{Prefix: jsii.String("build-cache/" + name)})
	}
	for i, stage := range props.Stages {
		e := stage.Env
		// Before anything of the stage deploys, and before a person is asked to approve:
		// the old-version compatibility gate, the check that the account's execution
		// policies allow what the new templates need, and (before the first stage, so
		// before anything deploys at all) the artifact tests on ARM. They run in parallel.
		gate := CompatGateStep(&CompatGateProps{
			Stage: stage.Stage, Source: source, Assembly: synth, Accept: e.AcceptContractions,
			GoVersion: goVersion, Cache: cache("compat"), PipelineName: pipelineName,
		})
		policies := PolicyCheckStep(&PolicyCheckProps{
			Stage: stage.Stage, App: cfg.AppName, Source: source, Assembly: synth,
			GoVersion: goVersion, Cache: cache("policy-check"), Trust: p.Account,
		})
		checks := []pipelines.Step{gate, policies}
		if i == 0 {
			checks = append(checks, NewArtifactTestsStep(&ArtifactTestsProps{
				Source: source, Synth: synth, GoVersion: goVersion, Cache: cache("artifact-tests"),
			}))
		}
		pre := append([]pipelines.Step{}, checks...)
		if e.RequireApproval {
			// The check diffs the stage against what is deployed and holds the pipeline
			// for a person when IAM or security groups would broaden; the approval after it
			// (and after the gate) is unconditional.
			check := pipelines.NewConfirmPermissionsBroadening(jsii.String("CheckPermissions"), &pipelines.PermissionsBroadeningCheckProps{
				Stage: stage.Stage,
			})
			approve := pipelines.NewManualApprovalStep(jsii.String("Approve"), &pipelines.ManualApprovalStepProps{
				Comment: jsii.String(fmt.Sprintf("Deploy %s to %s (account %s, %s)?", cfg.AppName, e.Name, e.Account, e.Region)),
			})
			approve.AddStepDependency(check)
			for _, c := range checks {
				approve.AddStepDependency(c)
			}
			pre = append(pre, check, approve)
		}
		// After the deploy: the smoke test, then the drift check of the stage's stacks.
		smoke := smokeTest(stage)
		drift := DriftCheckStep(&DriftCheckProps{
			Stage: stage, Source: source, GoVersion: goVersion, FailOnDrift: e.DriftFails(),
		})
		drift.AddStepDependency(smoke)
		pipeline.AddStage(stage.Stage, &pipelines.AddStageOpts{Pre: &pre, Post: &[]pipelines.Step{smoke, drift}})
	}

	// Every pull request into the branch: the same checks before the merge, reported on
	// the pull request (docs/pull-requests.md); and the pipeline's dashboard shows them.
	prCheck := NewPullRequestCheck(stack, PullRequestCheckID, &PullRequestCheckProps{
		Config: cfg, Repository: repo, Stage: props.Stages[0], GoVersion: goVersion,
		ArtifactBucket: artifacts, ArtifactKey: artifactKey,
	})
	dashboard.New(stack, "Dashboard", &dashboard.Props{
		Name:   PipelineStackName(cfg.AppName),
		Builds: []dashboard.Build{{Name: "Pull-request check", Project: prCheck.Project}},
	})

	// Build now, so that the generated constructs exist for the reviewed suppressions.
	pipeline.BuildPipeline()
	// Every role of the pipeline stack carries the pipeline's boundary, which the account's
	// administrator creates from the deploy-policy bundle (docs/accounts.md); the account's
	// execution policies refuse a role without it, and deny changing it.
	awsiam.PermissionsBoundary_Of(stack).Apply(awsiam.ManagedPolicy_FromManagedPolicyName(stack,
		jsii.String("RolesBoundary"), jsii.String(deploypolicy.PipelineRoleBoundaryName(cfg.AppName))))
	nameProjects(stack)
	if requiresApproval(cfg) && pinSecurityCheckCLI(stack, cliVersion) == 0 {
		panic(errors.New("pipeline: the permissions-broadening check installs an unpinned CDK CLI and it could not be pinned"))
	}
	logEverything(stack, buildLogs, artifactKey)
	suppressPipelineFindings(stack, cfg, artifacts)
	awscdk.Aspects_Of(stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	for _, support := range supportStacks(stack) {
		hardenSupportStack(support)
	}

	return &PipelineStack{Stack: stack, Pipeline: pipeline, ArtifactBucket: artifacts, Repository: repo}
}

func requiresApproval(cfg *config.Config) bool {
	for _, e := range cfg.Environments {
		if e.RequireApproval {
			return true
		}
	}
	return false
}

// pinSecurityCheckCLI makes the permissions-broadening check install the CDK CLI pinned in
// package.json instead of whatever `npm install -g aws-cdk` resolves to on the day (a new
// major could not read this cloud assembly). It returns how many install commands it pinned.
func pinSecurityCheckCLI(stack awscdk.Stack, cliVersion string) int {
	node := stack.Node().TryFindChild(jsii.String("Pipeline"))
	if node == nil {
		return 0
	}
	check := node.Node().TryFindChild(jsii.String("PipelinesSecurityCheck"))
	if check == nil {
		return 0
	}
	project, ok := check.Node().TryFindChild(jsii.String("CDKSecurityCheck")).Node().DefaultChild().(awscodebuild.CfnProject)
	if !ok {
		return 0
	}
	source, ok := stack.Resolve(project.Source()).(map[string]interface{})
	if !ok {
		return 0
	}
	n := 0
	var pin func(v interface{}) interface{}
	pin = func(v interface{}) interface{} {
		switch x := v.(type) {
		case string:
			n += strings.Count(x, `"npm install -g aws-cdk"`)
			return strings.ReplaceAll(x, `"npm install -g aws-cdk"`, `"npm install -g aws-cdk@`+cliVersion+`"`)
		case []interface{}:
			for i := range x {
				x[i] = pin(x[i])
			}
			return x
		case map[string]interface{}:
			for k := range x {
				x[k] = pin(x[k])
			}
			return x
		}
		return v
	}
	spec := pin(source["buildSpec"]) // resolved L1 properties keep their CDK (camelCase) names
	if n > 0 {
		project.AddPropertyOverride(jsii.String("Source.BuildSpec"), spec)
	}
	return n
}

// PipelineLogRetentionDays is how long the pipeline's build and approval logs are kept:
// they are the record of what was deployed, and AWS Control Tower's CT.CLOUDWATCH.PR.2
// asks for a year.
const PipelineLogRetentionDays = 365

// artifactBucket is encrypted with a rotating customer-managed key (readable by the
// deploy roles of the target accounts when there are other accounts), TLS-only, private,
// versioned, retained, logged and expired. The key also encrypts the pipeline's logs: the
// access-log bucket and the log groups.
func artifactBucket(stack awscdk.Stack, app string) (awss3.IBucket, awskms.Key) {
	k := key.New(stack, "ArtifactKey", &key.Props{
		Alias:       "alias/" + app + "-pipeline-artifacts",
		Description: "Encrypts the pipeline artifacts and logs of " + app + "; the deploy roles of the target accounts may read artifacts",
	})
	logging.AllowLogs(k)
	logs := bucket.New(stack, "ArtifactAccessLogs", &bucket.Props{LogBucket: true, ExpireAfterDays: 365, EncryptionKey: k})
	// Artifacts are written once per execution and read within it: expired after 30 days,
	// old versions too (the build cache is rewritten by every synth).
	artifacts := bucket.New(stack, "Artifacts", &bucket.Props{
		AccessLogs:       logs,
		AccessLogsPrefix: "artifacts/",
		EncryptionKey:    k,
		ExpireAfterDays:  30,
	})
	return artifacts, k
}

// logEverything gives the CodeBuild projects that CDK Pipelines makes outside the
// CodeBuild defaults (the permissions-broadening check) the pipeline's build log group,
// and encrypts the log group of the check's auto-approve function.
func logEverything(stack awscdk.Stack, buildLogs awslogs.ILogGroup, k awskms.IKey) {
	for _, c := range *stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		switch r := c.(type) {
		case awscodebuild.CfnProject:
			if r.LogsConfig() != nil {
				continue
			}
			project, ok := r.Node().Scope().(awscodebuild.IProject)
			if !ok || project.Role() == nil {
				panic(fmt.Errorf("pipeline: CodeBuild project %s has no logs configuration and no role to grant one", *r.Node().Path()))
			}
			r.AddPropertyOverride(jsii.String("LogsConfig.CloudWatchLogs"), map[string]interface{}{
				"Status": "ENABLED", "GroupName": buildLogs.LogGroupName(),
			})
			buildLogs.GrantWrite(project.Role())
		case awslogs.CfnLogGroup:
			if r.KmsKeyId() == nil {
				r.SetKmsKeyId(k.KeyArn())
			}
		}
	}
}

// smokeTest fails the stage unless the site's /api/health (through CloudFront) answers
// 200, and the API's own health route answers 200, or, where WAF is on, 403: the API
// refuses callers that did not come through the distribution, and the smoke test checks
// that it does.
func smokeTest(stage *Stage) pipelines.Step {
	return pipelines.NewShellStep(jsii.String("SmokeTest"), &pipelines.ShellStepProps{
		EnvFromCfnOutputs: &map[string]awscdk.CfnOutput{
			"SITE_URL": stage.Frontend.URLOutput,
			"API_URL":  stage.Backend.APIURLOutput,
		},
		Commands: jsii.Strings(SmokeTestCommands(stage.Env.WAF)...),
	})
}

// SmokeTestCommands check both health URLs, retrying while CloudFront propagates: the
// site's /api/health must answer 200, and the API's own endpoint 200, or 403 when
// originChecked (the environment's WAF refuses requests that bypass CloudFront).
func SmokeTestCommands(originChecked bool) []string {
	direct := "200"
	if originChecked {
		direct = "403"
	}
	return []string{
		`for check in "${SITE_URL%/}/api/health 200" "${API_URL%/}/health ` + direct + `"; do ` +
			`url=${check% *}; want=${check##* }; ` +
			`code=$(curl -sS -o /tmp/body -w '%{http_code}' --retry 8 --retry-delay 15 --retry-connrefused --max-time 20 "$url" || echo 000); ` +
			`echo "GET $url -> $code"; ` +
			`if [ "$code" != "$want" ]; then cat /tmp/body 2>/dev/null; echo "smoke test failed: $url answered $code, want $want"; exit 1; fi; ` +
			`done`,
	}
}

// supportStacks are the stacks CDK Pipelines adds, one per other region of a stage, to
// hold the replication bucket and key of that region.
func supportStacks(pipeline awscdk.Stack) []awscdk.Stack {
	var out []awscdk.Stack
	for _, child := range *pipeline.Node().Root().Node().Children() {
		st, ok := child.(awscdk.Stack)
		if ok && strings.HasPrefix(*st.StackName(), *pipeline.StackName()+"-support-") {
			out = append(out, st)
		}
	}
	return out
}

// hardenSupportStack gives the replication bucket and key of a support stack the defaults
// of every bucket and key of the app (constructs/bucket, constructs/key): rotation and
// limited grants on the key; versioning, EventBridge events, expiry and
// server access logs (into a log bucket of its own region) on the bucket; and cdk-nag.
func hardenSupportStack(stack awscdk.Stack) {
	var keys []awskms.Key
	var buckets []awss3.CfnBucket
	for _, c := range *stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		switch r := c.(type) {
		case awskms.CfnKey:
			r.SetEnableKeyRotation(jsii.Bool(true))
		case awskms.Key:
			keys = append(keys, r)
		case awss3.CfnBucket:
			buckets = append(buckets, r)
		}
	}
	if len(keys) != 1 || len(buckets) != 1 {
		panic(fmt.Errorf("pipeline: support stack %s has %d keys and %d buckets: CDK Pipelines makes one of each", *stack.StackName(), len(keys), len(buckets)))
	}
	k, replication := keys[0], buckets[0]
	key.RestrictGrants(k)
	logging.AllowLogs(k)
	logs := bucket.New(stack, "ReplicationAccessLogs", &bucket.Props{LogBucket: true, ExpireAfterDays: 365, EncryptionKey: k})
	nag.Suppress(logs, false, "AwsSolutions-S1", "This bucket is the destination of the replication bucket's server access logs; logging it into itself would recurse.")
	logs.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("S3ServerAccessLogs"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logging.s3.amazonaws.com"), nil)},
		Actions:    jsii.Strings("s3:PutObject"),
		Resources:  jsii.Strings(*logs.ArnForObjects(jsii.String("replication/*"))),
		Conditions: &map[string]interface{}{
			"ArnLike":      map[string]interface{}{"aws:SourceArn": replication.AttrArn()},
			"StringEquals": map[string]interface{}{"aws:SourceAccount": stack.Account()},
		},
	}))
	replication.SetLoggingConfiguration(&awss3.CfnBucket_LoggingConfigurationProperty{
		DestinationBucketName: logs.BucketName(), LogFilePrefix: jsii.String("replication/"),
	})
	replication.SetVersioningConfiguration(&awss3.CfnBucket_VersioningConfigurationProperty{Status: jsii.String("Enabled")})
	replication.AddPropertyOverride(jsii.String("NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled"), jsii.Bool(true))
	// Replicated artifacts live as long as those in the pipeline's own bucket.
	replication.SetLifecycleConfiguration(&awss3.CfnBucket_LifecycleConfigurationProperty{
		Rules: &[]interface{}{&awss3.CfnBucket_RuleProperty{
			Id: jsii.String("age-out"), Status: jsii.String("Enabled"), ExpirationInDays: jsii.Number(30),
			NoncurrentVersionExpiration:    &awss3.CfnBucket_NoncurrentVersionExpirationProperty{NoncurrentDays: jsii.Number(30)},
			AbortIncompleteMultipartUpload: &awss3.CfnBucket_AbortIncompleteMultipartUploadProperty{DaysAfterInitiation: jsii.Number(7)},
		}},
	})
	awscdk.Aspects_Of(stack).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
}
