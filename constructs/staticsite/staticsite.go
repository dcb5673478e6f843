// Package staticsite serves a single-page app from a private, KMS-encrypted bucket through
// CloudFront:
// origin access control, HTTPS only, TLS 1.2+, security headers, SPA routing with a
// CloudFront Function, access logs, a runtime config.json, and optionally an API behind
// /api and /api/* on the same origin so the app needs no CORS, a CloudFront web ACL, and
// an origin check that makes the API refuse requests that did not come through the
// distribution.
package staticsite

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/bucket"
	"github.com/example/notesplatform/constructs/key"
	"github.com/example/notesplatform/constructs/logging"
	"github.com/example/notesplatform/constructs/nag"
	"github.com/example/notesplatform/constructs/removal"
	"github.com/example/notesplatform/constructs/webacl"
)

// StaticSite is the bucket, the distribution and the deployment of the app.
type StaticSite struct {
	constructs.Construct
	// Distribution serves the site (construct id "Resource").
	Distribution awscloudfront.IDistribution
	// Bucket holds the app's files; only CloudFront can read it.
	Bucket awss3.IBucket
	// LogBucket receives CloudFront and S3 access logs.
	LogBucket awss3.IBucket
	// URL is https://<domain> of the site (the custom domain when one is set).
	URL *string
	// APIGate is the regional web ACL on the API's stage that refuses requests without
	// the origin header; nil without Props.APIOriginCheck.
	APIGate *webacl.WebACL
}

// OriginHeader is the header that the distribution adds to every request it sends to
// the API, with a secret value, when Props.APIOriginCheck is set.
const OriginHeader = "X-Origin-Verify"

// OriginCheck makes the API answer only requests that came through the distribution: the
// distribution sends OriginHeader with a generated secret to the API origin, and a
// regional web ACL on the API's stage refuses every request without that exact value.
// Both live in the site's stack, which must be in the API's region, so that CloudFormation
// creates and changes the ACL only after the distribution sends the header (a stack that
// deploys before it, such as the API's, would refuse the site's requests until then).
type OriginCheck struct {
	// Name of the regional web ACL, unique in the region. Required.
	Name string
	// Refusal answers a request without the header. Default: WAF's bare 403.
	Refusal *webacl.Response
}

// Props configures the site.
type Props struct {
	// SourceDir is the directory of the built app. Required.
	SourceDir string
	// Config is written to /config.json next to the app; values may be tokens from other
	// stacks. Default: no config.json.
	Config map[string]interface{}
	// ContentSecurityPolicy is sent with every response. Default: "default-src 'self'".
	ContentSecurityPolicy string
	// API receives /api and /api/*, uncached and with the viewer's headers (Authorization
	// included); its stage must be named "api". Default: no API behavior.
	API awsapigateway.IRestApi
	// DomainName is a custom domain. Default: the CloudFront domain only.
	DomainName string
	// Certificate covers DomainName, in us-east-1. Required with DomainName.
	Certificate awscertificatemanager.ICertificate
	// LogKey encrypts the deployment function's log group and the access-log bucket; it
	// must let the log writers use it (logging.NewKey does). Required.
	LogKey awskms.IKey
	// LogRetentionDays is the retention of that log group. Default: 30.
	LogRetentionDays int
	// AccessLogDays is how long access logs are kept. Default: 365.
	AccessLogDays int
	// Destroy deletes the buckets with the stack. Default: false, retained.
	Destroy bool
	// WebACL is the CLOUDFRONT-scope web ACL (created in us-east-1) that inspects every
	// request the distribution serves. Default: none.
	WebACL interfacesawswafv2.IWebACLRef
	// APIOriginCheck refuses requests to the API that did not come through this
	// distribution; it needs API. Default: none, the API also answers callers of its own
	// endpoint.
	APIOriginCheck *OriginCheck
}

// ImmutablePrefix is the folder of SourceDir whose files carry a content hash in their
// names; they are cached for a year. Everything else is revalidated on every load.
const ImmutablePrefix = "assets"

func (p *Props) withDefaults() Props {
	out := *p
	out.ContentSecurityPolicy = cmp.Or(out.ContentSecurityPolicy, "default-src 'self'")
	out.LogRetentionDays = cmp.Or(out.LogRetentionDays, 30)
	out.AccessLogDays = cmp.Or(out.AccessLogDays, 365)
	return out
}

var cspPattern = regexp.MustCompile(`^[^\r\n"]+$`)

func (p *Props) validate() error {
	var errs []error
	if st, err := os.Stat(p.SourceDir); err != nil || !st.IsDir() {
		errs = append(errs, fmt.Errorf("staticsite: SourceDir %q: must be an existing directory", p.SourceDir))
	}
	if (p.DomainName == "") != (p.Certificate == nil) {
		errs = append(errs, fmt.Errorf("staticsite: DomainName %q and Certificate: set both or neither", p.DomainName))
	}
	if !cspPattern.MatchString(p.ContentSecurityPolicy) {
		errs = append(errs, fmt.Errorf("staticsite: ContentSecurityPolicy %q: allowed is one line without double quotes", p.ContentSecurityPolicy))
	}
	if p.LogKey == nil {
		errs = append(errs, errors.New("staticsite: LogKey is required: deployment logs are encrypted"))
	}
	if c := p.APIOriginCheck; c != nil {
		if p.API == nil {
			errs = append(errs, errors.New("staticsite: APIOriginCheck without API: allowed only with an API behind /api"))
		}
		if c.Name == "" {
			errs = append(errs, errors.New("staticsite: APIOriginCheck.Name is required: it names the API's web ACL"))
		}
	}
	return errors.Join(errs...)
}

// sameRegion fails when the API and the site are in known, different regions: the origin
// check's regional web ACL, made in the site's stack, can only protect a stage of its own
// region.
func sameRegion(site constructs.Construct, api awsapigateway.IRestApi) error {
	a, b := awscdk.Stack_Of(site).Region(), awscdk.Stack_Of(api).Region()
	if *awscdk.Token_IsUnresolved(a) || *awscdk.Token_IsUnresolved(b) || *a == *b {
		return nil
	}
	return fmt.Errorf("staticsite: APIOriginCheck: the site's stack is in %s and the API's in %s: allowed is the same region (a regional web ACL protects stages of its region only)", *a, *b)
}

// spaRouting sends deep links (paths without a file extension) to /index.html, so a
// reload of /notes/123 shows the app, while a missing /app.js still answers 404.
const spaRouting = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.startsWith('/api/')) { return request; }
  var last = uri.split('/').pop();
  if (uri === '/' || last.indexOf('.') === -1) { request.uri = '/index.html'; }
  return request;
}`

// New makes the site.
func New(scope constructs.Construct, id string, props *Props) *StaticSite {
	if props == nil {
		props = &Props{}
	}
	p := props.withDefaults()
	if err := p.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	logs := bucket.New(c, "Logs", &bucket.Props{
		LogBucket: true, ForCloudFrontLogs: true, Destroy: p.Destroy, ExpireAfterDays: p.AccessLogDays,
		EncryptionKey: p.LogKey, // made with logging.NewKey: S3 and CloudFront log delivery may use it
	})
	siteKey := key.New(c, "BucketKey", &key.Props{Description: "Encrypts the files of the single-page app", Destroy: p.Destroy})
	site := bucket.New(c, "Bucket", &bucket.Props{AccessLogs: logs, AccessLogsPrefix: "s3/", Destroy: p.Destroy, EncryptionKey: siteKey})

	headers := awscloudfront.NewResponseHeadersPolicy(c, jsii.String("Headers"), &awscloudfront.ResponseHeadersPolicyProps{
		Comment: jsii.String("Security headers of the single-page app"),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			ContentSecurityPolicy: &awscloudfront.ResponseHeadersContentSecurityPolicy{
				ContentSecurityPolicy: jsii.String(p.ContentSecurityPolicy), Override: jsii.Bool(true),
			},
			ContentTypeOptions: &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			FrameOptions: &awscloudfront.ResponseHeadersFrameOptions{
				FrameOption: awscloudfront.HeadersFrameOption_DENY, Override: jsii.Bool(true),
			},
			ReferrerPolicy: &awscloudfront.ResponseHeadersReferrerPolicy{
				ReferrerPolicy: awscloudfront.HeadersReferrerPolicy_STRICT_ORIGIN_WHEN_CROSS_ORIGIN, Override: jsii.Bool(true),
			},
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Days(jsii.Number(730)), IncludeSubdomains: jsii.Bool(true),
				Preload: jsii.Bool(true), Override: jsii.Bool(true),
			},
			XssProtection: &awscloudfront.ResponseHeadersXSSProtection{
				Protection: jsii.Bool(true), ModeBlock: jsii.Bool(true), Override: jsii.Bool(true),
			},
		},
	})
	routing := awscloudfront.NewFunction(c, jsii.String("SpaRouting"), &awscloudfront.FunctionProps{
		Code:    awscloudfront.FunctionCode_FromInline(jsii.String(spaRouting)),
		Runtime: awscloudfront.FunctionRuntime_JS_2_0(),
		Comment: jsii.String("Deep links return index.html; files keep their 404"),
	})
	// Honour the objects' Cache-Control: no-cache for index.html and config.json,
	// a year for fingerprinted assets.
	cache := awscloudfront.NewCachePolicy(c, jsii.String("CachePolicy"), &awscloudfront.CachePolicyProps{
		Comment:                    jsii.String("Origin Cache-Control decides; compressed variants cached"),
		MinTtl:                     awscdk.Duration_Seconds(jsii.Number(0)),
		DefaultTtl:                 awscdk.Duration_Days(jsii.Number(1)),
		MaxTtl:                     awscdk.Duration_Days(jsii.Number(365)),
		EnableAcceptEncodingGzip:   jsii.Bool(true),
		EnableAcceptEncodingBrotli: jsii.Bool(true),
	})
	dp := &awscloudfront.DistributionProps{
		Comment:           jsii.String("Single-page app and its API"),
		DefaultRootObject: jsii.String("index.html"),
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			// LIST lets S3 answer 404 (not 403) for a missing file; "/" never lists,
			// it is rewritten to /index.html and query strings are not forwarded.
			Origin: awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(site, &awscloudfrontorigins.S3BucketOriginWithOACProps{
				OriginAccessLevels: &[]awscloudfront.AccessLevel{awscloudfront.AccessLevel_READ, awscloudfront.AccessLevel_LIST},
			}),
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			CachePolicy:           cache,
			ResponseHeadersPolicy: headers,
			Compress:              jsii.Bool(true),
			FunctionAssociations: &[]*awscloudfront.FunctionAssociation{{
				Function: routing, EventType: awscloudfront.FunctionEventType_VIEWER_REQUEST,
			}},
		},
		HttpVersion:   awscloudfront.HttpVersion_HTTP2_AND_3,
		PriceClass:    awscloudfront.PriceClass_PRICE_CLASS_100,
		EnableLogging: jsii.Bool(true),
		LogBucket:     logs,
		LogFilePrefix: jsii.String("cloudfront/"),
	}
	if p.DomainName != "" {
		dp.DomainNames = jsii.Strings(p.DomainName)
		dp.Certificate = p.Certificate
		dp.MinimumProtocolVersion = awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2021
	}
	if p.WebACL != nil {
		dp.WebAclId = p.WebACL.WebAclRef().WebAclArn
	}
	dist := awscloudfront.NewDistribution(c, jsii.String("Resource"), dp)
	var gate *webacl.WebACL
	if p.API != nil {
		apiStack := awscdk.Stack_Of(p.API)
		domain := jsii.String(*p.API.RestApiId() + ".execute-api." + *apiStack.Region() + "." + *apiStack.UrlSuffix())
		originProps := &awscloudfrontorigins.HttpOriginProps{
			ProtocolPolicy:     awscloudfront.OriginProtocolPolicy_HTTPS_ONLY,
			OriginSslProtocols: &[]awscloudfront.OriginSslPolicy{awscloudfront.OriginSslPolicy_TLS_V1_2},
		}
		if p.APIOriginCheck != nil {
			if err := sameRegion(c, p.API); err != nil {
				panic(err)
			}
			var value *string
			gate, value = originCheck(c, &p)
			// CloudFront replaces a viewer's header of the same name with this value.
			originProps.CustomHeaders = &map[string]*string{OriginHeader: value}
		}
		origin := awscloudfrontorigins.NewHttpOrigin(domain, originProps)
		api := &awscloudfront.AddBehaviorOptions{
			ViewerProtocolPolicy: awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
			AllowedMethods:       awscloudfront.AllowedMethods_ALLOW_ALL(),
			// Caching disabled + all viewer headers but Host: Authorization reaches the API
			// and no response is ever cached.
			CachePolicy:           awscloudfront.CachePolicy_CACHING_DISABLED(),
			OriginRequestPolicy:   awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
			ResponseHeadersPolicy: headers,
		}
		// "/api" itself is the API's root too (its 404), as on the local server, not the
		// app's index.html: "/api/*" does not match it.
		for _, pattern := range []string{"/api/*", "/api"} {
			dist.AddBehavior(jsii.String(pattern), origin, api)
		}
		if gate != nil {
			// Created and changed only once the distribution (which CloudFormation waits
			// for until it is deployed) sends the header: never a window in which the
			// ACL refuses the site's own requests.
			gate.Node().AddDependency(dist)
			assoc := awswafv2.NewCfnWebACLAssociation(c, jsii.String("ApiGateAssociation"), &awswafv2.CfnWebACLAssociationProps{
				ResourceArn: p.API.DeploymentStage().StageArn(),
				WebAclArn:   gate.Arn,
			})
			assoc.Node().AddDependency(dist)
		}
	}
	awscdk.Annotations_Of(c).AcknowledgeWarning(jsii.String("@aws-cdk/aws-cloudfront-origins:wildcardKeyPolicyForOac"),
		jsii.String("The key policy lets CloudFront decrypt for distributions of this account only (distribution/*: naming this one would be a key-bucket-distribution cycle); the bucket policy lets only this distribution read objects, so no other distribution can use the key on them"))
	awscdk.Annotations_Of(dist).AcknowledgeWarning(jsii.String("@aws-cdk/aws-cloudfront-origins:listBucketSecurityRisk"),
		jsii.String("DefaultRootObject is index.html and the viewer-request function rewrites every extension-less path, so no request lists the bucket"))

	deployLogs := logging.NewLogGroup(c, "DeployLogs", &logging.LogGroupProps{
		Key: p.LogKey, RetentionDays: p.LogRetentionDays, Destroy: p.Destroy,
	})
	role := awsiam.NewRole(c, jsii.String("DeployRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Copies the app into its bucket and invalidates the distribution"),
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: &[]*string{deployLogs.LogGroupArn(), jsii.String(*deployLogs.LogGroupArn() + ":log-stream:*")},
	}))
	immutable := awss3deployment.NewBucketDeployment(c, jsii.String("DeployAssets"), &awss3deployment.BucketDeploymentProps{
		Sources:           &[]awss3deployment.ISource{awss3deployment.Source_Asset(jsii.String(p.SourceDir), nil)},
		Include:           jsii.Strings(ImmutablePrefix + "/*"),
		Exclude:           jsii.Strings("*"),
		DestinationBucket: site,
		CacheControl:      &[]awss3deployment.CacheControl{awss3deployment.CacheControl_FromString(jsii.String("public, max-age=31536000, immutable"))},
		Prune:             jsii.Bool(false),
		Role:              role,
		LogGroup:          deployLogs,
		MemoryLimit:       jsii.Number(512),
	})
	sources := []awss3deployment.ISource{awss3deployment.Source_Asset(jsii.String(p.SourceDir), nil)}
	if p.Config != nil {
		sources = append(sources, awss3deployment.Source_JsonData(jsii.String("config.json"), p.Config, nil))
	}
	app := awss3deployment.NewBucketDeployment(c, jsii.String("Deploy"), &awss3deployment.BucketDeploymentProps{
		Sources:           &sources,
		Exclude:           jsii.Strings(ImmutablePrefix+"/*", "csp.txt", "*.md"),
		DestinationBucket: site,
		CacheControl:      &[]awss3deployment.CacheControl{awss3deployment.CacheControl_FromString(jsii.String("no-cache"))},
		Prune:             jsii.Bool(true),
		Distribution:      dist,
		DistributionPaths: jsii.Strings("/*"),
		Role:              role,
		LogGroup:          deployLogs,
		MemoryLimit:       jsii.Number(512),
	})
	app.Node().AddDependency(immutable) // new assets exist before the index that names them

	nag.Suppress(role, true, "AwsSolutions-IAM5",
		"The deployment function writes to log streams that Lambda names at run time, inside its own log group.", nag.LogStreams)
	nag.Suppress(role, true, "AwsSolutions-IAM5",
		"BucketDeployment's grants: read the CDK asset objects and sync (read, write, delete, abort uploads) every object of the site bucket; object keys are the app's file names.",
		"Action::s3:GetBucket*", "Action::s3:GetObject*", "Action::s3:List*", "Action::s3:Abort*", "Action::s3:DeleteObject*",
		`/^Resource::arn:aws:s3:::cdk-[a-z0-9]+-assets-[0-9]{12}-[a-z0-9-]+\/\*$/`, `/^Resource::<[A-Za-z0-9]+\.Arn>\/\*$/`)
	nag.Suppress(role, true, "AwsSolutions-IAM5",
		"Writing the app's files into a bucket encrypted with its own customer-managed key needs kms:GenerateDataKey* and kms:ReEncrypt* on that one key (BucketDeployment's grant).",
		"Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*")
	nag.Suppress(role, true, "AwsSolutions-IAM5",
		"cloudfront:CreateInvalidation and GetInvalidation are granted on '*' by BucketDeployment; CloudFront invalidations accept no narrower resource than the distribution ARN, which CDK does not pass.",
		"Resource::*")
	for _, child := range *awscdk.Stack_Of(c).Node().Children() {
		if strings.HasPrefix(*child.Node().Id(), "Custom::CDKBucketDeployment") {
			nag.Suppress(child, true, "AwsSolutions-L1",
				"The BucketDeployment handler's Python runtime is chosen and updated by aws-cdk-lib, not by this app.")
		}
	}
	url := jsii.String("https://" + *dist.DistributionDomainName())
	if p.DomainName != "" {
		url = jsii.String("https://" + p.DomainName)
	}
	return &StaticSite{Construct: c, Distribution: dist, Bucket: site, LogBucket: logs, URL: url, APIGate: gate}
}

// originCheck makes the secret that the distribution sends to the API and the regional
// web ACL that requires it, and returns the ACL and the header value: a Secrets Manager
// dynamic reference, which CloudFormation resolves when it deploys the distribution and
// the ACL, so the value is in neither template.
func originCheck(c constructs.Construct, p *Props) (*webacl.WebACL, *string) {
	secret := awssecretsmanager.NewSecret(c, jsii.String("OriginSecret"), &awssecretsmanager.SecretProps{
		Description: jsii.String("Value of the " + OriginHeader + " header that CloudFront sends to the API; the API's web ACL refuses requests without it"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength: jsii.Number(32), ExcludePunctuation: jsii.Bool(true),
		},
		RemovalPolicy: removal.Policy(p.Destroy),
	})
	nag.Suppress(secret, false, "AwsSolutions-SMG4",
		"The value only tells the API's web ACL that a request came through CloudFront; it guards no data (Cognito authorizes every route but /health). "+
			"Rotating it would need the distribution and the ACL to accept two values while CloudFront deploys; to replace it, give the secret a new construct id, so that both references change in one deployment (docs/resilience.md).")
	value := secret.SecretValue().UnsafeUnwrap()
	gate := webacl.New(c, "ApiGate", &webacl.Props{
		Name:          p.APIOriginCheck.Name,
		Description:   "Refuses API requests that did not come through the CloudFront distribution of the site",
		Scope:         webacl.Regional,
		RequireHeader: &webacl.RequiredHeader{Name: OriginHeader, Value: value, Refusal: p.APIOriginCheck.Refusal},
	})
	return gate, value
}
