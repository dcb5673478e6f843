package stacks

import (
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// suppress records one reviewed cdk-nag finding on one construct (and its children when
// children is true). appliesTo narrows IAM findings to the exact action or resource.
func suppress(construct any, children bool, rule, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		items := make([]interface{}, len(appliesTo))
		for i, a := range appliesTo {
			items[i] = a
		}
		s.AppliesTo = &items
	}
	cdknag.NagSuppressions_AddResourceSuppressions(construct, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(children))
}
