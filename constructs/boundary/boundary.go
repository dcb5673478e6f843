// Package boundary makes the permissions boundary that every role of an environment
// carries: a managed policy that caps what any role may ever do, whatever is later
// attached to it, and denies what no role of the app may do at all.
package boundary

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/nag"
)

// Statement ids of the boundary: the allow-list and the deny-list.
const (
	AllowSid = "AppServices"
	DenySid  = "NoIdentityOrAccountChanges"
)

// Boundary is the boundary's managed policy. It is made directly under the given id (no
// wrapping construct), so its logical id stays what it has always been.
type Boundary struct {
	awsiam.ManagedPolicy
}

// Props configures the boundary.
type Props struct {
	// Name of the managed policy. It is fixed, not generated, so that the deploy policy
	// can require it on every role CloudFormation creates. Required.
	Name string
	// Description is shown in the IAM console. Default: "Maximum permissions of every
	// role that carries this boundary".
	Description string
	// Allow lists the actions a role may ever be granted: "service:Action", or a
	// wildcard such as "service:Get*". A bare "*" is refused. Required.
	Allow []string
	// Deny lists actions that no role may use even when granted. Default: none.
	Deny []string
}

var (
	namePattern   = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,128}$`)
	actionPattern = regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9*]+$`)
)

func (p *Props) validate() error {
	var errs []error
	if !namePattern.MatchString(p.Name) {
		errs = append(errs, fmt.Errorf("boundary: Name %q: allowed is 1-128 of A-Z a-z 0-9 + = , . @ _ -", p.Name))
	}
	if len(p.Allow) == 0 {
		errs = append(errs, errors.New("boundary: Allow is empty: list the actions the roles may be granted"))
	}
	for _, list := range []struct {
		key     string
		actions []string
	}{{"Allow", p.Allow}, {"Deny", p.Deny}} {
		for i, a := range list.actions {
			if !actionPattern.MatchString(a) {
				errs = append(errs, fmt.Errorf("boundary: %s[%d] %q: allowed is service:Action or a wildcard such as s3:Get*", list.key, i, a))
			}
		}
	}
	if len(p.Description) > 1000 {
		errs = append(errs, fmt.Errorf("boundary: Description of %d characters: allowed is at most 1000", len(p.Description)))
	}
	return errors.Join(errs...)
}

// New makes the boundary.
func New(scope constructs.Construct, id string, props *Props) *Boundary {
	if props == nil {
		props = &Props{}
	}
	if err := props.validate(); err != nil {
		panic(err)
	}
	description := cmp.Or(props.Description, "Maximum permissions of every role that carries this boundary")
	statements := []awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(AllowSid),
			Actions:   jsii.Strings(props.Allow...),
			Resources: jsii.Strings("*"),
		}),
	}
	if len(props.Deny) > 0 {
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(DenySid),
			Effect:    awsiam.Effect_DENY,
			Actions:   jsii.Strings(props.Deny...),
			Resources: jsii.Strings("*"),
		}))
	}
	policy := awsiam.NewManagedPolicy(scope, jsii.String(id), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(props.Name),
		Description:       jsii.String(description),
		Statements:        &statements,
	})
	appliesTo := []string{"Resource::*"}
	for _, a := range props.Allow {
		if strings.Contains(a, "*") {
			appliesTo = append(appliesTo, "Action::"+a)
		}
	}
	nag.Suppress(policy, false, "AwsSolutions-IAM5",
		"A permissions boundary caps what roles may be granted; it grants nothing itself. Each role's own policy names exact resources.",
		appliesTo...)
	return &Boundary{ManagedPolicy: policy}
}
