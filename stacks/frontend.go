package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/alarms"
	"github.com/example/notesplatform/constructs/appclient"
	"github.com/example/notesplatform/constructs/dashboard"
	"github.com/example/notesplatform/constructs/gofunction"
	"github.com/example/notesplatform/constructs/nag"
	"github.com/example/notesplatform/constructs/staticsite"
	"github.com/example/notesplatform/constructs/webacl"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/lambdas/api"
)

// FrontendStack serves the single-page app and routes /api/* to the REST API. It also
// owns the user pool's app client: the client needs the site's URL as its callback and
// the site's config.json needs the client id, so both live here and the Data stack
// depends on nothing downstream (no cycle).
type FrontendStack struct {
	awscdk.Stack
	// URL is the site's https URL.
	URL *string
	// ClientID is the SPA's Cognito app client.
	ClientID *string
	// URLOutput is the SiteUrl output, read by the pipeline's smoke test.
	URLOutput awscdk.CfnOutput
	// DashboardURL opens the environment's CloudWatch dashboard (output DashboardUrl).
	DashboardURL *string
	// Site is the bucket, the distribution and, where WAF is on, the API's origin check.
	Site *staticsite.StaticSite
}

// FrontendProps configures the Frontend stack.
type FrontendProps struct {
	awscdk.StackProps
	App      string
	Env      config.Environment
	WebDir   string
	UserPool awscognito.IUserPool
	AuthURL  *string
	API      awsapigateway.IRestApi
	LogKey   awskms.IKey
	// Functions, Alarms and Table are shown on the environment's dashboard, which lives
	// here because it also shows the distribution: Frontend already depends on Data and
	// Backend, and the Backend stack cannot refer to the distribution (a cycle).
	Functions map[string]*gofunction.GoFunction
	Alarms    []awscloudwatch.IAlarm
	Table     awsdynamodb.ITable
	// Failures are the functions' 5xx answers by cause, drawn on the dashboard.
	// Default: no such graph.
	Failures *alarms.Failures
	// Edge holds the CloudFront web ACL (us-east-1) that the distribution uses; with it
	// the API also refuses requests that did not come through the distribution.
	// Default: nil, no web ACL (config waf off).
	Edge *EdgeStack
}

// NewFrontendStack makes the Frontend stack.
func NewFrontendStack(scope constructs.Construct, id string, props *FrontendProps) *FrontendStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	e := props.Env
	var cert awscertificatemanager.ICertificate
	if e.DomainName != "" {
		cert = awscertificatemanager.Certificate_FromCertificateArn(stack, jsii.String("Certificate"), jsii.String(e.CertificateArn))
	}
	client := appclient.New(stack, "AppClient", &appclient.Props{
		UserPool: props.UserPool, Name: props.App + "-" + e.Name + "-spa",
	})
	csp, err := repo.ContentSecurityPolicy(props.WebDir)
	if err != nil {
		panic(fmt.Errorf("frontend: %w", err))
	}
	var originCheck *staticsite.OriginCheck
	var edgeACL interfacesawswafv2.IWebACLRef
	if props.Edge != nil {
		edgeACL = props.Edge.WebACL
		// Every client reaches the API through CloudFront, whose web ACL limits each
		// viewer; a caller of the API's own endpoint would skip that limit and the
		// managed rules, so the API refuses it.
		originCheck = &staticsite.OriginCheck{
			Name: props.App + "-" + e.Name + "-api-origin",
			Refusal: &webacl.Response{Status: 403, Body: api.ErrorBody(api.CodeForbidden,
				"this API answers only through the site's /api path", "")},
		}
	}
	site := staticsite.New(stack, "Site", &staticsite.Props{
		WebACL:                edgeACL,
		APIOriginCheck:        originCheck,
		SourceDir:             props.WebDir,
		ContentSecurityPolicy: csp,
		API:                   props.API,
		DomainName:            e.DomainName,
		Certificate:           cert,
		LogKey:                props.LogKey,
		LogRetentionDays:      e.LogRetentionDays,
		Destroy:               e.Destroy(),
		Config: map[string]interface{}{
			"appName":          props.App,
			"environment":      e.Name,
			"region":           e.Region,
			"userPoolId":       props.UserPool.UserPoolId(),
			"userPoolClientId": client.UserPoolClientId(),
			"authDomain":       props.AuthURL,
			"apiUrl":           "/api",
		},
	})
	urls := []*string{jsii.String("https://" + *site.Distribution.DistributionDomainName() + "/")}
	if e.DomainName != "" {
		urls = append(urls, jsii.String("https://"+e.DomainName+"/"))
	}
	client.SetURLs(urls...)
	if e.DomainName == "" {
		nag.Suppress(site.Distribution, false, "AwsSolutions-CFR4",
			"No custom domain is configured for "+e.Name+", so CloudFront serves its default *.cloudfront.net certificate, which cannot pin a minimum TLS version; set domainName and certificateArn to enforce TLSv1.2_2021.")
	}
	if props.Edge == nil {
		nag.Suppress(site.Distribution, false, "AwsSolutions-CFR2",
			"config.environments."+e.Name+".waf is false: no billed CloudFront web ACL (it would live in an Edge stack in us-east-1); the API behind /api/* is throttled per stage and Cognito-authorized.")
	}
	nag.Suppress(site.Distribution, false, "AwsSolutions-CFR1",
		"The app serves every country; no geographic restriction is a business requirement.")
	nag.Suppress(site.LogBucket, false, "AwsSolutions-S1",
		"This bucket is the destination of CloudFront and S3 access logs; logging it into itself would recurse.")
	out := awscdk.NewCfnOutput(stack, jsii.String("SiteUrl"), &awscdk.CfnOutputProps{Value: site.URL, Description: jsii.String("URL of the single-page app")})

	functions := map[string]dashboard.Function{}
	for name, fn := range props.Functions {
		functions[name] = dashboard.Function{Function: fn.Function, LogGroup: fn.LogGroup}
	}
	board := dashboard.New(stack, "Dashboard", &dashboard.Props{
		Name: props.App + "-" + e.Name, APIStage: props.API.DeploymentStage(), Functions: functions,
		Table: props.Table, Distribution: site.Distribution, Alarms: props.Alarms,
		Failures: failureMetrics(props.Failures),
	})
	awscdk.NewCfnOutput(stack, jsii.String("DashboardUrl"), &awscdk.CfnOutputProps{Value: board.URL, Description: jsii.String("CloudWatch dashboard of the environment")})
	return &FrontendStack{Stack: stack, URL: site.URL, ClientID: client.UserPoolClientId(), URLOutput: out, DashboardURL: board.URL, Site: site}
}

// failureMetrics are the metrics of the dashboard's 5xx-by-cause graph, or none.
func failureMetrics(f *alarms.Failures) []awscloudwatch.IMetric {
	if f == nil {
		return nil
	}
	return f.All()
}
