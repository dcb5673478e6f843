package appclient

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
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
	assert.Equal(t, time.Hour, p.TokenValidity)
	assert.Equal(t, 24*time.Hour, p.RefreshTokenValidity)
	err := p.validate()
	assert.ErrorContains(t, err, "UserPool is required")
	assert.ErrorContains(t, err, `Name ""`)
	p = (&Props{Name: "spa", TokenValidity: time.Minute, RefreshTokenValidity: 11 * 365 * 24 * time.Hour}).withDefaults()
	err = p.validate()
	assert.ErrorContains(t, err, "TokenValidity 1m0s")
	assert.ErrorContains(t, err, "RefreshTokenValidity 96360h0m0s")
}

func stackWithPool() (awscdk.App, awscdk.Stack, awscognito.IUserPool) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("S"), nil)
	pool := awscognito.NewUserPool(stack, jsii.String("Pool"), nil)
	return app, stack, pool
}

func TestClient(t *testing.T) {
	_, stack, pool := stackWithPool()
	c := New(stack, "AppClient", &Props{UserPool: pool, Name: "notes-dev-spa"})
	c.SetURLs(jsii.String("https://d111.cloudfront.net/"), jsii.String("https://app.example.com/"))
	tpl := assertions.Template_FromStack(stack, nil)
	tpl.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolClient"), map[string]any{
		"ClientName":                 "notes-dev-spa",
		"GenerateSecret":             false,
		"PreventUserExistenceErrors": "ENABLED",
		"EnableTokenRevocation":      true,
		"AllowedOAuthFlows":          []any{"code"},
		"CallbackURLs":               []any{"https://d111.cloudfront.net/", "https://app.example.com/"},
		"LogoutURLs":                 []any{"https://d111.cloudfront.net/", "https://app.example.com/"},
		"DefaultRedirectURI":         "https://d111.cloudfront.net/",
		"IdTokenValidity":            60,
		"RefreshTokenValidity":       1440,
	})
}

func TestSynthFailsWithoutURLs(t *testing.T) {
	app, stack, pool := stackWithPool()
	New(stack, "AppClient", &Props{UserPool: pool, Name: "spa"})
	err := func() (err any) {
		defer func() { err = recover() }()
		app.Synth(nil)
		return nil
	}()
	require.NotNil(t, err, "synth must fail without callback URLs")
	assert.Contains(t, strings.ReplaceAll(err.(error).Error(), "\n", " "), "no callback URLs")
}

func TestRefusesPlainHTTP(t *testing.T) {
	_, stack, pool := stackWithPool()
	c := New(stack, "AppClient", &Props{UserPool: pool, Name: "spa"})
	assert.PanicsWithError(t, `appclient: URL 0 "http://example.com/": allowed is https://... or http://localhost...`, func() {
		c.SetURLs(jsii.String("http://example.com/"))
	})
}
