// Package webacl makes AWS WAF web ACLs from three intents: refuse requests without a
// required header (what a proxy in front adds), limit each client address to a number of
// requests in five minutes, and run AWS managed rule groups. The rules' order, names and
// CloudWatch metrics are fixed here, so the CloudFront ACL of the site and the regional
// ACL of the API read the same way in the console and on the dashboard.
//
// A rate limit counts requests per source address as the ACL sees it. Behind a proxy
// (CloudFront in front of API Gateway) that address is the proxy's, and one limit would
// count every client behind one proxy server together: Props.validate refuses a rate
// limit together with a required header, and the rate limit belongs on the ACL that
// sees the clients themselves (CLOUDFRONT scope for the site).
package webacl

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Scope is where a web ACL can be attached.
type Scope string

// The scopes.
const (
	// Regional ACLs protect API Gateway stages (and other regional resources) of their
	// own region.
	Regional Scope = "REGIONAL"
	// CloudFront ACLs protect distributions; CloudFormation creates them only in
	// CloudFrontRegion.
	CloudFront Scope = "CLOUDFRONT"
)

// CloudFrontRegion is the only region where a CLOUDFRONT-scope web ACL can be created.
const CloudFrontRegion = "us-east-1"

// Rule names, stable: they name the rules' CloudWatch metrics (AWS/WAFV2, dimension Rule).
const (
	// RequireHeaderRule blocks requests without Props.RequireHeader.
	RequireHeaderRule = "RequireOriginHeader"
	// RateLimitRule blocks a source address above Props.RateLimit.
	RateLimitRule = "RateLimitPerIp"
)

// WebACL is a web ACL (construct id "Resource").
type WebACL struct {
	constructs.Construct
	// ACL is the web ACL; it implements interfacesawswafv2.IWebACLRef.
	ACL awswafv2.CfnWebACL
	// Arn is the ACL's ARN, what a distribution's WebACLId and an association take.
	Arn *string
}

// ManagedRuleGroup is one of AWS's managed rule groups (vendor "AWS").
type ManagedRuleGroup struct {
	// Name is the group's name, such as AWSManagedRulesCommonRuleSet. Required.
	Name string
	// CountOnly are rules of the group that only count instead of blocking, for rules
	// that would refuse legitimate requests of this app. Default: none.
	CountOnly []string
}

// Response is a custom answer to a blocked request.
type Response struct {
	// Status is the HTTP status, 200-599. Required.
	Status int
	// Body is the JSON body (content type application/json), at most 4 KB. Default: none.
	Body string
	// Headers are added to the answer, such as Retry-After. Default: none.
	Headers map[string]string
}

// RequiredHeader is a header that every allowed request must carry with exactly Value.
type RequiredHeader struct {
	// Name of the header (case-insensitive). Required.
	Name string
	// Value the header must have; may be a token such as a Secrets Manager dynamic
	// reference, which CloudFormation resolves at deploy time. Required.
	Value *string
	// Refusal answers a request without the header. Default: WAF's bare 403.
	Refusal *Response
}

// Props configures the web ACL.
type Props struct {
	// Name of the ACL, unique per scope and region; also its metric name. Required.
	Name string
	// Description is shown in the console. Default: none.
	Description string
	// Scope is Regional or CloudFront. Required.
	Scope Scope
	// RequireHeader refuses every request without it (rule RequireHeaderRule, first).
	// Default: none.
	RequireHeader *RequiredHeader
	// RateLimit is how many requests one source address may send in five minutes before
	// the ACL blocks it (rule RateLimitRule): 10 to 2,000,000,000, or 0 for no rate
	// limit. Not allowed with RequireHeader (see the package comment). Default: 0.
	RateLimit int
	// RateLimited answers a request over the rate limit. Default: WAF's bare 403.
	RateLimited *Response
	// ManagedRules run after the rules above, in this order. Default: none.
	ManagedRules []ManagedRuleGroup
}

var (
	namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	// descriptionPattern is what CloudFormation accepts as a web ACL's Description.
	descriptionPattern = regexp.MustCompile(`^[a-zA-Z0-9=:#@/\-,.][a-zA-Z0-9+=:#@/\-,.\s]+[a-zA-Z0-9+=:#@/\-,.]{1,256}$`)
	headerPattern      = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
	groupPattern       = regexp.MustCompile(`^AWSManagedRules[A-Za-z0-9]+$`)
)

// WAF's limits on rate-based rules and custom responses.
const (
	MinRateLimit    = 10
	MaxRateLimit    = 2_000_000_000
	maxResponseBody = 4096
)

func (p *Props) validate() error {
	var errs []error
	if !namePattern.MatchString(p.Name) {
		errs = append(errs, fmt.Errorf("webacl: Name %q: allowed is 1-128 of A-Z a-z 0-9 _ -", p.Name))
	}
	if p.Description != "" && !descriptionPattern.MatchString(p.Description) {
		errs = append(errs, fmt.Errorf("webacl: Description %q: allowed are letters, digits, spaces and + = : # @ / - , . (no quotes or parentheses)", p.Description))
	}
	if p.Scope != Regional && p.Scope != CloudFront {
		errs = append(errs, fmt.Errorf("webacl: Scope %q: allowed are %q and %q", p.Scope, Regional, CloudFront))
	}
	if p.RateLimit != 0 && (p.RateLimit < MinRateLimit || p.RateLimit > MaxRateLimit) {
		errs = append(errs, fmt.Errorf("webacl: RateLimit %d: allowed is 0 (none) or %d..%d requests per 5 minutes", p.RateLimit, MinRateLimit, MaxRateLimit))
	}
	if p.RateLimited != nil && p.RateLimit == 0 {
		errs = append(errs, errors.New("webacl: RateLimited is set without a RateLimit: allowed only with a rate limit"))
	}
	if h := p.RequireHeader; h != nil {
		if !headerPattern.MatchString(h.Name) {
			errs = append(errs, fmt.Errorf("webacl: RequireHeader.Name %q: allowed is 1-64 of A-Z a-z 0-9 -", h.Name))
		}
		if h.Value == nil || *h.Value == "" {
			errs = append(errs, errors.New("webacl: RequireHeader.Value is required"))
		}
		if p.RateLimit != 0 {
			errs = append(errs, fmt.Errorf("webacl: RateLimit %d with RequireHeader %q: allowed is no rate limit, since every request it lets through comes from the proxy that adds the header, whose addresses a rate limit would count instead of the clients'", p.RateLimit, h.Name))
		}
		errs = append(errs, h.Refusal.validate("RequireHeader.Refusal"))
	}
	errs = append(errs, p.RateLimited.validate("RateLimited"))
	for i, g := range p.ManagedRules {
		if !groupPattern.MatchString(g.Name) {
			errs = append(errs, fmt.Errorf("webacl: ManagedRules[%d].Name %q: allowed is the name of an AWS managed rule group, AWSManagedRules...", i, g.Name))
		}
	}
	if p.RequireHeader == nil && p.RateLimit == 0 && len(p.ManagedRules) == 0 {
		errs = append(errs, errors.New("webacl: no rules: set at least one of RequireHeader, RateLimit, ManagedRules"))
	}
	return errors.Join(errs...)
}

func (r *Response) validate(field string) error {
	if r == nil {
		return nil
	}
	var errs []error
	if r.Status < 200 || r.Status > 599 {
		errs = append(errs, fmt.Errorf("webacl: %s.Status %d: allowed is 200..599", field, r.Status))
	}
	if len(r.Body) > maxResponseBody {
		errs = append(errs, fmt.Errorf("webacl: %s.Body of %d bytes: allowed is at most %d", field, len(r.Body), maxResponseBody))
	}
	for _, name := range slices.Sorted(maps.Keys(r.Headers)) {
		if !headerPattern.MatchString(name) {
			errs = append(errs, fmt.Errorf("webacl: %s.Headers %q: allowed is 1-64 of A-Z a-z 0-9 -", field, name))
		}
	}
	return errors.Join(errs...)
}

// New makes the web ACL in scope, at construct id "Resource" below id. A CLOUDFRONT ACL
// must be in a stack of CloudFrontRegion.
func New(scope constructs.Construct, id string, props *Props) *WebACL {
	if props == nil {
		props = &Props{}
	}
	cfn, err := CfnProps(props)
	if err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	acl := awswafv2.NewCfnWebACL(c, jsii.String("Resource"), cfn)
	return &WebACL{Construct: c, ACL: acl, Arn: acl.AttrArn()}
}

// CfnProps are the CloudFormation properties of the ACL that props describe, for a
// caller that must create the CfnWebACL itself at an existing construct id (renaming a
// web ACL's construct would replace it, and a replacement fails on the ACL's name).
func CfnProps(props *Props) (*awswafv2.CfnWebACLProps, error) {
	p := *props
	if err := p.validate(); err != nil {
		return nil, err
	}
	bodies := map[string]interface{}{}
	var rules []interface{}
	priority := 0
	if h := p.RequireHeader; h != nil {
		rules = append(rules, &awswafv2.CfnWebACL_RuleProperty{
			Name:     jsii.String(RequireHeaderRule),
			Priority: jsii.Number(priority),
			Statement: &awswafv2.CfnWebACL_StatementProperty{NotStatement: &awswafv2.CfnWebACL_NotStatementProperty{
				Statement: &awswafv2.CfnWebACL_StatementProperty{ByteMatchStatement: &awswafv2.CfnWebACL_ByteMatchStatementProperty{
					// WAF matches header names in lower case.
					FieldToMatch:         &awswafv2.CfnWebACL_FieldToMatchProperty{SingleHeader: map[string]interface{}{"Name": strings.ToLower(h.Name)}},
					PositionalConstraint: jsii.String("EXACTLY"),
					SearchString:         h.Value,
					TextTransformations: &[]interface{}{&awswafv2.CfnWebACL_TextTransformationProperty{
						Priority: jsii.Number(0), Type: jsii.String("NONE"),
					}},
				}},
			}},
			Action:           &awswafv2.CfnWebACL_RuleActionProperty{Block: block(h.Refusal, "Refused", bodies)},
			VisibilityConfig: visibility(RequireHeaderRule),
		})
		priority++
	}
	if p.RateLimit > 0 {
		rules = append(rules, &awswafv2.CfnWebACL_RuleProperty{
			Name:     jsii.String(RateLimitRule),
			Priority: jsii.Number(priority),
			Statement: &awswafv2.CfnWebACL_StatementProperty{
				RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
					Limit:            jsii.Number(p.RateLimit),
					AggregateKeyType: jsii.String("IP"),
				},
			},
			Action:           &awswafv2.CfnWebACL_RuleActionProperty{Block: block(p.RateLimited, "RateLimited", bodies)},
			VisibilityConfig: visibility(RateLimitRule),
		})
		priority++
	}
	for _, g := range p.ManagedRules {
		rules = append(rules, managedRule(priority, g))
		priority++
	}
	out := &awswafv2.CfnWebACLProps{
		Name:             jsii.String(p.Name),
		Scope:            jsii.String(string(p.Scope)),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: &awswafv2.CfnWebACL_AllowActionProperty{}},
		VisibilityConfig: visibility(p.Name),
		Rules:            &rules,
	}
	if p.Description != "" {
		out.Description = jsii.String(p.Description)
	}
	if len(bodies) > 0 {
		out.CustomResponseBodies = bodies
	}
	return out, nil
}

// block is a block action, with the custom response r (its body registered in bodies
// under key) when r is set.
func block(r *Response, key string, bodies map[string]interface{}) *awswafv2.CfnWebACL_BlockActionProperty {
	if r == nil {
		return &awswafv2.CfnWebACL_BlockActionProperty{}
	}
	resp := &awswafv2.CfnWebACL_CustomResponseProperty{ResponseCode: jsii.Number(r.Status)}
	if r.Body != "" {
		bodies[key] = &awswafv2.CfnWebACL_CustomResponseBodyProperty{
			ContentType: jsii.String("APPLICATION_JSON"), Content: jsii.String(r.Body),
		}
		resp.CustomResponseBodyKey = jsii.String(key)
	}
	if len(r.Headers) > 0 {
		var headers []interface{}
		for _, name := range slices.Sorted(maps.Keys(r.Headers)) {
			headers = append(headers, &awswafv2.CfnWebACL_CustomHTTPHeaderProperty{
				Name: jsii.String(name), Value: jsii.String(r.Headers[name]),
			})
		}
		resp.ResponseHeaders = &headers
	}
	return &awswafv2.CfnWebACL_BlockActionProperty{CustomResponse: resp}
}

func visibility(name string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
	return &awswafv2.CfnWebACL_VisibilityConfigProperty{
		CloudWatchMetricsEnabled: jsii.Bool(true),
		MetricName:               jsii.String(name),
		SampledRequestsEnabled:   jsii.Bool(true),
	}
}

func managedRule(priority int, g ManagedRuleGroup) *awswafv2.CfnWebACL_RuleProperty {
	group := &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{
		VendorName: jsii.String("AWS"),
		Name:       jsii.String(g.Name),
	}
	if len(g.CountOnly) > 0 {
		var overrides []interface{}
		for _, r := range g.CountOnly {
			overrides = append(overrides, &awswafv2.CfnWebACL_RuleActionOverrideProperty{
				Name:        jsii.String(r),
				ActionToUse: &awswafv2.CfnWebACL_RuleActionProperty{Count: &awswafv2.CfnWebACL_CountActionProperty{}},
			})
		}
		group.RuleActionOverrides = &overrides
	}
	return &awswafv2.CfnWebACL_RuleProperty{
		Name:             jsii.String(g.Name),
		Priority:         jsii.Number(priority),
		Statement:        &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: group},
		OverrideAction:   &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]interface{}{}},
		VisibilityConfig: visibility(g.Name),
	}
}
