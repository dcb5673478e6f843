package stacks

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/webacl"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/lambdas/api"
)

// ViewerRateLimitPer5Min is how many requests one viewer (the address CloudFront sees)
// may send to the site, its files and its API together, in five minutes, before the
// CloudFront web ACL answers 429. A page load is a handful of requests and the app's
// busiest screen lists notes a page at a time: 2,000 (about 7 a second, sustained) is far
// above a person and far below a script.
const ViewerRateLimitPer5Min = 2000

// ViewerRetryAfterSeconds is the Retry-After of the rate limit's 429. WAF re-evaluates
// rates continuously over a sliding five-minute window and lifts the block once the
// address falls under the limit; a minute lets a real client's count fall far enough to
// matter without hammering the edge.
const ViewerRetryAfterSeconds = 60

// EdgeManagedRules are the AWS managed rule groups that inspect every request
// CloudFront serves (the site's files and /api/*): known bad sources first, then the
// common (OWASP-style) and known-bad-input rules. The common group's 8 KB body-size rule
// only counts: the API accepts bodies up to 16 KiB and validates their size itself.
var EdgeManagedRules = []webacl.ManagedRuleGroup{
	{Name: "AWSManagedRulesAmazonIpReputationList"},
	{Name: "AWSManagedRulesCommonRuleSet", CountOnly: []string{"SizeRestrictions_BODY"}},
	{Name: "AWSManagedRulesKnownBadInputsRuleSet"},
}

// EdgeStack holds what CloudFront needs from us-east-1: the CLOUDFRONT-scope web ACL of
// the environment's distribution. It exists only where config turns WAF on. Its ACL is
// read by the Frontend stack (in the environment's region) through a weak cross-stack
// reference (Fn::GetStackOutput with the Region of this stack, the app's default
// reference strength), so no custom resource carries it between regions, and the
// distribution stays in the Frontend stack.
type EdgeStack struct {
	awscdk.Stack
	// WebACL is the CloudFront web ACL; the distribution's WebACLId is its ARN.
	WebACL interfacesawswafv2.IWebACLRef
}

// EdgeProps configures the Edge stack. Its Env must be in config.EdgeRegion.
type EdgeProps struct {
	awscdk.StackProps
	App string
	Env config.Environment
}

// NewEdgeStack makes the Edge stack.
func NewEdgeStack(scope constructs.Construct, id string, props *EdgeProps) *EdgeStack {
	if r := props.StackProps.Env; r == nil || r.Region == nil || *r.Region != webacl.CloudFrontRegion {
		panic(fmt.Errorf("edge stack: region must be %s: CloudFormation creates CLOUDFRONT web ACLs only there", webacl.CloudFrontRegion))
	}
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	acl := webacl.New(stack, "WebAcl", &webacl.Props{
		Name:        props.App + "-" + props.Env.Name + "-site",
		Description: "Per-viewer rate limit and AWS managed rules in front of everything the distribution serves",
		Scope:       webacl.CloudFront,
		RateLimit:   ViewerRateLimitPer5Min,
		RateLimited: &webacl.Response{
			Status:  429,
			Body:    api.ErrorBody(api.CodeThrottled, "too many requests from this address: retry later", ""),
			Headers: map[string]string{"Retry-After": strconv.Itoa(ViewerRetryAfterSeconds)},
		},
		ManagedRules: EdgeManagedRules,
	})
	return &EdgeStack{Stack: stack, WebACL: acl.ACL}
}
