// Package gofunction builds a Go Lambda function for provided.al2023 on arm64 without
// Docker: a local bundler runs `go build` with the flags of package build, and the asset
// hash is computed from exactly the Go sources compiled into the function (plus go.mod and
// go.sum), so a function is redeployed when, and only when, its code changes.
package gofunction

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/example/notesplatform/internal/repo"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/logging"
	"github.com/example/notesplatform/constructs/nag"
	"github.com/example/notesplatform/internal/synthprof"
	"github.com/example/notesplatform/lambdas/build"
)

// GoFunction is a Go Lambda function with its own log group and role and, when Live, a
// version published on every change and a "live" alias that callers use, so traffic can
// move between versions gradually.
type GoFunction struct {
	constructs.Construct
	// Function is the Lambda function (construct id "Resource").
	Function awslambda.IFunction
	// Version is the version of the current code and configuration; nil unless Live.
	Version awslambda.IVersion
	// Alias is the "live" alias, what callers invoke and grants name; nil unless Live.
	Alias awslambda.Alias
	// Role is the function's execution role: grant through it or through Function.
	Role awsiam.IRole
	// LogGroup receives the function's JSON logs.
	LogGroup awslogs.ILogGroup
	// SourceHash identifies the compiled sources; it is the asset hash and BUILD_VERSION.
	SourceHash string
}

// Props configures a Go function.
type Props struct {
	// Package is the main package's directory relative to the module root, e.g.
	// "lambdas/health". Required.
	Package string
	// ModuleRoot is the directory holding go.mod. Default: the nearest go.mod above the
	// working directory.
	ModuleRoot string
	// Environment is passed to the function. Default: none.
	Environment map[string]string
	// VersionVariable names an environment variable set to the source hash, so the
	// function can report which build it is. Default: none.
	VersionVariable string
	// MemoryMB is the memory size. Default: 256.
	MemoryMB int
	// Timeout is the maximum run time. Default: 10 seconds.
	Timeout time.Duration
	// Description is shown in the console. Default: none.
	Description string
	// LogKey encrypts the log group. Required.
	LogKey awskms.IKey
	// LogRetentionDays is the log retention. Default: 30.
	LogRetentionDays int
	// Destroy deletes the log group with the stack. Default: false, retained.
	Destroy bool
	// Vpc places the function in the VPC's isolated subnets, with SecurityGroups: it
	// reaches only what the VPC's endpoints and the groups allow. Default: no VPC.
	Vpc awsec2.IVpc
	// SecurityGroups of the function's network interfaces; required with Vpc.
	SecurityGroups []awsec2.ISecurityGroup
	// Live publishes a version on every change of the code or configuration and keeps a
	// "live" alias for callers, so that traffic can move between versions. Versions are
	// kept (a person can point the alias back at any of them). Default: false, callers
	// invoke the function itself.
	Live bool
}

func (p *Props) withDefaults() (Props, error) {
	out := *p
	out.MemoryMB = cmp.Or(out.MemoryMB, 256)
	out.Timeout = cmp.Or(out.Timeout, 10*time.Second)
	out.LogRetentionDays = cmp.Or(out.LogRetentionDays, 30)
	if out.ModuleRoot == "" {
		root, err := repo.Root()
		if err != nil {
			return out, err
		}
		out.ModuleRoot = root
	}
	return out, nil
}

func (p *Props) validate() error {
	var errs []error
	if p.Package == "" || filepath.IsAbs(p.Package) || strings.Contains(p.Package, "..") {
		errs = append(errs, fmt.Errorf("gofunction: Package %q: allowed is a directory relative to the module root, e.g. lambdas/health", p.Package))
	} else if _, err := os.Stat(filepath.Join(p.ModuleRoot, p.Package)); err != nil {
		errs = append(errs, fmt.Errorf("gofunction: Package %q: %v", p.Package, err))
	}
	if p.MemoryMB < 128 || p.MemoryMB > 10240 {
		errs = append(errs, fmt.Errorf("gofunction: MemoryMB %d: allowed is 128..10240", p.MemoryMB))
	}
	if p.Timeout < time.Second || p.Timeout > 15*time.Minute {
		errs = append(errs, fmt.Errorf("gofunction: Timeout %s: allowed is 1s..15m", p.Timeout))
	}
	if p.LogKey == nil {
		errs = append(errs, errors.New("gofunction: LogKey is required: function logs are encrypted"))
	}
	if p.Vpc != nil && len(p.SecurityGroups) == 0 {
		errs = append(errs, errors.New("gofunction: SecurityGroups are required with Vpc: name what the function may reach"))
	}
	return errors.Join(errs...)
}

// AliasName is the alias every caller invokes.
const AliasName = "live"

// New makes the function.
func New(scope constructs.Construct, id string, props *Props) *GoFunction {
	if props == nil {
		props = &Props{}
	}
	p, err := props.withDefaults()
	if err == nil {
		err = p.validate()
	}
	if err != nil {
		panic(err)
	}
	hash, err := SourceHash(p.ModuleRoot, p.Package)
	if err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	logGroup := logging.NewLogGroup(c, "LogGroup", &logging.LogGroupProps{
		Key: p.LogKey, RetentionDays: p.LogRetentionDays, Destroy: p.Destroy,
	})
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Execution role of " + id + ": its own log group and X-Ray, plus grants"),
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: &[]*string{logGroup.LogGroupArn(), jsii.String(*logGroup.LogGroupArn() + ":log-stream:*")},
	}))
	env := map[string]*string{}
	for k, v := range p.Environment {
		env[k] = jsii.String(v)
	}
	if p.VersionVariable != "" {
		env[p.VersionVariable] = jsii.String(hash[:12])
	}
	fp := &awslambda.FunctionProps{
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code: awslambda.Code_FromAsset(jsii.String(filepath.Join(p.ModuleRoot, p.Package)), &awss3assets.AssetOptions{
			AssetHash:     jsii.String(hash),
			AssetHashType: awscdk.AssetHashType_CUSTOM,
			Bundling: &awscdk.BundlingOptions{
				// Never pulled: the local bundler always succeeds or stops synth.
				Image: awscdk.DockerImage_FromRegistry(jsii.String("local-go-build-only")),
				Local: &goBundler{root: p.ModuleRoot, pkg: p.Package},
			},
		}),
		Role:                  role,
		Environment:           &env,
		MemorySize:            jsii.Number(p.MemoryMB),
		Timeout:               awscdk.Duration_Millis(jsii.Number(p.Timeout.Milliseconds())),
		Description:           jsii.String(p.Description),
		Tracing:               awslambda.Tracing_ACTIVE,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
		SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
		LogGroup:              logGroup,
	}
	if p.Vpc != nil {
		// CDK's Function attaches AWSLambdaVPCAccessExecutionRole only to a role it creates;
		// without it, creating the function fails (no ec2:CreateNetworkInterface).
		role.AddManagedPolicy(awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String("service-role/AWSLambdaVPCAccessExecutionRole")))
		fp.Vpc = p.Vpc
		fp.VpcSubnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}
		fp.SecurityGroups = &p.SecurityGroups
		nag.Suppress(role, true, "AwsSolutions-IAM4",
			"In a VPC, Lambda creates the function's network interfaces with its execution role: AWS's AWSLambdaVPCAccessExecutionRole holds exactly those EC2 actions (CreateNetworkInterface, DescribeNetworkInterfaces, DeleteNetworkInterface, Assign/UnassignPrivateIpAddresses, DescribeSubnets) and the log actions; attached to the function's role when it runs in a VPC.",
			"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole")
	}
	fn := awslambda.NewFunction(c, jsii.String("Resource"), fp)
	nag.Suppress(role, true, "AwsSolutions-IAM5",
		"A function writes to log streams that Lambda names at run time, all inside its own log group.", nag.LogStreams)
	nag.Suppress(role, true, "AwsSolutions-IAM5",
		"Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.", "Resource::*")
	out := &GoFunction{Construct: c, Function: fn, Role: role, LogGroup: logGroup, SourceHash: hash}
	if p.Live {
		out.Version = fn.CurrentVersion()
		out.Alias = awslambda.NewAlias(c, jsii.String("Live"), &awslambda.AliasProps{
			AliasName:   jsii.String(AliasName),
			Version:     out.Version,
			Description: jsii.String("What callers invoke; CodeDeploy moves it to each new version"),
		})
	}
	return out
}

// goBundler compiles the function with the shared build command. It must be a pointer
// with a pointer receiver: jsii cannot call methods on an unaddressable value.
type goBundler struct {
	root, pkg string
}

// TryBundle builds bootstrap into outputDir; a compile error stops synth with the
// compiler's message rather than falling back to Docker.
func (b *goBundler) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	synthprof.Mark("synthesis")
	defer synthprof.Mark("bundling")
	cmd := build.Command(b.root, b.pkg, *outputDir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		panic(fmt.Sprintf("gofunction: go build %s failed: %v\n%s", b.pkg, err, out.String()))
	}
	return jsii.Bool(true)
}

// sourceHashes are the source sourceHashes computed in this process, by module root and package:
// `go list` is the slow part of hashing, and synth asks once per function and
// environment.
var sourceHashes sync.Map // root + "\x00" + pkg -> *pendingHash

// pendingHash is a source hash that is, or is being, computed.
type pendingHash struct {
	done chan struct{}
	hash string
	err  error
}

// Prefetch starts hashing the packages (directories relative to root) with one `go list`
// in the background, while the caller starts the jsii kernel and builds constructs: synth
// then finds the sourceHashes ready. Packages hashed or being hashed already are left alone.
func Prefetch(root string, pkgs ...string) {
	var todo []string
	var pending []*pendingHash
	for _, pkg := range pkgs {
		p := &pendingHash{done: make(chan struct{})}
		if _, loaded := sourceHashes.LoadOrStore(root+"\x00"+pkg, p); !loaded {
			todo, pending = append(todo, pkg), append(pending, p)
		}
	}
	if len(todo) == 0 {
		return
	}
	go func() {
		sums, err := build.SourceHashes(root, todo...)
		for i, p := range pending {
			p.hash, p.err = sums[todo[i]], err
			close(p.done)
		}
	}()
}

// SourceHash is build.SourceHash, computed once per module root and package for the life
// of the process (see Prefetch).
func SourceHash(root, pkg string) (string, error) {
	Prefetch(root, pkg)
	v, _ := sourceHashes.Load(root + "\x00" + pkg)
	p := v.(*pendingHash)
	<-p.done
	if p.err != nil {
		return "", fmt.Errorf("gofunction: %w", p.err)
	}
	return p.hash, nil
}
