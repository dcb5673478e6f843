package test

import (
	"sync"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	customDomainOnce sync.Once
	customDomain     synthesized
)

// customDomainApp is the shipped config with a custom domain on prod: the second
// configuration, synthesized once.
func customDomainApp(t *testing.T) *synthesized {
	t.Helper()
	customDomainOnce.Do(func() {
		ctx := cdkContext(t)
		ctx["config.environments.prod.domainName"] = "notes.example.com"
		ctx["config.environments.prod.certificateArn"] = "arn:aws:acm:us-east-1:222222222222:certificate/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f"
		customDomain = synthesize(t, ctx)
	})
	require.NoError(t, customDomain.Err)
	return &customDomain
}

// With a custom domain, CloudFront serves it with the us-east-1 certificate and TLS 1.2
// at least, and the app client accepts both the CloudFront and the custom URL.
func TestCustomDomain(t *testing.T) {
	s := customDomainApp(t)
	noPanic(t, func() {
		tpl := s.Templates["prod/Frontend"]
		dist := resources(tpl, "AWS::CloudFront::Distribution")
		require.Len(t, dist, 1)
		for _, d := range dist {
			cfg := d["Properties"].(map[string]interface{})["DistributionConfig"].(map[string]interface{})
			assert.Equal(t, []interface{}{"notes.example.com"}, cfg["Aliases"])
			cert := cfg["ViewerCertificate"].(map[string]interface{})
			assert.Equal(t, "TLSv1.2_2021", cert["MinimumProtocolVersion"])
			assert.Equal(t, "sni-only", cert["SslSupportMethod"])
			assert.Contains(t, toJSON(cert["AcmCertificateArn"]), "arn:aws:acm:us-east-1:")
			// No CFR4 suppression is needed once TLS can be pinned.
			assert.NotContains(t, toJSON(d["Metadata"]), "AwsSolutions-CFR4")
		}
		client := resources(tpl, "AWS::Cognito::UserPoolClient")
		for _, c := range client {
			urls := toJSON(c["Properties"].(map[string]interface{})["CallbackURLs"])
			assert.Contains(t, urls, "https://notes.example.com/")
			assert.Contains(t, urls, "DomainName")
		}
		// dev has no domain: its distribution keeps the default certificate.
		tpl.ResourceCountIs(jsii.String("AWS::CloudFront::Distribution"), jsii.Number(1))
		for _, d := range resources(s.Templates["dev/Frontend"], "AWS::CloudFront::Distribution") {
			cfg := d["Properties"].(map[string]interface{})["DistributionConfig"].(map[string]interface{})
			assert.NotContains(t, cfg, "Aliases")
		}
	})
}
