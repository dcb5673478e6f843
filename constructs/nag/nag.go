// Package nag records reviewed cdk-nag findings next to the code that causes them, each
// with the rule, the exact finding it covers and the reason it is right.
package nag

import (
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Suppress records one reviewed finding on one construct (and its children when children
// is true). appliesTo narrows IAM findings to exact actions or resources; an entry that
// starts with "/" is a regular expression such as `/^Resource::<.*\.Arn>:log-stream:\*$/`.
func Suppress(construct any, children bool, rule, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		items := make([]interface{}, len(appliesTo))
		for i, a := range appliesTo {
			if len(a) > 1 && a[0] == '/' {
				items[i] = &cdknag.RegexAppliesTo{Regex: jsii.String(a)}
			} else {
				items[i] = a
			}
		}
		s.AppliesTo = &items
	}
	cdknag.NagSuppressions_AddResourceSuppressions(construct, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(children))
}

// SuppressRules records several reviewed findings that share one reason on one
// construct, in one call (a route's 405 method adds two per path: one call keeps synth
// fast when an API has hundreds of paths).
func SuppressRules(construct any, children bool, reason string, rules ...string) {
	list := make([]*cdknag.NagPackSuppression, len(rules))
	for i, rule := range rules {
		list[i] = &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	}
	cdknag.NagSuppressions_AddResourceSuppressions(construct, &list, jsii.Bool(children))
}

// LogStreams matches the log-stream wildcard under one log group ARN, which is how a
// writer to a single log group must be granted.
const LogStreams = `/^Resource::<[A-Za-z0-9]+\.Arn>:log-stream:\*$/`
