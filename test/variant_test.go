package test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/lambdas/api"

	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var customDomain, newPaths variant

// customDomainApp is the shipped config with a custom domain on prod, and prod moved into
// dev's account without a trail of its own: the second configuration, synthesized once.
func customDomainApp(t *testing.T) *synthesized {
	t.Helper()
	ctx := cdkContext(t)
	ctx["config.environments.prod.domainName"] = "notes.example.com"
	ctx["config.environments.prod.certificateArn"] = "arn:aws:acm:us-east-1:111111111111:certificate/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f"
	ctx["config.environments.prod.account"] = "111111111111"
	ctx["config.environments.prod.region"] = "eu-central-1"
	ctx["config.environments.prod.auditTrail"] = "false"
	return customDomain.get(t, ctx, nil)
}

// newPathsApp is the shipped config with routes on 24 new first path segments, so that the
// Backend stacks have route shards (nested stacks), as they will once an endpoint is added
// on a new path.
func newPathsApp(t *testing.T) *synthesized {
	t.Helper()
	routes := api.Shipped().WithScaleRoutes(24)
	return newPaths.get(t, cdkContext(t), &routes)
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

// One multi-region trail per account: the second environment of an account records none
// when config says so, and keeps everything else of its Base stack.
func TestOneTrailPerAccount(t *testing.T) {
	s := customDomainApp(t)
	noPanic(t, func() {
		s.Templates["dev/Base"].ResourceCountIs(jsii.String("AWS::CloudTrail::Trail"), jsii.Number(1))
		prod := s.Templates["prod/Base"]
		prod.ResourceCountIs(jsii.String("AWS::CloudTrail::Trail"), jsii.Number(0))
		prod.ResourceCountIs(jsii.String("AWS::EC2::VPC"), jsii.Number(1))
		prod.ResourceCountIs(jsii.String("AWS::IAM::ManagedPolicy"), jsii.Number(1))
	})
}

// A stage in another region than the pipeline gets CDK Pipelines' support stack there; it
// is checked by cdk-nag and hardened like every stack, and the variant synthesizes clean.
func TestCrossRegionStageIsClean(t *testing.T) {
	s := customDomainApp(t)
	read, err := cfn.Read(s.Assembly)
	require.NoError(t, err)
	findings := read.Findings()
	assert.Empty(t, findings, fmt.Sprint(findings))
	support := filepath.Join(s.Assembly, "AwsSolutions--notes-pipeline-support-eu-central-1-NagReport.csv")
	_, err = os.Stat(support)
	assert.NoError(t, err, "cdk-nag did not check the support stack")
	var supportStacks []*cfn.Stack
	for _, st := range read.Stacks {
		if match, _ := filepath.Match("cross-region-stack-*eu-central-1.template.json", filepath.Base(st.TemplateFile)); match && st.Stage == "" {
			supportStacks = append(supportStacks, st)
		}
	}
	require.Len(t, supportStacks, 1)
	keys := 0
	for id, r := range supportStacks[0].Template.Resources {
		if r.Type == "AWS::KMS::Key" {
			keys++
			assert.Equal(t, true, r.Properties["EnableKeyRotation"], id)
		}
	}
	assert.Equal(t, 1, keys)
}
