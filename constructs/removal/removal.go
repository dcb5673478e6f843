// Package removal decides in one place what happens to a resource when its stack is
// deleted: state is retained unless a non-production environment asks to destroy it.
package removal

import "github.com/aws/aws-cdk-go/awscdk/v2"

// Policy is DESTROY when destroy is true (a throw-away environment), else RETAIN.
func Policy(destroy bool) awscdk.RemovalPolicy {
	if destroy {
		return awscdk.RemovalPolicy_DESTROY
	}
	return awscdk.RemovalPolicy_RETAIN
}
