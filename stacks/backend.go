package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/alarms"
	"github.com/example/notesplatform/constructs/gofunction"
	"github.com/example/notesplatform/constructs/nag"
	"github.com/example/notesplatform/constructs/removal"
	"github.com/example/notesplatform/constructs/restapi"
	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/stacks/config"
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
}

// BackendProps configures the Backend stack.
type BackendProps struct {
	awscdk.StackProps
	App      string
	Env      config.Environment
	Table    awsdynamodb.ITable
	UserPool awscognito.IUserPool
	LogKey   awskms.IKey
}

// NewBackendStack makes the Backend stack from api.Routes and api.Functions.
func NewBackendStack(scope constructs.Construct, id string, props *BackendProps) *BackendStack {
	if err := api.Validate(); err != nil {
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

	gatewayErrors := map[string]restapi.ErrorResponse{}
	for kind, e := range api.GatewayErrors {
		gatewayErrors[kind] = restapi.ErrorResponse{Status: e.Status, Code: e.Code}
	}
	rest := restapi.New(stack, "Api", &restapi.Props{
		Errors: gatewayErrors,
		Name:   prefix + "-api", UserPool: props.UserPool, LogKey: props.LogKey,
		LogRetentionDays: e.LogRetentionDays, WebACL: e.WAF, Destroy: e.Destroy(),
	})
	if !e.WAF {
		nag.Suppress(rest.API, true, "AwsSolutions-APIG3",
			"config.environments."+e.Name+".waf is false: this environment's API relies on stage throttling and Cognito authorization on every route but /health, without a billed WAF web ACL.")
	}

	alarms := alarms.New(stack, "Alarms", &alarms.Props{Email: e.AlarmEmail, Destroy: e.Destroy()})
	alarms.OnAPI(rest.API, 3000)

	functions := map[string]*gofunction.GoFunction{}
	for _, f := range api.Functions {
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
		})
		grantTable(props.Table, fn, f.Access)
		if f.CursorKey {
			cursorKey.GrantRead(fn.Role, nil)
		}
		alarms.OnFunction(f.Name, fn.Function)
		functions[f.Name] = fn
	}
	for _, r := range api.Routes {
		route := restapi.Route{
			Method: r.Method, Path: r.Path, Function: functions[r.Function].Function,
			Public: r.Auth == api.Public, Query: r.Query,
		}
		if r.Model != "" {
			route.ModelName = r.Model
			route.Model = JSONSchema(api.Models[r.Model])
		}
		method := rest.AddRoute(route)
		if route.Public {
			nag.Suppress(method, false, "AwsSolutions-APIG4", "Public by design in lambdas/api: "+r.Method+" "+r.Path+" is the unauthenticated health check.")
			nag.Suppress(method, false, "AwsSolutions-COG4", "Public by design in lambdas/api: "+r.Method+" "+r.Path+" is the unauthenticated health check.")
		}
	}
	out := awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{Value: rest.URL, Description: jsii.String("Invoke URL of the REST API stage")})
	var watching []awscloudwatch.IAlarm
	for _, a := range alarms.Alarms {
		watching = append(watching, a)
	}
	return &BackendStack{Stack: stack, API: rest.API, APIURL: rest.URL, APIURLOutput: out, Functions: functions, Alarms: watching}
}

// TableActions are the exact DynamoDB actions each access level gets: what the store in
// lambdas/internal/store calls, and nothing else (no Scan, no batch or table actions).
var TableActions = map[api.Access][]string{
	api.ReadTable:      {"dynamodb:GetItem", "dynamodb:Query"},
	api.ReadWriteTable: {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"},
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
	if s.Type == "object" {
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

func jsonType(t string) awsapigateway.JsonSchemaType {
	switch t {
	case "object":
		return awsapigateway.JsonSchemaType_OBJECT
	case "array":
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
