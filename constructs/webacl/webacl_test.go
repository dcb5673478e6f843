package webacl

import (
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close() // one jsii kernel per test binary
	os.Exit(code)
}

// Every bad value is named with what is allowed, all at once; a rate limit behind a
// required header (whose traffic all comes from the proxy) is refused.
func TestValidate(t *testing.T) {
	err := (&Props{}).validate()
	assert.ErrorContains(t, err, `Name "": allowed is 1-128`)
	assert.ErrorContains(t, err, `Scope "": allowed are "REGIONAL" and "CLOUDFRONT"`)
	assert.ErrorContains(t, err, "no rules")

	value := "secret"
	err = (&Props{
		Name: "notes-prod-api", Description: "the site's API (gate)", Scope: Regional,
		RequireHeader: &RequiredHeader{Name: "X Origin", Value: &value, Refusal: &Response{Status: 99}},
		RateLimit:     5,
		RateLimited:   &Response{Status: 429, Body: strings.Repeat("x", 5000), Headers: map[string]string{"Retry After": "1"}},
		ManagedRules:  []ManagedRuleGroup{{Name: "CommonRuleSet"}},
	}).validate()
	for _, want := range []string{
		`Description "the site's API (gate)": allowed are letters`,
		`RequireHeader.Name "X Origin": allowed is 1-64`,
		"RequireHeader.Refusal.Status 99: allowed is 200..599",
		"RateLimit 5: allowed is 0 (none) or 10..2000000000",
		`RateLimit 5 with RequireHeader "X Origin": allowed is no rate limit`,
		"RateLimited.Body of 5000 bytes: allowed is at most 4096",
		`RateLimited.Headers "Retry After"`,
		`ManagedRules[0].Name "CommonRuleSet": allowed is the name of an AWS managed rule group`,
	} {
		assert.ErrorContains(t, err, want)
	}
	assert.ErrorContains(t, (&Props{Name: "a", Scope: CloudFront, RateLimited: &Response{Status: 429}, ManagedRules: []ManagedRuleGroup{{Name: "AWSManagedRulesCommonRuleSet"}}}).validate(),
		"RateLimited is set without a RateLimit")
	assert.ErrorContains(t, (&Props{Name: "a", Scope: Regional, RequireHeader: &RequiredHeader{Name: "X-Origin"}}).validate(), "RequireHeader.Value is required")
	assert.NoError(t, (&Props{Name: "a", Scope: CloudFront, RateLimit: 2000}).validate())
}

// The rules come in a fixed order (required header, rate limit, managed groups), each
// with its metric; custom answers carry their JSON body and headers; the header is
// matched in lower case, exactly.
func TestRules(t *testing.T) {
	defer func() {
		if r := recover(); r != nil {
			t.Fatal(r)
		}
	}()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Edge"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String(CloudFrontRegion)}})
	acl := New(stack, "Site", &Props{
		Name: "site", Scope: CloudFront, RateLimit: 2000,
		RateLimited:  &Response{Status: 429, Body: `{"error":{}}`, Headers: map[string]string{"Retry-After": "60"}},
		ManagedRules: []ManagedRuleGroup{{Name: "AWSManagedRulesCommonRuleSet", CountOnly: []string{"SizeRestrictions_BODY"}}},
	})
	require.NotNil(t, acl.Arn)
	value := "v"
	New(stack, "Gate", &Props{Name: "gate", Scope: Regional, RequireHeader: &RequiredHeader{Name: "X-Origin-Verify", Value: &value, Refusal: &Response{Status: 403}}})
	tpl := assertions.Template_FromStack(stack, nil)
	tpl.HasResourceProperties(jsii.String("AWS::WAFv2::WebACL"), map[string]any{
		"Name": "site", "Scope": "CLOUDFRONT",
		"CustomResponseBodies": map[string]any{"RateLimited": map[string]any{"ContentType": "APPLICATION_JSON", "Content": `{"error":{}}`}},
		"Rules": []any{
			assertions.Match_ObjectLike(&map[string]any{"Name": RateLimitRule, "Priority": 0,
				"Statement": map[string]any{"RateBasedStatement": map[string]any{"AggregateKeyType": "IP", "Limit": 2000}},
				"Action": map[string]any{"Block": map[string]any{"CustomResponse": map[string]any{
					"ResponseCode": 429, "CustomResponseBodyKey": "RateLimited",
					"ResponseHeaders": []any{map[string]any{"Name": "Retry-After", "Value": "60"}}}}}}),
			assertions.Match_ObjectLike(&map[string]any{"Name": "AWSManagedRulesCommonRuleSet", "Priority": 1,
				"OverrideAction": map[string]any{"None": map[string]any{}}}),
		},
	})
	tpl.HasResourceProperties(jsii.String("AWS::WAFv2::WebACL"), map[string]any{
		"Name": "gate", "Scope": "REGIONAL",
		"Rules": []any{assertions.Match_ObjectLike(&map[string]any{
			"Name": RequireHeaderRule, "Priority": 0,
			"Statement": map[string]any{"NotStatement": map[string]any{"Statement": map[string]any{"ByteMatchStatement": map[string]any{
				"FieldToMatch":         map[string]any{"SingleHeader": map[string]any{"Name": "x-origin-verify"}},
				"PositionalConstraint": "EXACTLY", "SearchString": "v",
			}}}},
			"Action": map[string]any{"Block": map[string]any{"CustomResponse": map[string]any{"ResponseCode": 403}}},
		})},
	})
}
