// Package key makes the app's customer-managed KMS keys with the same defaults: yearly
// rotation, retention with the stack, and a 30-day deletion window.
package key

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
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

// New makes a rotating customer-managed key.
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
	return awskms.NewKey(scope, jsii.String(id), kp)
}
