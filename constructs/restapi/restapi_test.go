package restapi

import (
	"os"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close() // one jsii kernel for the binary, closed once
	os.Exit(code)
}

func TestValidate(t *testing.T) {
	p := (&Props{}).withDefaults()
	assert.Equal(t, "api", p.StageName)
	assert.Equal(t, 50, p.RateLimit)
	assert.Equal(t, 100, p.BurstLimit)
	assert.Equal(t, time.Second, p.RetryAfter)
	err := p.validate()
	assert.ErrorContains(t, err, "Name is required")
	assert.ErrorContains(t, err, "UserPool is required")
	assert.ErrorContains(t, err, "LogKey is required")
	assert.ErrorContains(t, err, "MethodNotAllowed.Allow and .Body are required")
	p = (&Props{Name: "x", StageName: "v-1", BurstLimit: 9000, RetryAfter: 1500 * time.Millisecond}).withDefaults()
	err = p.validate()
	assert.ErrorContains(t, err, `StageName "v-1"`)
	assert.ErrorContains(t, err, "BurstLimit 9000")
	assert.ErrorContains(t, err, "RetryAfter 1.5s: allowed is whole seconds")
}

// The gateway's own answers that invite a retry (throttling, its 5xx: an integration
// timeout, a refused invocation, a failed function) carry Retry-After; the others do not.
func TestRetryableGatewayErrorsCarryRetryAfter(t *testing.T) {
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("jsii: %v", r)
		}
	}()
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{"aws:cdk:bundling-stacks": []string{}}})
	stack := awscdk.NewStack(app, jsii.String("S"), nil)
	errs := map[string]ErrorResponse{}
	for kind, status := range map[string]int{
		"THROTTLED": 429, "INTEGRATION_TIMEOUT": 504, "INTEGRATION_FAILURE": 503, "DEFAULT_5XX": 0,
		"UNAUTHORIZED": 401, "DEFAULT_4XX": 0,
	} {
		errs[kind] = ErrorResponse{Status: status, Template: `{"error":{"code":"x","message":$context.error.messageString,"requestId":"$context.requestId"}}`}
	}
	api := New(stack, "Api", &Props{
		Name:     "notes-test-api",
		UserPool: awscognito.NewUserPool(stack, jsii.String("Pool"), nil),
		LogKey:   awskms.NewKey(stack, jsii.String("Key"), nil),
		Errors:   errs,
		MethodNotAllowed: MethodNotAllowed{
			Allow: func([]string) string { return "GET" },
			Body:  func(string) string { return "{}" },
		},
	})
	api.AddRoute(Route{Method: "GET", Path: "/things", Function: awslambda.NewFunction(stack, jsii.String("Fn"), &awslambda.FunctionProps{
		Runtime: awslambda.Runtime_NODEJS_22_X(), Handler: jsii.String("index.handler"), Code: awslambda.Code_FromInline(jsii.String("exports.handler=async()=>({})")),
	})})
	tpl := assertions.Template_FromStack(stack, nil)
	got := map[string]any{}
	for _, r := range *tpl.FindResources(jsii.String("AWS::ApiGateway::GatewayResponse"), nil) {
		props := (*r)["Properties"].(map[string]any)
		got[props["ResponseType"].(string)] = props["ResponseParameters"]
	}
	require.Len(t, got, len(errs))
	retryAfter := map[string]any{"gatewayresponse.header.Retry-After": "'1'"}
	for _, kind := range []string{"THROTTLED", "INTEGRATION_TIMEOUT", "INTEGRATION_FAILURE", "DEFAULT_5XX"} {
		assert.Equal(t, retryAfter, got[kind], kind)
	}
	for _, kind := range []string{"UNAUTHORIZED", "DEFAULT_4XX"} {
		assert.Nil(t, got[kind], kind)
	}
}
