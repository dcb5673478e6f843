package stacks

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/alarms"
	"github.com/example/notesplatform/constructs/gofunction"
	"github.com/example/notesplatform/constructs/nag"
	"github.com/example/notesplatform/constructs/network"
	"github.com/example/notesplatform/constructs/removal"
	"github.com/example/notesplatform/constructs/restapi"
	"github.com/example/notesplatform/constructs/rollout"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/lambdas/api"
)

// BackendStack is the REST API and its Go functions, generated from the route table in
// lambdas/api.
type BackendStack struct {
	awscdk.Stack
	// API is the REST API; CloudFront forwards /api/* to it.
	API awsapigateway.IRestApi
	// APIURL is the stage's invoke URL, ending in "/api/".
	APIURL *string
	// APIURLOutput is the ApiUrl output, read by the pipeline's smoke test.
	APIURLOutput awscdk.CfnOutput
	// Functions are the functions by route-table name.
	Functions map[string]*gofunction.GoFunction
	// Alarms watch the functions and the API; the environment's dashboard shows them.
	Alarms []awscloudwatch.IAlarm
	// Failures count the functions' 5xx answers by cause (500 errors apart from 503 and
	// 504 dependency failures), from their request logs; the dashboard draws them.
	Failures *alarms.Failures
}

// BackendProps configures the Backend stack.
type BackendProps struct {
	awscdk.StackProps
	App      string
	Env      config.Environment
	Table    awsdynamodb.ITable
	UserPool awscognito.IUserPool
	LogKey   awskms.IKey
	// Network is the Base VPC; functions run in it when the environment's functions are
	// private.
	Network *network.Network
	// Routes is the route table the API and the functions are made from.
	// Default: api.Shipped().
	Routes *api.Table
}

// NewBackendStack makes the Backend stack from the route table (api.Shipped unless
// props.Routes names another).
func NewBackendStack(scope constructs.Construct, id string, props *BackendProps) *BackendStack {
	table := api.Shipped()
	if props.Routes != nil {
		table = *props.Routes
	}
	if err := table.Validate(); err != nil {
		panic(fmt.Errorf("lambdas/api route table: %w", err))
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	e := props.Env
	prefix := props.App + "-" + e.Name

	cursorKey := awssecretsmanager.NewSecret(stack, jsii.String("CursorKey"), &awssecretsmanager.SecretProps{
		Description: jsii.String("Signs the opaque list cursors of " + prefix + " so that clients cannot forge them"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength: jsii.Number(64), ExcludePunctuation: jsii.Bool(true),
		},
		RemovalPolicy: removal.Policy(e.Destroy()),
	})
	nag.Suppress(cursorKey, false, "AwsSolutions-SMG4",
		"The secret only signs pagination cursors; rotating it would invalidate every cursor in flight and protects no data. Replace it by redeploying if it leaks.")

	// API Gateway renders these templates (VTL) at request time; api.ErrorJSON writes the
	// shape, from parts that render to JSON.
	const requestID = `"$context.requestId"`
	gatewayErrors := map[string]restapi.ErrorResponse{}
	for kind, e := range api.GatewayErrors {
		message := "$context.error.messageString" // already a quoted JSON string
		if kind == api.GatewayBadRequestBody {
			// escapeJavaScript writes ' as \', which is not JSON; API Gateway's mapping
			// template reference gives this replaceAll as the fix.
			message = `"$util.escapeJavaScript($context.error.validationErrorString).replaceAll("\\'","'")"`
		}
		gatewayErrors[string(kind)] = restapi.ErrorResponse{Status: e.Status, Template: api.ErrorJSON(e.Code, message, requestID)}
	}
	rest := restapi.New(stack, "Api", &restapi.Props{
		Description: "REST API generated from the route table in lambdas/api",
		Errors:      gatewayErrors,
		RetryAfter:  api.RetryAfterSeconds * time.Second, // the functions' own Retry-After
		MethodNotAllowed: restapi.MethodNotAllowed{
			Allow: api.AllowHeader[string],
			Body: func(path string) string {
				return api.ErrorJSON(api.CodeMethodNotAllowed, api.QuoteJSON(api.MethodNotAllowedMessage("$context.httpMethod", path)), requestID)
			},
		},
		Name: prefix + "-api", UserPool: props.UserPool, LogKey: props.LogKey,
		LogRetentionDays: e.LogRetentionDays, Destroy: e.Destroy(),
		ParentSegments: unshardedSegments,
		// No web ACL of the API's own: every client comes through CloudFront, where a
		// per-IP limit counts viewers; here it would count CloudFront's servers.
		WebACL: false,
	})
	if e.WAF {
		nag.Suppress(rest.API, true, "AwsSolutions-APIG3",
			"config.environments."+e.Name+".waf is true: the Frontend stack associates this stage with a regional web ACL that refuses requests which did not come through the distribution (constructs/staticsite OriginCheck; it lives there so that it refuses only once CloudFront sends the header), and the distribution's CloudFront web ACL (Edge stack, us-east-1) holds the per-viewer rate limit and the managed rules.")
	} else {
		nag.Suppress(rest.API, true, "AwsSolutions-APIG3",
			"config.environments."+e.Name+".waf is false: this environment's API relies on stage throttling and Cognito authorization on every route but /health, without a billed WAF web ACL.")
	}

	alerts := alarms.New(stack, "Alarms", &alarms.Props{Email: e.AlarmEmail, Destroy: e.Destroy()})
	apiAlarms := alerts.OnAPI(rest.API, 3000)

	var vpc awsec2.IVpc
	var groups []awsec2.ISecurityGroup
	if e.Private() {
		vpc, groups = props.Network.Vpc, []awsec2.ISecurityGroup{functionsGroup(stack, props.Network)}
	}
	functions := map[string]*gofunction.GoFunction{}
	for _, f := range table.Functions {
		env := map[string]string{api.EnvAppName: props.App, api.EnvEnvironment: e.Name}
		if f.Access != api.NoTable {
			env[api.EnvTableName] = *props.Table.TableName()
		}
		if f.CursorKey {
			env[api.EnvCursorSecretArn] = *cursorKey.SecretArn()
		}
		fn := gofunction.New(stack, f.Name, &gofunction.Props{
			Package:          f.Package,
			Environment:      env,
			VersionVariable:  api.EnvBuildVersion,
			MemoryMB:         f.MemoryMB,
			Description:      f.Description,
			LogKey:           props.LogKey,
			LogRetentionDays: e.LogRetentionDays,
			Destroy:          e.Destroy(),
			Vpc:              vpc,
			SecurityGroups:   groups,
			Live:             true,
		})
		grantTable(props.Table, fn, f.Access)
		if f.CursorKey {
			// Only what lambdas/internal/secretkey calls (GrantRead would add
			// DescribeSecret, which nothing calls: test/artifact's replay lists it).
			fn.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("secretsmanager:GetSecretValue"),
				Resources: jsii.Strings(*cursorKey.SecretArn()),
			}))
		}
		alerts.OnFunction(f.Name, fn.Function)
		functions[f.Name] = fn
	}
	logGroups := map[string]awslogs.ILogGroup{}
	for name, fn := range functions {
		logGroups[name] = fn.LogGroup
	}
	failures, errorAlarms := alerts.OnRequestLogs(logGroups)
	rollouts(stack, props, table, functions, alerts, append(errorAlarms, apiAlarms...))
	for _, r := range table.Routes {
		route := restapi.Route{
			Method: string(r.Method), Path: r.Path, Function: functions[r.Function].Alias,
			Public: r.Auth == api.Public, Query: r.Query,
		}
		if r.Model != "" {
			route.ModelName = r.Model
			route.Model = JSONSchema(table.Models[r.Model])
		}
		method := rest.AddRoute(route)
		if route.Public {
			nag.Suppress(method, false, "AwsSolutions-APIG4", "Public by design in lambdas/api: "+route.Method+" "+r.Path+" is the unauthenticated health check.")
			nag.Suppress(method, false, "AwsSolutions-COG4", "Public by design in lambdas/api: "+route.Method+" "+r.Path+" is the unauthenticated health check.")
		}
	}
	out := awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{Value: rest.URL, Description: jsii.String("Invoke URL of the REST API stage")})
	var watching []awscloudwatch.IAlarm
	for _, a := range alerts.Alarms {
		watching = append(watching, a)
	}
	return &BackendStack{Stack: stack, API: rest.API, APIURL: rest.URL, APIURLOutput: out, Functions: functions, Alarms: watching, Failures: failures}
}

// rollouts move each function's live alias to its new version through CodeDeploy, in
// the environment's style, rolling back when the new version errs or is throttled, a
// function answers 500 or the API slows down (apiAlarms), but not when a dependency
// throttles, fails or times out (constructs/alarms says why); with the environment's
// pre-traffic hook, each new version is checked before it gets any traffic.
func rollouts(stack awscdk.Stack, props *BackendProps, table api.Table, functions map[string]*gofunction.GoFunction, alerts *alarms.Alarms, apiAlarms []awscloudwatch.IAlarm) {
	e := props.Env
	application := awscodedeploy.NewLambdaApplication(stack, jsii.String("Deployments"), &awscodedeploy.LambdaApplicationProps{
		ApplicationName: jsii.String(props.App + "-" + e.Name),
	})
	var hook *gofunction.GoFunction
	if e.Hook() {
		names := map[string]*string{}
		for _, f := range table.Functions {
			names[f.Name] = functions[f.Name].Function.FunctionName()
		}
		byDeployedName := map[string]any{}
		for name, deployed := range names {
			byDeployedName[*deployed] = name
		}
		hook = gofunction.New(stack, "PreTrafficCheck", &gofunction.Props{
			Package:          PreTrafficPackage,
			Environment:      map[string]string{"FUNCTIONS": *stack.ToJsonString(byDeployedName, nil)},
			MemoryMB:         128,
			Timeout:          time.Minute,
			Description:      "CodeDeploy pre-traffic check: invokes each new version before it gets traffic",
			LogKey:           props.LogKey,
			LogRetentionDays: e.LogRetentionDays,
			Destroy:          e.Destroy(),
		})
	}
	for _, f := range table.Functions {
		fn := functions[f.Name]
		r := rollout.New(stack, f.Name+"Rollout", &rollout.Props{
			Application: application,
			Function:    fn.Function,
			Alias:       fn.Alias,
			Style:       rollout.Style(e.Deployment),
			Alarms:      append(alerts.OnNewVersion(f.Name, fn.Function, fn.Alias, fn.Version), apiAlarms...),
			PreTrafficHook: func() awslambda.IFunction {
				if hook == nil {
					return nil
				}
				return hook.Function
			}(),
		})
		if hook != nil {
			hook.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("Check" + f.Name),
				Actions:   jsii.Strings("lambda:InvokeFunction"),
				Resources: jsii.Strings(*fn.Function.FunctionArn() + ":*"),
			}))
			nag.Suppress(hook.Role, true, "AwsSolutions-IAM5",
				"The pre-traffic check invokes the version each deployment brings; versions are qualifiers of this one function's ARN (<function arn>:<version>), unknown at synth.",
				"Resource::<"+*stack.GetLogicalId(fn.Function.Node().DefaultChild().(awscdk.CfnElement))+".Arn>:*")
			hook.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("Read" + f.Name + "Deployments"),
				Actions:   jsii.Strings("codedeploy:GetDeployment"),
				Resources: &[]*string{r.Group.DeploymentGroupArn()},
			}))
		}
	}
}

// functionsGroup lets the functions' network interfaces send HTTPS to the VPC's
// interface endpoints and to DynamoDB's gateway endpoint, and nothing else; nothing may
// connect to them.
func functionsGroup(stack awscdk.Stack, net *network.Network) awsec2.ISecurityGroup {
	sg := awsec2.NewSecurityGroup(stack, jsii.String("Functions"), &awsec2.SecurityGroupProps{
		Vpc:              net.Vpc,
		Description:      jsii.String("Functions: HTTPS out to the VPC endpoints only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	https := awsec2.Port_Tcp(jsii.Number(443))
	sg.AddEgressRule(awsec2.Peer_SecurityGroupId(net.EndpointSecurityGroup.SecurityGroupId(), nil), https,
		jsii.String("HTTPS to the interface endpoints (Secrets Manager)"), nil)
	sg.AddEgressRule(awsec2.Peer_PrefixList(net.DynamoDBPrefixList), https,
		jsii.String("HTTPS to DynamoDB through its gateway endpoint"), nil)
	return sg
}

// unshardedSegments are the first path segments whose routes were deployed before the
// API spread its routes over nested stacks. They stay in the Backend stack: API Gateway
// cannot create a path in a nested stack while the Backend stack still holds it, so
// moving them would fail the first deploy of every existing environment. Every other
// first segment lives in a route shard (restapi.Props.RouteShards).
var unshardedSegments = []string{"health", "notes"}

// TableActions are the exact DynamoDB actions each access level gets: what the store in
// lambdas/internal/store calls on that function's routes, and nothing else (no Scan, no
// batch or table actions; the writer never lists, so no Query). test/artifact's replay
// (TestLeastPrivilegeByReplay) holds them against the calls the functions really make:
// a missing action fails it as a denied call, an unused one as an unexercised grant.
var TableActions = map[api.Access][]string{
	api.ReadTable:      {"dynamodb:GetItem", "dynamodb:Query"},
	api.ReadWriteTable: {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"},
}

func grantTable(table awsdynamodb.ITable, fn *gofunction.GoFunction, access api.Access) {
	actions := TableActions[access]
	if len(actions) == 0 {
		return
	}
	table.Grant(fn.Role, *jsii.Strings(actions...)...)
	key := table.EncryptionKey()
	if key == nil {
		return
	}
	if access == api.ReadWriteTable {
		key.GrantEncryptDecrypt(fn.Role)
		nag.Suppress(fn.Role, true, "AwsSolutions-IAM5",
			"Writing items of a table with a customer-managed key needs kms:GenerateDataKey* and kms:ReEncrypt* on that one key (GrantEncryptDecrypt).",
			"Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*")
	} else {
		key.GrantDecrypt(fn.Role)
	}
}

// JSONSchema converts a route-table model into an API Gateway model schema (draft 4).
func JSONSchema(s *api.Schema) *awsapigateway.JsonSchema {
	if s == nil {
		return nil
	}
	out := &awsapigateway.JsonSchema{Type: jsonType(s.Type)}
	if s.Type == api.TypeObject {
		out.Schema = awsapigateway.JsonSchemaVersion_DRAFT4
		out.AdditionalProperties = jsii.Bool(s.AdditionalProperties)
		props := map[string]*awsapigateway.JsonSchema{}
		for name, p := range s.Properties {
			props[name] = JSONSchema(p)
		}
		out.Properties = &props
		if len(s.Required) > 0 {
			out.Required = jsii.Strings(s.Required...)
		}
	}
	if s.MinLength > 0 {
		out.MinLength = jsii.Number(s.MinLength)
	}
	if s.MaxLength > 0 {
		out.MaxLength = jsii.Number(s.MaxLength)
	}
	if s.Pattern != "" {
		out.Pattern = jsii.String(s.Pattern)
	}
	if s.MaxItems > 0 {
		out.MaxItems = jsii.Number(s.MaxItems)
	}
	if s.UniqueItems {
		out.UniqueItems = jsii.Bool(true)
	}
	if s.Items != nil {
		out.Items = JSONSchema(s.Items)
	}
	return out
}

func jsonType(t api.SchemaType) awsapigateway.JsonSchemaType {
	switch t {
	case api.TypeObject:
		return awsapigateway.JsonSchemaType_OBJECT
	case api.TypeArray:
		return awsapigateway.JsonSchemaType_ARRAY
	case "integer":
		return awsapigateway.JsonSchemaType_INTEGER
	case "number":
		return awsapigateway.JsonSchemaType_NUMBER
	case "boolean":
		return awsapigateway.JsonSchemaType_BOOLEAN
	default:
		return awsapigateway.JsonSchemaType_STRING
	}
}

// PreTrafficPackage is the Go package of CodeDeploy's pre-traffic check function.
const PreTrafficPackage = "lambdas/pretraffic"

// GoPackages are the Go packages of every function a stage deploys, for
// gofunction.Prefetch: synth hashes them all with one `go list`.
func GoPackages() []string {
	pkgs := []string{PreTrafficPackage}
	for _, f := range api.Functions {
		pkgs = append(pkgs, f.Package)
	}
	return pkgs
}
