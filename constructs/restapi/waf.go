package restapi

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/jsii-runtime-go"
)

// RateLimitPer5Min is how many requests one IP address may send in five minutes before
// the web ACL blocks it.
const RateLimitPer5Min = 2000

func visibility(name string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
	return &awswafv2.CfnWebACL_VisibilityConfigProperty{
		CloudWatchMetricsEnabled: jsii.Bool(true),
		MetricName:               jsii.String(name),
		SampledRequestsEnabled:   jsii.Bool(true),
	}
}

func managedRule(priority int, name string, countOnly ...string) *awswafv2.CfnWebACL_RuleProperty {
	group := &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{
		VendorName: jsii.String("AWS"),
		Name:       jsii.String(name),
	}
	if len(countOnly) > 0 {
		var overrides []interface{}
		for _, r := range countOnly {
			overrides = append(overrides, &awswafv2.CfnWebACL_RuleActionOverrideProperty{
				Name:        jsii.String(r),
				ActionToUse: &awswafv2.CfnWebACL_RuleActionProperty{Count: &awswafv2.CfnWebACL_CountActionProperty{}},
			})
		}
		group.RuleActionOverrides = &overrides
	}
	return &awswafv2.CfnWebACL_RuleProperty{
		Name:             jsii.String(name),
		Priority:         jsii.Number(priority),
		Statement:        &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: group},
		OverrideAction:   &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]interface{}{}},
		VisibilityConfig: visibility(name),
	}
}

// newWebACL protects the stage with AWS's common and known-bad-inputs rule groups and a
// per-IP rate limit. The common group's 8 KB body-size rule only counts: the API accepts
// bodies up to 16 KiB and validates their size itself.
func (r *RestAPI) newWebACL(name string) awswafv2.CfnWebACL {
	acl := awswafv2.NewCfnWebACL(r.Construct, jsii.String("WebAcl"), &awswafv2.CfnWebACLProps{
		Name:             jsii.String(name),
		Description:      jsii.String("Managed rules and a per-IP rate limit in front of the REST API"),
		Scope:            jsii.String("REGIONAL"),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: &awswafv2.CfnWebACL_AllowActionProperty{}},
		VisibilityConfig: visibility(name),
		Rules: &[]interface{}{
			&awswafv2.CfnWebACL_RuleProperty{
				Name:     jsii.String("RateLimitPerIp"),
				Priority: jsii.Number(0),
				Statement: &awswafv2.CfnWebACL_StatementProperty{
					RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
						Limit:            jsii.Number(RateLimitPer5Min),
						AggregateKeyType: jsii.String("IP"),
					},
				},
				Action:           &awswafv2.CfnWebACL_RuleActionProperty{Block: &awswafv2.CfnWebACL_BlockActionProperty{}},
				VisibilityConfig: visibility("RateLimitPerIp"),
			},
			managedRule(1, "AWSManagedRulesCommonRuleSet", "SizeRestrictions_BODY"),
			managedRule(2, "AWSManagedRulesKnownBadInputsRuleSet"),
		},
	})
	awswafv2.NewCfnWebACLAssociation(r.Construct, jsii.String("WebAclAssociation"), &awswafv2.CfnWebACLAssociationProps{
		ResourceArn: r.API.DeploymentStage().StageArn(),
		WebAclArn:   acl.AttrArn(),
	})
	return acl
}
