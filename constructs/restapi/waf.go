package restapi

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/webacl"
)

// RateLimitPer5Min is how many requests one IP address may send in five minutes before
// the web ACL blocks it.
const RateLimitPer5Min = 2000

// newWebACL protects the stage with AWS's common and known-bad-inputs rule groups and a
// per-IP rate limit, for an API that clients call on its own endpoint: the rate limit
// counts the address API Gateway sees, which behind a proxy (CloudFront) would be the
// proxy's; an API behind a distribution gets its web ACLs from the site instead
// (constructs/staticsite, OriginCheck). The common group's 8 KB body-size rule only
// counts: the API accepts bodies up to 16 KiB and validates their size itself. The ACL
// keeps its construct id "WebAcl": a new id would replace it, and the replacement would
// fail on the ACL's name.
func (r *RestAPI) newWebACL(name string) awswafv2.CfnWebACL {
	props, err := webacl.CfnProps(&webacl.Props{
		Name:        name,
		Description: "Managed rules and a per-IP rate limit in front of the REST API",
		Scope:       webacl.Regional,
		RateLimit:   RateLimitPer5Min,
		ManagedRules: []webacl.ManagedRuleGroup{
			{Name: "AWSManagedRulesCommonRuleSet", CountOnly: []string{"SizeRestrictions_BODY"}},
			{Name: "AWSManagedRulesKnownBadInputsRuleSet"},
		},
	})
	if err != nil {
		panic(err)
	}
	acl := awswafv2.NewCfnWebACL(r.Construct, jsii.String("WebAcl"), props)
	awswafv2.NewCfnWebACLAssociation(r.Construct, jsii.String("WebAclAssociation"), &awswafv2.CfnWebACLAssociationProps{
		ResourceArn: r.API.DeploymentStage().StageArn(),
		WebAclArn:   acl.AttrArn(),
	})
	return acl
}
