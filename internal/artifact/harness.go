package artifact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/example/notesplatform/internal/apigateway"
	"github.com/example/notesplatform/internal/awscalls"
	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/internal/dynalite"
	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/lambdas/build"
)

// Options configure Start.
type Options struct {
	// ModuleRoot is the repository root. Default: the nearest go.mod above the working
	// directory.
	ModuleRoot string
	// CDKOut is the cloud assembly directory. Default: <ModuleRoot>/cdk.out.
	CDKOut string
	// Stage is the stage to run. Default: "dev".
	Stage string
	// Log receives the emulators', functions' and dynalite's output as it happens.
	// Default: kept in memory and quoted in failures.
	Log io.Writer
	// NativeBuild runs, instead of each bundle, the same package built by lambdas/build's
	// command for this machine's architecture into BuildDir: for timing, which means
	// nothing under qemu. The bundles are still checked. Default: run the bundles.
	NativeBuild bool
	// BuildDir receives the native builds. Required with NativeBuild.
	BuildDir string
	// Functions names the functions to run (lambdas/api names, operational ones
	// included); the others are loaded and checked but not started, and a request for
	// them fails. An empty, non-nil list starts none (the caller starts its own
	// instances: StartInstanceWith). Default (nil): every function of the stage.
	Functions []string
}

// Harness is a stage's functions running under the emulator against local stand-ins of
// the AWS services they call, behind the stage's REST API as its template defines it.
type Harness struct {
	// Assembly is the stage's cloud assembly; Resolver (the Assembly's) gives its resources
	// local ids.
	Assembly *Assembly
	Resolver *cfn.Resolver
	// Functions are the stage's Go functions that serve the API; Operational those that
	// serve no route (the pre-traffic check); Others the CDK-owned ones, not run here.
	Functions   []*Function
	Operational []*Function
	Others      []Other
	// Gateway is the REST API of the template.
	Gateway *Gateway
	// Instances are the running functions by name, operational ones included.
	Instances map[string]*Instance
	// Lambda and CodeDeploy are the stand-ins of those services: Lambda invokes the
	// running functions by deployed name and qualifier.
	Lambda     *Lambda
	CodeDeploy *CodeDeploy
	// Environments are the resolved template environments by function name.
	Environments map[string]map[string]string
	// Recorder has every AWS call each function made (principal = function name).
	Recorder *awscalls.Recorder
	// DynamoDB reaches dynalite directly, bypassing the recorder (for test setup only).
	DynamoDB *dynamodb.Client
	// Emulator is how the functions run on this machine.
	Emulator *Emulator

	closers     []func()
	recorderURL string
	log         io.Writer
}

// Load reads the stage's functions and checks that cdk.out is fresh and that every
// function's bundle and configuration are what Lambda needs (CheckBundle), without
// starting anything. Errors that `make synth` fixes wrap ErrRunSynth.
func Load(opts Options) (*Harness, error) {
	if opts.ModuleRoot == "" {
		root, err := repo.Root()
		if err != nil {
			return nil, err
		}
		opts.ModuleRoot = root
	}
	if opts.CDKOut == "" {
		opts.CDKOut = filepath.Join(opts.ModuleRoot, "cdk.out")
	}
	if opts.Stage == "" {
		opts.Stage = "dev"
	}
	asm, err := LoadStage(opts.CDKOut, opts.Stage)
	if err != nil {
		return nil, err
	}
	fns, others, err := asm.Functions()
	if err != nil {
		return nil, err
	}
	ops, err := asm.OperationalFunctions()
	if err != nil {
		return nil, err
	}
	if err := CheckFresh(opts.ModuleRoot, append(slices.Clone(fns), ops...)); err != nil {
		return nil, err
	}
	h := &Harness{Assembly: asm, Resolver: asm.Resolver, Functions: fns, Operational: ops, Others: others,
		Instances: map[string]*Instance{}, Environments: map[string]map[string]string{}}
	var errs []error
	for _, f := range h.All() {
		env, err := asm.Environment(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		h.Environments[f.Name] = env
		errs = append(errs, CheckBundle(f, env))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if h.Gateway, err = newGateway(asm, h.Resolver, fns); err != nil {
		return nil, err
	}
	return h, nil
}

// Start loads the stage (Load), then starts dynalite with the stage's tables, the
// Secrets Manager stand-in with the stage's secrets, the call recorder in front of both,
// and every function under the emulator. Close stops everything.
func Start(ctx context.Context, opts Options) (*Harness, error) {
	if opts.ModuleRoot == "" {
		root, err := repo.Root()
		if err != nil {
			return nil, err
		}
		opts.ModuleRoot = root
	}
	if opts.NativeBuild && opts.BuildDir == "" {
		return nil, errors.New("artifact: NativeBuild needs a BuildDir")
	}
	h, err := Load(opts)
	if err != nil {
		return nil, err
	}
	if err := h.start(ctx, opts); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

func (h *Harness) start(ctx context.Context, opts Options) error {
	h.log = opts.Log
	if opts.NativeBuild {
		if err := h.buildNative(opts); err != nil {
			return err
		}
	}
	var run []*Function
	for _, f := range h.All() {
		if opts.Functions == nil || slices.Contains(opts.Functions, f.Name) {
			run = append(run, f)
		}
	}
	if len(run) == 0 && len(opts.Functions) > 0 {
		return fmt.Errorf("artifact: Options.Functions %v names none of the stage's functions %v", opts.Functions, names(h.All()))
	}
	var archs []string
	for _, f := range h.All() { // StartInstanceWith may start any of them later
		archs = append(archs, f.Architecture)
	}
	// Finding the emulator and starting dynalite each wait on a process: overlap them.
	emulated := make(chan error, 1)
	go func() {
		var err error
		h.Emulator, err = NewEmulator(opts.ModuleRoot, archs)
		emulated <- err
	}()
	endpoint, stop, err := dynalite.Start(ctx, dynalite.Options{Log: opts.Log})
	if err != nil {
		<-emulated
		return err
	}
	h.closers = append(h.closers, func() { _ = stop() })
	h.DynamoDB = dynalite.NewClient(endpoint)
	err = h.createTables(ctx)
	if err := errors.Join(err, <-emulated); err != nil {
		return err
	}
	secrets := &SecretsManager{}
	if err := h.addSecrets(secrets); err != nil {
		return err
	}

	account := h.Functions[0].Stack.Account
	h.Recorder = awscalls.New(account)
	if err := h.Recorder.Forward("dynamodb", endpoint); err != nil {
		return err
	}
	h.Recorder.Service("secretsmanager", secrets)
	region := h.Functions[0].Stack.Region
	h.Lambda, h.CodeDeploy = NewLambda(region, account), NewCodeDeploy(region, account)
	h.Recorder.Service("lambda", h.Lambda)
	h.Recorder.Service("codedeploy", h.CodeDeploy)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h.Recorder, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	h.closers = append(h.closers, func() { _ = srv.Close() })
	h.recorderURL = "http://" + l.Addr().String()

	// The emulators start side by side: each waits until its emulator listens.
	envs := make([][]string, len(run))
	for i, f := range run {
		if envs[i], err = h.lambdaEnvironment(f, h.recorderURL); err != nil {
			return err
		}
	}
	instances := make([]*Instance, len(run))
	errs := make([]error, len(run))
	var wg sync.WaitGroup
	for i, f := range run {
		wg.Go(func() { instances[i], errs[i] = h.Emulator.Start(f, envs[i], h.log) })
	}
	wg.Wait()
	for i, f := range run {
		if instances[i] == nil {
			continue
		}
		h.Instances[f.Name] = instances[i]
		h.closers = append(h.closers, instances[i].Stop)
		name, err := h.Resolver.Ref(f.Stack, f.LogicalID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		h.Lambda.Add(name, cfn.LambdaVersion, instances[i], h.aliasesOf(f)...)
	}
	return errors.Join(errs...)
}

func names(fns []*Function) []string {
	out := make([]string, len(fns))
	for i, f := range fns {
		out[i] = f.Name
	}
	return out
}

// All returns the stage's Go functions: the API's, then the operational ones.
func (h *Harness) All() []*Function {
	return append(slices.Clone(h.Functions), h.Operational...)
}

// aliasesOf names the aliases of f in the template (they point at its version).
func (h *Harness) aliasesOf(f *Function) []string {
	var out []string
	for _, res := range f.Stack.Template.Resources {
		ref, _ := res.Properties["FunctionName"].(map[string]any)
		if res.Type == "AWS::Lambda::Alias" && ref["Ref"] == f.LogicalID {
			if name, err := h.Resolver.String(f.Stack, res.Properties["Name"]); err == nil {
				out = append(out, name)
			}
		}
	}
	return out
}

// StartInstance starts one more execution environment of f (a cold start: the bootstrap
// starts on its first invocation). The caller stops it.
func (h *Harness) StartInstance(f *Function) (*Instance, error) {
	return h.StartInstanceWith(f, nil)
}

// StartInstanceWith is StartInstance with the AWS endpoints of some services replaced,
// keyed by the SDK's service id (dynamodb.ServiceID, secretsmanager.ServiceID): a proxy
// in between the function and the recorder (RecorderURL), for fault injection. f may be a
// copy of a stage's function with another TimeoutSeconds, which the emulator then
// enforces.
func (h *Harness) StartInstanceWith(f *Function, endpoints map[string]string) (*Instance, error) {
	env, err := h.lambdaEnvironment(f, h.recorderURL)
	if err != nil {
		return nil, err
	}
	for service, url := range endpoints {
		// The SDK's service-specific variable: AWS_ENDPOINT_URL_ and the service id in
		// upper case, spaces as underscores (AWS_ENDPOINT_URL_SECRETS_MANAGER).
		key := "AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(service), " ", "_") + "="
		i := slices.IndexFunc(env, func(kv string) bool { return strings.HasPrefix(kv, key) })
		if i < 0 {
			return nil, fmt.Errorf("artifact: no endpoint variable %s for service %q", strings.TrimSuffix(key, "="), service)
		}
		env[i] = key + url
	}
	return h.Emulator.Start(f, env, h.log)
}

// RecorderURL is the URL of the recorder of AWS calls, in front of the stand-ins.
func (h *Harness) RecorderURL() string { return h.recorderURL }

// Payload returns the function that serves req and the event API Gateway would send it.
func (h *Harness) Payload(req Request) (*Function, []byte, error) {
	route, params, ok := h.Gateway.Match(req.Method, req.Path)
	if !ok {
		return nil, nil, fmt.Errorf("no route of the deployed API serves %s %s", req.Method, req.Path)
	}
	requestID := uuidOf(fmt.Sprint("request/", req.Method, req.Path, time.Now().UnixNano()))
	b, err := apigateway.EventPayload(h.Gateway.Event(route, params, req, requestID, time.Now()))
	return route.Function, b, err
}

// buildNative replaces each function's bundle by a build of its package for this machine.
func (h *Harness) buildNative(opts Options) error {
	goarch := runtime.GOARCH
	for _, f := range h.All() {
		dir := filepath.Join(opts.BuildDir, f.Name)
		cmd := build.Command(opts.ModuleRoot, f.API.Package, dir)
		cmd.Env = append(cmd.Env, "GOARCH="+goarch)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: native build of %s: %v\n%s", f.Name, f.API.Package, err, out)
		}
		f.AssetDir, f.Architecture = dir, HostArchitecture()
	}
	return nil
}

// Close stops the functions, the recorder and dynalite.
func (h *Harness) Close() {
	for i := len(h.closers) - 1; i >= 0; i-- {
		h.closers[i]()
	}
	h.closers = nil
}

// Do sends a request through the stage's REST API: the route of the template, a 401 for a
// Cognito route without a user (as the authorizer answers), else the proxy event to the
// running artifact and its answer as API Gateway renders it.
func (h *Harness) Do(ctx context.Context, req Request) (Response, error) {
	return h.DoOn(ctx, nil, req)
}

// DoOn is Do through one execution environment of the route's function (in, from
// StartInstanceWith), as Lambda would pick it; a nil in is the stage's own.
func (h *Harness) DoOn(ctx context.Context, in *Instance, req Request) (Response, error) {
	route, params, ok := h.Gateway.Match(req.Method, req.Path)
	if !ok {
		return Response{}, fmt.Errorf("no route of the deployed API serves %s %s", req.Method, req.Path)
	}
	requestID := uuidOf(fmt.Sprint("request/", req.Method, req.Path, time.Now().UnixNano()))
	if route.Cognito && req.User == "" {
		return h.Gateway.Responses().Answer("UNAUTHORIZED", 401, "Unauthorized", requestID), nil
	}
	payload, err := apigateway.EventPayload(h.Gateway.Event(route, params, req, requestID, time.Now()))
	if err != nil {
		return Response{}, err
	}
	if in == nil {
		in = h.Instances[route.Function.Name]
	}
	if in == nil {
		return Response{}, fmt.Errorf("function %s is not running", route.Function.Name)
	}
	if in.Function.Name != route.Function.Name {
		return Response{}, fmt.Errorf("%s %s is served by %s, not by the instance of %s", req.Method, req.Path, route.Function.Name, in.Function.Name)
	}
	out, err := in.Invoke(ctx, payload)
	if err != nil {
		return Response{}, err
	}
	return toResponse(route.Function.Name, out, requestID)
}

// warmUpPath is the path of Warm's invocations: no route of any API has it.
const warmUpPath = "/.warm-up"

// Warm starts the execution environment of API function instances (their bootstrap's
// init) with one invocation that no route matches: the router answers it 404 without an
// AWS call and logs it as route "unmatched". The emulator counts a function's init
// against its first invocation's timeout, where Lambda gives init its own budget; under
// qemu on a busy machine an init takes seconds, which would otherwise be taken from a
// test's first request. As many inits run at once as the machine has CPUs, and one that
// the emulator timed out (it then starts the environment again on the next invocation)
// is tried again, twice at most. Default: the stage's running API functions.
func (h *Harness) Warm(ctx context.Context, ins ...*Instance) error {
	if len(ins) == 0 {
		for _, f := range h.Functions {
			if in := h.Instances[f.Name]; in != nil {
				ins = append(ins, in)
			}
		}
	}
	errs := make([]error, len(ins))
	slots := make(chan struct{}, max(2, runtime.NumCPU()))
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			for try := 1; ; try++ {
				err := h.warm(ctx, in)
				var te *TimeoutError
				if err == nil || !errors.As(err, &te) || try == 3 {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// warm sends one warm-up invocation to in.
func (h *Harness) warm(ctx context.Context, in *Instance) error {
	f := in.Function
	requestID := uuidOf(fmt.Sprint("warm-up/", f.Name, time.Now().UnixNano()))
	ev := h.Gateway.options().Event(apigateway.Request{Method: "GET", Path: warmUpPath, SourceIP: clientIP},
		apigateway.Invocation{Resource: warmUpPath, RequestID: requestID, Time: time.Now()})
	payload, err := apigateway.EventPayload(ev)
	if err == nil {
		var out []byte
		if out, err = in.Invoke(ctx, payload); err == nil {
			var resp Response
			if resp, err = toResponse(f.Name, out, requestID); err == nil && resp.Status != http.StatusNotFound {
				err = fmt.Errorf("answered %d %s to a path no route has, want 404", resp.Status, resp.Body)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("%s: warm-up: %w", f.Name, err)
	}
	return nil
}

// Calls returns every AWS call the functions made, in order (see awscalls.Call).
func (h *Harness) Calls() []awscalls.Call { return h.Recorder.Calls() }

// Credentials are the keys a function signs with here; the recorder attributes each call
// to the function by its access key id.
func Credentials(f *Function) (accessKeyID, secretKey, sessionToken string) {
	h := strings.ToUpper(hashOf("credentials/" + f.Stack.Name + "/" + f.LogicalID))
	return "ASIA" + h[:16], hashOf("secret/" + h)[:40], "IQoJb3JpZ2luX2VjE" + hashOf("token/"+h)
}

// lambdaEnvironment is the environment Lambda gives the function (the variables it
// defines for an OS-only runtime), the template's variables, and the redirection of the
// AWS SDK to the recorder. Nothing of this process's environment is passed on.
func (h *Harness) lambdaEnvironment(f *Function, recorderURL string) ([]string, error) {
	name, err := h.Resolver.Ref(f.Stack, f.LogicalID)
	if err != nil {
		return nil, err
	}
	logGroup := "/aws/lambda/" + name
	if lc, ok := f.Properties["LoggingConfig"].(map[string]any); ok && lc["LogGroup"] != nil {
		if logGroup, err = h.Resolver.String(f.Stack, lc["LogGroup"]); err != nil {
			return nil, err
		}
	}
	key, secret, token := Credentials(f)
	h.Recorder.Principal(key, f.Name)
	now := time.Now().UTC()
	env := map[string]string{
		// Defined by Lambda for every function (reserved names).
		"_HANDLER":                        f.Handler,
		"AWS_REGION":                      f.Stack.Region,
		"AWS_DEFAULT_REGION":              f.Stack.Region,
		"AWS_LAMBDA_FUNCTION_NAME":        name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": fmt.Sprint(f.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       logGroup,
		"AWS_LAMBDA_LOG_STREAM_NAME":      now.Format("2006/01/02") + "/[$LATEST]" + hashOf(name + now.String())[:32],
		"AWS_ACCESS_KEY_ID":               key,
		"AWS_SECRET_ACCESS_KEY":           secret,
		"AWS_SESSION_TOKEN":               token,
		"LAMBDA_TASK_ROOT":                f.AssetDir,
		"LAMBDA_RUNTIME_DIR":              "/var/runtime",
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
		"PATH":                            "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LD_LIBRARY_PATH":                 "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
		// Read by the emulator: the template's timeout, and memory as Lambda reports it.
		"AWS_LAMBDA_FUNCTION_TIMEOUT": fmt.Sprint(f.TimeoutSeconds),
		// Test only: every AWS call goes to the recorder, which hands it to a stand-in.
		"AWS_ENDPOINT_URL":                 recorderURL,
		"AWS_ENDPOINT_URL_DYNAMODB":        recorderURL,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": recorderURL,
		"AWS_EC2_METADATA_DISABLED":        "true",
	}
	for k, v := range h.Environments[f.Name] {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out, nil
}

// createTables creates the stage's DynamoDB tables in dynalite from their template
// definitions (names from the Resolver, keys and indexes as declared).
func (h *Harness) createTables(ctx context.Context) error {
	for _, s := range h.Assembly.Stacks {
		for id, res := range s.Template.Resources {
			switch res.Type {
			case "AWS::DynamoDB::GlobalTable":
				return fmt.Errorf("%s: %s is an AWS::DynamoDB::GlobalTable, which the artifact tests do not create yet", s.Name, id)
			case "AWS::DynamoDB::Table":
			default:
				continue
			}
			name, err := h.Resolver.Ref(s, id)
			if err != nil {
				return err
			}
			props := map[string]any{"TableName": name}
			for _, k := range []string{"AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "BillingMode", "ProvisionedThroughput"} {
				if v, ok := res.Properties[k]; ok {
					if props[k], err = h.Resolver.Value(s, v); err != nil {
						return err
					}
				}
			}
			b, _ := json.Marshal(props)
			var in dynamodb.CreateTableInput
			if err := json.Unmarshal(b, &in); err != nil {
				return fmt.Errorf("%s: table %s: %w", s.Name, id, err)
			}
			if _, err := h.DynamoDB.CreateTable(ctx, &in); err != nil {
				return fmt.Errorf("%s: create table %s in dynalite from the template: %w", s.Name, id, err)
			}
			// CreateTable answers with the table CREATING, as DynamoDB does.
			waiter := dynamodb.NewTableExistsWaiter(h.DynamoDB, func(o *dynamodb.TableExistsWaiterOptions) {
				o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond
			})
			if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: in.TableName}, 30*time.Second); err != nil {
				return fmt.Errorf("%s: table %s in dynalite: %w", s.Name, id, err)
			}
		}
	}
	return nil
}

// addSecrets stores the stage's secrets in the stand-in: the template's SecretString, or
// a value generated as GenerateSecretString describes.
func (h *Harness) addSecrets(sm *SecretsManager) error {
	for _, s := range h.Assembly.Stacks {
		for id, res := range s.Template.Resources {
			if res.Type != "AWS::SecretsManager::Secret" {
				continue
			}
			arn, err := h.Resolver.Ref(s, id)
			if err != nil {
				return err
			}
			value, err := secretValue(h.Resolver, s, res)
			if err != nil {
				return fmt.Errorf("%s: secret %s: %w", s.Name, id, err)
			}
			if err := sm.Add(arn, value); err != nil {
				return err
			}
		}
	}
	return nil
}

func secretValue(r *cfn.Resolver, s *cfn.Stack, res cfn.Resource) (string, error) {
	if v, ok := res.Properties["SecretString"]; ok {
		return r.String(s, v)
	}
	spec, _ := res.Properties["GenerateSecretString"].(map[string]any)
	generated, err := generateSecret(spec)
	if err != nil {
		return "", err
	}
	tpl, _ := spec["SecretStringTemplate"].(string)
	key, _ := spec["GenerateStringKey"].(string)
	if tpl == "" || key == "" {
		return generated, nil
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(tpl), &obj); err != nil {
		return "", fmt.Errorf("SecretStringTemplate is not JSON: %w", err)
	}
	obj[key] = generated
	b, err := json.Marshal(obj)
	return string(b), err
}

// FunctionNames are the names of the stage's Go functions, sorted.
func (h *Harness) FunctionNames() []string {
	var out []string
	for _, f := range h.Functions {
		out = append(out, f.Name)
	}
	slices.Sort(out)
	return out
}
