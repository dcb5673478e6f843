// Package restapi makes an API Gateway REST API that is safe by construction: every route
// is Cognito-authorized unless declared public, bodies are validated against models before
// a function runs, access logs are JSON, execution logging, metrics and X-Ray are on, the
// stage is throttled, and gateway errors use the app's JSON error shape.
package restapi

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/logging"
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
}

// Props configures the API.
type Props struct {
	// Name of the API in the console. Required.
	Name string
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
	// WebACL puts an AWS WAF web ACL (managed rules, per-IP rate limit) in front of the
	// stage. Default: false.
	WebACL bool
	// Destroy deletes the access log group with the stack. Default: false, retained.
	Destroy bool
}

var stagePattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,128}$`)

func (p *Props) withDefaults() Props {
	out := *p
	if out.StageName == "" {
		out.StageName = "api"
	}
	if out.LogRetentionDays == 0 {
		out.LogRetentionDays = 30
	}
	if out.RateLimit == 0 {
		out.RateLimit = 50
	}
	if out.BurstLimit == 0 {
		out.BurstLimit = 100
	}
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
	if p.RateLimit < 1 || p.BurstLimit < 1 || p.BurstLimit > 5000 {
		errs = append(errs, fmt.Errorf("restapi: RateLimit %d and BurstLimit %d: allowed are >= 1 and 1..5000", p.RateLimit, p.BurstLimit))
	}
	return errors.Join(errs...)
}

// errorTemplate renders gateway-made errors (authorizer, validation, throttling) in the
// same {"error": {...}} shape as the functions' errors.
const errorTemplate = `{"error":{"code":"%s","message":$context.error.messageString,"requestId":"$context.requestId"}}`

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
		Description:    jsii.String("REST API generated from the route table in lambdas/api"),
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
	for _, gr := range []struct {
		id   string
		kind awsapigateway.ResponseType
		code string
	}{
		{"Default4xx", awsapigateway.ResponseType_DEFAULT_4XX(), "bad_request"},
		{"Default5xx", awsapigateway.ResponseType_DEFAULT_5XX(), "internal"},
		{"Unauthorized", awsapigateway.ResponseType_UNAUTHORIZED(), "unauthorized"},
		{"AccessDenied", awsapigateway.ResponseType_ACCESS_DENIED(), "forbidden"},
		{"Throttled", awsapigateway.ResponseType_THROTTLED(), "throttled"},
		{"MissingToken", awsapigateway.ResponseType_MISSING_AUTHENTICATION_TOKEN(), "not_found"},
		{"TooLarge", awsapigateway.ResponseType_REQUEST_TOO_LARGE(), "too_large"},
		{"UnsupportedMediaType", awsapigateway.ResponseType_UNSUPPORTED_MEDIA_TYPE(), "unsupported_media_type"},
	} {
		api.AddGatewayResponse(jsii.String(gr.id), &awsapigateway.GatewayResponseOptions{
			Type:      gr.kind,
			Templates: &map[string]*string{"application/json": jsii.String(fmt.Sprintf(errorTemplate, gr.code))},
		})
	}
	api.AddGatewayResponse(jsii.String("BadRequestBody"), &awsapigateway.GatewayResponseOptions{
		Type: awsapigateway.ResponseType_BAD_REQUEST_BODY(),
		Templates: &map[string]*string{"application/json": jsii.String(
			`{"error":{"code":"invalid_body","message":"$util.escapeJavaScript($context.error.validationErrorString)","requestId":"$context.requestId"}}`)},
	})
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
		models: map[string]awsapigateway.IModel{},
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

// AddRoute adds one method; the resource path is created as needed.
func (r *RestAPI) AddRoute(route Route) awsapigateway.Method {
	res := r.API.Root()
	for _, seg := range strings.Split(strings.Trim(route.Path, "/"), "/") {
		if child := res.GetResource(jsii.String(seg)); child != nil {
			res = child
		} else {
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
	return res.AddMethod(jsii.String(route.Method), awsapigateway.NewLambdaIntegration(route.Function, nil), opts)
}
