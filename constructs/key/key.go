// Package key makes the app's customer-managed KMS keys with the same defaults: yearly
// rotation, retention with the stack, a 30-day deletion window, and a key policy that
// lets nobody create grants except AWS services acting on AWS resources.
package key

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/removal"
)

// Props configures a key.
type Props struct {
	// Description says what the key encrypts.
	Description string
	// Alias of the key, e.g. "alias/notes-dev-logs". Default: no alias.
	Alias string
	// Destroy schedules the key for deletion with the stack. Default: false, retained.
	Destroy bool
}

// New makes a rotating customer-managed key whose grants are limited (RestrictGrants).
func New(scope constructs.Construct, id string, props *Props) awskms.Key {
	kp := &awskms.KeyProps{
		Description:       jsii.String(props.Description),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal.Policy(props.Destroy),
		PendingWindow:     awscdk.Duration_Days(jsii.Number(30)),
	}
	if props.Alias != "" {
		kp.Alias = jsii.String(props.Alias)
	}
	k := awskms.NewKey(scope, jsii.String(id), kp)
	RestrictGrants(k)
	return k
}

// RestrictGrantsSid is the statement id of the grant restriction in a key policy.
const RestrictGrantsSid = "GrantsOnlyForAWSResources"

// RestrictGrants adds the key policy statement that AWS Control Tower's CT.KMS.PR.3
// requires. CDK's default key policy gives the account's principals kms:*, so any role
// with kms:CreateGrant in its policy could hand the key to anyone, indefinitely, outside
// IAM. The statement denies kms:CreateGrant unless an AWS service creates the grant for an
// AWS resource (DynamoDB, Lambda and EBS do so with the caller's permission) or an AWS
// service principal calls.
func RestrictGrants(k awskms.IKey) {
	k.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(RestrictGrantsSid),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:CreateGrant"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{
			// Strings, as IAM compares them; BoolIfExists also denies when a key is absent.
			"BoolIfExists": map[string]interface{}{
				"kms:GrantIsForAWSResource": "false",
				"aws:PrincipalIsAWSService": "false",
			},
		},
	}), jsii.Bool(false))
}
