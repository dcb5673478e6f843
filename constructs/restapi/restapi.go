// Package restapi makes an API Gateway REST API that is safe by construction: every route
// is Cognito-authorized unless declared public, bodies are validated against models before
// a function runs, access logs are JSON, execution logging, metrics and X-Ray are on, the
// stage is throttled, and gateway errors use the app's JSON error shape, with Retry-After
// on those worth retrying.
package restapi

import (
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/logging"
	"github.com/example/notesplatform/constructs/nag"
)

// RestAPI is the REST API, its stage, its authorizer and its access log group.
type RestAPI struct {
	constructs.Construct
	// API is the REST API (construct id "Resource").
	API awsapigateway.RestApi
	// Authorizer checks Cognito tokens on every non-public method.
	Authorizer awsapigateway.IAuthorizer
	// AccessLogs receives one JSON line per request.
	AccessLogs awslogs.ILogGroup
	// ExecutionLogs receives API Gateway's execution logs of the stage.
	ExecutionLogs awslogs.ILogGroup
	// URL is the invoke URL of the stage, ending in "/".
	URL *string

	bodyValidator, paramValidator awsapigateway.IRequestValidator
	models                        map[string]awsapigateway.IModel
	allowed                       map[string]*allowList // resource path -> its methods
	shards                        map[int]awscdk.NestedStack
	root                          awsapigateway.IResource
	integrations                  map[awslambda.IFunction]awsapigateway.Integration
	shardCount                    int
	parentSegments                []string
	methodNotAllowed              MethodNotAllowed
}

// Props configures the API.
type Props struct {
	// Name of the API in the console. Required.
	Name string
	// Description is shown in the API Gateway console. Default: "REST API".
	Description string
	// StageName is the single stage; it is also the first path segment of every URL.
	// Default: "api", so CloudFront can forward /api/* unchanged.
	StageName string
	// UserPool issues the tokens the authorizer accepts. Required.
	UserPool awscognito.IUserPool
	// LogKey encrypts the access log group. Required.
	LogKey awskms.IKey
	// LogRetentionDays is the access log retention. Default: 30.
	LogRetentionDays int
	// RateLimit is the stage's steady-state requests per second. Default: 50.
	RateLimit int
	// BurstLimit is the stage's burst. Default: 100.
	BurstLimit int
	// Errors renders API Gateway's own error responses (keyed by response type, such as
	// UNAUTHORIZED) in the app's error shape. Default: none, API Gateway's {"message"}.
	Errors map[string]ErrorResponse
	// RetryAfter is the Retry-After header of those of Errors that invite a retry:
	// throttling (Status 429), every Status of 500 and above (an integration timeout, a
	// refused invocation) and DEFAULT_5XX (a function that failed). Whole seconds.
	// Default: 1 second.
	RetryAfter time.Duration
	// MethodNotAllowed renders the 405 answer of the ANY method that each resource with
	// routes gets for the methods its routes do not list. Required.
	MethodNotAllowed MethodNotAllowed
	// WebACL puts an AWS WAF web ACL (managed rules, per-IP rate limit) in front of the
	// stage, for an API that clients call on its own endpoint: behind a CloudFront
	// distribution the per-IP limit would count CloudFront's servers, and the site's
	// OriginCheck (constructs/staticsite) guards the stage instead. Default: false.
	WebACL bool
	// Destroy deletes the access log group with the stack. Default: false, retained.
	Destroy bool
	// RouteShards is how many nested stacks the routes spread over, by the first segment
	// of their path, so that an API of hundreds of routes stays far from CloudFormation's
	// 500 resources per template. A path's shard depends on nothing but its first
	// segment, so adding or removing routes never moves another path between stacks
	// (API Gateway refuses to create a path in one stack while another still holds it).
	// Shards are made when their first route arrives. Default: 8.
	RouteShards int
	// ParentSegments are first path segments whose routes stay in the API's own stack:
	// paths deployed before routes were sharded, which cannot move without first being
	// deleted. Default: none.
	ParentSegments []string
}

var stagePattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,128}$`)

func (p *Props) withDefaults() Props {
	out := *p
	out.StageName = cmp.Or(out.StageName, "api")
	out.Description = cmp.Or(out.Description, "REST API")
	out.LogRetentionDays = cmp.Or(out.LogRetentionDays, 30)
	out.RateLimit = cmp.Or(out.RateLimit, 50)
	out.BurstLimit = cmp.Or(out.BurstLimit, 100)
	out.RouteShards = cmp.Or(out.RouteShards, 8)
	out.RetryAfter = cmp.Or(out.RetryAfter, time.Second)
	return out
}

func (p *Props) validate() error {
	var errs []error
	if p.Name == "" {
		errs = append(errs, errors.New("restapi: Name is required"))
	}
	if !stagePattern.MatchString(p.StageName) {
		errs = append(errs, fmt.Errorf("restapi: StageName %q: allowed is 1-128 of A-Z a-z 0-9 _", p.StageName))
	}
	if p.UserPool == nil {
		errs = append(errs, errors.New("restapi: UserPool is required: non-public routes are Cognito-authorized"))
	}
	if p.LogKey == nil {
		errs = append(errs, errors.New("restapi: LogKey is required: access logs are encrypted"))
	}
	if p.RouteShards < 1 || p.RouteShards > 64 {
		errs = append(errs, fmt.Errorf("restapi: RouteShards %d: allowed is 1..64", p.RouteShards))
	}
	if p.MethodNotAllowed.Allow == nil || p.MethodNotAllowed.Body == nil {
		errs = append(errs, errors.New("restapi: MethodNotAllowed.Allow and .Body are required: every resource answers other methods with 405"))
	}
	if p.RetryAfter < time.Second || p.RetryAfter > time.Hour || p.RetryAfter%time.Second != 0 {
		errs = append(errs, fmt.Errorf("restapi: RetryAfter %s: allowed is whole seconds from 1s to 1h (Retry-After counts seconds)", p.RetryAfter))
	}
	if p.RateLimit < 1 || p.BurstLimit < 1 || p.BurstLimit > 5000 {
		errs = append(errs, fmt.Errorf("restapi: RateLimit %d and BurstLimit %d: allowed are >= 1 and 1..5000", p.RateLimit, p.BurstLimit))
	}
	return errors.Join(errs...)
}

// ErrorResponse is how the API answers one kind of error that API Gateway makes itself.
type ErrorResponse struct {
	// Status replaces API Gateway's status code. Default: API Gateway's own when zero.
	Status int
	// Template is the application/json response template (VTL) of the body.
	Template string
}

// MethodNotAllowed renders the 405 answer of a resource's ANY method.
type MethodNotAllowed struct {
	// Allow is the Allow header value for the methods of a resource's routes.
	Allow func(methods []string) string
	// Body is the application/json response template (VTL) for a resource path.
	Body func(path string) string
}

// invitesRetry reports whether API Gateway's answer of this kind asks the client to
// come back later, and so carries Retry-After: throttling, and the 5xx answers (API
// Gateway's own 5xx, whatever its status, for DEFAULT_5XX).
func (e ErrorResponse) invitesRetry(kind string) bool {
	return e.Status == 429 || e.Status >= 500 || kind == "DEFAULT_5XX"
}

// gatewayResponseID turns DEFAULT_4XX into Default4xx: a stable construct id.
func gatewayResponseID(kind string) string {
	var b strings.Builder
	for _, part := range strings.Split(strings.ToLower(kind), "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// New makes the API.
func New(scope constructs.Construct, id string, props *Props) *RestAPI {
	if props == nil {
		props = &Props{}
	}
	p := props.withDefaults()
	if err := p.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	logs := logging.NewLogGroup(c, "AccessLogs", &logging.LogGroupProps{
		Key: p.LogKey, RetentionDays: p.LogRetentionDays, Destroy: p.Destroy,
	})
	api := awsapigateway.NewRestApi(c, jsii.String("Resource"), &awsapigateway.RestApiProps{
		RestApiName:    jsii.String(p.Name),
		Description:    jsii.String(p.Description),
		EndpointTypes:  &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		CloudWatchRole: jsii.Bool(false), // the Base stack owns the account-level role
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String(p.StageName),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(logs),
			AccessLogFormat: awsapigateway.AccessLogFormat_JsonWithStandardFields(&awsapigateway.JsonWithStandardFieldProps{
				Caller: jsii.Bool(false), HttpMethod: jsii.Bool(true), Ip: jsii.Bool(true), Protocol: jsii.Bool(true),
				RequestTime: jsii.Bool(true), ResourcePath: jsii.Bool(true), ResponseLength: jsii.Bool(true),
				Status: jsii.Bool(true), User: jsii.Bool(true),
			}),
			LoggingLevel:         awsapigateway.MethodLoggingLevel_INFO,
			DataTraceEnabled:     jsii.Bool(false), // full request logging would record tokens and note contents
			MetricsEnabled:       jsii.Bool(true),
			TracingEnabled:       jsii.Bool(true),
			ThrottlingRateLimit:  jsii.Number(p.RateLimit),
			ThrottlingBurstLimit: jsii.Number(p.BurstLimit),
		},
	})
	// API Gateway would create the execution log group itself, unencrypted and kept
	// forever; made here first, it is encrypted and expires like every other log.
	execLogs := logging.NewLogGroup(c, "ExecutionLogs", &logging.LogGroupProps{
		Key: p.LogKey, RetentionDays: p.LogRetentionDays, Destroy: p.Destroy,
		Name: *awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("API-Gateway-Execution-Logs_"), api.RestApiId(), jsii.String("/" + p.StageName),
		}),
	})
	api.DeploymentStage().Node().AddDependency(execLogs)
	for _, kind := range slices.Sorted(maps.Keys(p.Errors)) {
		e := p.Errors[kind]
		opts := &awsapigateway.GatewayResponseOptions{
			Type:      awsapigateway.ResponseType_Of(jsii.String(kind)),
			Templates: &map[string]*string{"application/json": jsii.String(e.Template)},
		}
		if e.Status != 0 {
			opts.StatusCode = jsii.String(strconv.Itoa(e.Status))
		}
		if e.invitesRetry(kind) {
			seconds := strconv.Itoa(int(p.RetryAfter / time.Second))
			opts.ResponseHeaders = &map[string]*string{"Retry-After": jsii.String("'" + seconds + "'")}
		}
		api.AddGatewayResponse(jsii.String(gatewayResponseID(kind)), opts)
	}
	authorizer := awsapigateway.NewCognitoUserPoolsAuthorizer(c, jsii.String("Authorizer"), &awsapigateway.CognitoUserPoolsAuthorizerProps{
		CognitoUserPools: &[]awscognito.IUserPool{p.UserPool},
	})
	out := &RestAPI{
		Construct:     c,
		API:           api,
		Authorizer:    authorizer,
		AccessLogs:    logs,
		ExecutionLogs: execLogs,
		URL:           api.Url(),
		bodyValidator: api.AddRequestValidator(jsii.String("BodyValidator"), &awsapigateway.RequestValidatorOptions{
			ValidateRequestBody: jsii.Bool(true), ValidateRequestParameters: jsii.Bool(true),
		}),
		paramValidator: api.AddRequestValidator(jsii.String("ParamValidator"), &awsapigateway.RequestValidatorOptions{
			ValidateRequestBody: jsii.Bool(false), ValidateRequestParameters: jsii.Bool(true),
		}),
		models:           map[string]awsapigateway.IModel{},
		allowed:          map[string]*allowList{},
		shards:           map[int]awscdk.NestedStack{},
		shardCount:       p.RouteShards,
		parentSegments:   p.ParentSegments,
		methodNotAllowed: p.MethodNotAllowed,
		root:             api.Root(),
		integrations:     map[awslambda.IFunction]awsapigateway.Integration{},
	}
	if p.WebACL {
		out.newWebACL(p.Name)
	}
	return out
}

// Route is one method of the API.
type Route struct {
	// Method is GET, POST, PUT, PATCH or DELETE.
	Method string
	// Path like /notes/{id}.
	Path string
	// Function handles the request through a proxy integration.
	Function awslambda.IFunction
	// Public skips the authorizer. Default: false, Cognito-authorized.
	Public bool
	// ModelName and Model describe the JSON body. Default: no body validation.
	ModelName string
	Model     *awsapigateway.JsonSchema
	// Query lists the accepted (optional) query-string parameters.
	Query []string
}

// AddRoute adds one method; the resource path is created as needed, in the stack that
// holds the path's first segment (see Props.RouteShards).
func (r *RestAPI) AddRoute(route Route) awsapigateway.Method {
	res := r.root
	for i, seg := range strings.Split(strings.Trim(route.Path, "/"), "/") {
		switch child := res.GetResource(jsii.String(seg)); {
		case child != nil:
			res = child
		case i == 0 && !slices.Contains(r.parentSegments, seg):
			res = awsapigateway.NewResource(r.shardOf(seg), jsii.String(seg), &awsapigateway.ResourceProps{
				Parent: r.root, PathPart: jsii.String(seg),
			})
		default:
			res = res.AddResource(jsii.String(seg), nil)
		}
	}
	opts := &awsapigateway.MethodOptions{RequestValidator: r.paramValidator}
	if route.Public {
		opts.AuthorizationType = awsapigateway.AuthorizationType_NONE
	} else {
		opts.AuthorizationType = awsapigateway.AuthorizationType_COGNITO
		opts.Authorizer = r.Authorizer
	}
	params := map[string]*bool{}
	for _, q := range route.Query {
		params["method.request.querystring."+q] = jsii.Bool(false)
	}
	for _, seg := range strings.Split(route.Path, "/") {
		if strings.HasPrefix(seg, "{") {
			params["method.request.path."+strings.Trim(seg, "{}")] = jsii.Bool(true)
		}
	}
	if len(params) > 0 {
		opts.RequestParameters = &params
	}
	if route.Model != nil {
		model, ok := r.models[route.ModelName]
		if !ok {
			model = r.API.AddModel(jsii.String(route.ModelName), &awsapigateway.ModelOptions{
				ContentType: jsii.String("application/json"),
				ModelName:   jsii.String(route.ModelName),
				Schema:      route.Model,
			})
			r.models[route.ModelName] = model
		}
		opts.RequestModels = &map[string]awsapigateway.IModel{"application/json": model}
		opts.RequestValidator = r.bodyValidator
	}
	// One invoke permission per function for the whole API (its execution ARN
	// <api-id>/*/*/*), not two per method: a function's resource-based policy stays one
	// statement however many routes it serves. The function's own router answers any
	// method and path that is not one of its routes with 404 or 405.
	integration, ok := r.integrations[route.Function]
	if !ok {
		integration = awsapigateway.NewLambdaIntegration(route.Function, &awsapigateway.LambdaIntegrationOptions{
			ScopePermissionToMethod: jsii.Bool(false),
		})
		r.integrations[route.Function] = integration
	}
	method := res.AddMethod(jsii.String(route.Method), integration, opts)
	r.allowMethod(res, "/"+strings.Trim(route.Path, "/"), route.Method)
	return method
}

// shardOf returns the nested stack that holds the resources and methods of paths with
// this first segment. The shard is a hash of the segment alone, so it never changes as
// routes come and go. (ParentSegments stay under the API's root resource, where their
// logical ids have always been.)
func (r *RestAPI) shardOf(segment string) awscdk.NestedStack {
	h := fnv.New32a()
	h.Write([]byte(segment))
	shard := int(h.Sum32() % uint32(r.shardCount))
	if st, ok := r.shards[shard]; ok {
		return st
	}
	st := awscdk.NewNestedStack(r.Construct, jsii.String(fmt.Sprintf("Routes%d", shard)), &awscdk.NestedStackProps{
		Description: jsii.String(fmt.Sprintf("Routes of shard %d of %s: paths whose first segment hashes to %d", shard, *r.API.RestApiName(), shard)),
	})
	r.shards[shard] = st
	return st
}

// allowList renders a resource's methods as the Allow header of its 405 answer, once all
// routes are added.
type allowList struct {
	methods []string
	render  func(methods []string) string
}

// Produce is called at synthesis: a pointer receiver, as jsii requires.
func (a *allowList) Produce() *string {
	return jsii.String("'" + a.render(a.methods) + "'")
}

// allowMethod records the method and, for the resource's first route, adds an ANY
// method that answers 405 with an Allow header from a mock integration: a method that the
// route table does not list never reaches a function.
func (r *RestAPI) allowMethod(res awsapigateway.IResource, path, method string) {
	if list, ok := r.allowed[path]; ok {
		list.methods = append(list.methods, method)
		slices.Sort(list.methods)
		return
	}
	list := &allowList{methods: []string{method}, render: r.methodNotAllowed.Allow}
	r.allowed[path] = list
	anyMethod := res.AddMethod(jsii.String("ANY"), awsapigateway.NewMockIntegration(&awsapigateway.IntegrationOptions{
		PassthroughBehavior: awsapigateway.PassthroughBehavior_NEVER,
		RequestTemplates:    &map[string]*string{"application/json": jsii.String(`{"statusCode": 405}`)},
		IntegrationResponses: &[]*awsapigateway.IntegrationResponse{{
			StatusCode: jsii.String("405"),
			ResponseParameters: &map[string]*string{
				"method.response.header.Allow": awscdk.Lazy_String(list, nil),
			},
			ResponseTemplates: &map[string]*string{"application/json": jsii.String(r.methodNotAllowed.Body(path))},
		}},
	}), &awsapigateway.MethodOptions{
		AuthorizationType: awsapigateway.AuthorizationType_NONE,
		MethodResponses: &[]*awsapigateway.MethodResponse{{
			StatusCode:         jsii.String("405"),
			ResponseParameters: &map[string]*bool{"method.response.header.Allow": jsii.Bool(true)},
		}},
	})
	nag.SuppressRules(anyMethod, false,
		"ANY on "+path+" only answers 405 from a mock integration: it reaches no function and no data, so it needs no authorizer.",
		"AwsSolutions-APIG4", "AwsSolutions-COG4")
}
