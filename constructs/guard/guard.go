// Package guard holds the reviewed exemptions from AWS Control Tower's proactive controls
// (CT.*.PR.* rules run by CloudFormation Guard; see test/controltower_test.go) and writes
// the per-resource ones into the templates as Metadata.guard.SuppressedRules, the
// CloudFormation Guard convention, so that a deployed template says which control each
// resource is exempt from. The exemptions themselves live in one file, exemptions.go.
//
// Note for reviewers: the Control Tower rules, and the hooks that run them, do not read
// that metadata (a hook sees only resource properties). An exemption here is a decision
// of this repository's test; an organization that turns the control on for the account
// still rejects the resource, so every exemption is also a control the platform team
// cannot turn on for these accounts.
package guard

import (
	"fmt"
	"path"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Waiver exempts the resources of one type at a construct path from one control.
type Waiver struct {
	// Control is the control id, e.g. "CT.S3.PR.2".
	Control string
	// Type is the CloudFormation type of the exempt resources, e.g. "AWS::S3::Bucket".
	Type string
	// Path matches construct paths (path.Match syntax: "*" stays within one segment),
	// e.g. "*/Base/AccessLogs/Resource" for the access-log bucket of every environment.
	Path string
	// Reason is why the control must not apply there, for a security reviewer.
	Reason string
}

// Facts describe the configuration a template was synthesized from, as far as it decides
// whether a control can apply.
type Facts struct {
	// Pipeline is true for the pipeline stack and its support stacks.
	Pipeline bool
	// LogRetentionDays is the environment's log retention (config logRetentionDays).
	LogRetentionDays int
	// CustomDomain is true when the environment serves its own domain (config domainName).
	CustomDomain bool
	// PrivateFunctions is true when the environment's functions run in its VPC (config
	// privateFunctions).
	PrivateFunctions bool
}

// NotApplicable names a control that cannot apply to a configuration: it is not checked
// on any resource of a template whose facts satisfy When.
type NotApplicable struct {
	// Control is the control id.
	Control string
	// When is true for the configurations the control cannot apply to.
	When func(Facts) bool
	// Reason is why, and what configuration makes the control apply.
	Reason string
}

// MetadataKey and SuppressedRules are where CloudFormation Guard's convention puts a
// resource's exemptions: Metadata.guard.SuppressedRules, a list of control ids.
const (
	MetadataKey     = "guard"
	SuppressedRules = "SuppressedRules"
)

// Match is one resource that a waiver exempts.
type Match struct {
	Waiver Waiver
	// Path is the resource's construct path.
	Path string
	// Stack is the CloudFormation name of the resource's stack.
	Stack string
	// LogicalID is the resource's logical id in that template.
	LogicalID string
}

// Validate checks that a list of waivers is well formed: a control id, a type, a valid
// pattern and a reason in each, and no duplicate.
func Validate(waivers []Waiver) error {
	seen := map[[3]string]bool{}
	for i, w := range waivers {
		if w.Control == "" || w.Type == "" || w.Path == "" || len(w.Reason) < 40 {
			return fmt.Errorf("guard: waiver %d (%s on %s %s): Control, Type, Path and a Reason of at least 40 characters are required", i, w.Control, w.Type, w.Path)
		}
		if _, err := path.Match(w.Path, ""); err != nil {
			return fmt.Errorf("guard: waiver %d: Path %q: %v", i, w.Path, err)
		}
		k := [3]string{w.Control, w.Type, w.Path}
		if seen[k] {
			return fmt.Errorf("guard: waiver %d: %s on %s %s is listed twice", i, w.Control, w.Type, w.Path)
		}
		seen[k] = true
	}
	return nil
}

// Apply writes the waivers into the metadata of every matching CloudFormation resource
// below scope and returns what each waiver matched. Call it once the app is built.
func Apply(scope constructs.IConstruct, waivers []Waiver) []Match {
	if err := Validate(waivers); err != nil {
		panic(err)
	}
	var out []Match
	for _, c := range *scope.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		r, ok := c.(awscdk.CfnResource)
		if !ok {
			continue
		}
		typ := *r.CfnResourceType()
		if !slices.ContainsFunc(waivers, func(w Waiver) bool { return w.Type == typ }) {
			continue
		}
		p := *r.Node().Path()
		matched := matching(waivers, typ, p)
		if len(matched) == 0 {
			continue
		}
		stack := awscdk.Stack_Of(r)
		id, _ := stack.Resolve(r.LogicalId()).(string)
		var rules []string
		for _, w := range matched {
			if !slices.Contains(rules, w.Control) {
				rules = append(rules, w.Control)
			}
		}
		slices.Sort(rules)
		r.AddMetadata(jsii.String(MetadataKey), map[string]interface{}{SuppressedRules: rules})
		for _, w := range matched {
			out = append(out, Match{Waiver: w, Path: p, Stack: *stack.StackName(), LogicalID: id})
		}
	}
	return out
}

// matching are the waivers for a resource of type typ at construct path p.
func matching(waivers []Waiver, typ, p string) []Waiver {
	var out []Waiver
	for _, w := range waivers {
		if ok, _ := path.Match(w.Path, p); ok && w.Type == typ {
			out = append(out, w)
		}
	}
	return out
}

// Resource is a CloudFormation resource of a synthesized template, as Matches needs it.
type Resource struct {
	// Stack is the CloudFormation name of its stack; LogicalID its id there.
	Stack, LogicalID string
	// Type is its CloudFormation type and Path its construct path.
	Type, Path string
}

// Matches is what Apply returns, found in synthesized templates rather than in the
// construct tree: the tests that read a cloud assembly use it, with the same matching.
func Matches(resources []Resource, waivers []Waiver) []Match {
	var out []Match
	for _, r := range resources {
		for _, w := range matching(waivers, r.Type, r.Path) {
			out = append(out, Match{Waiver: w, Path: r.Path, Stack: r.Stack, LogicalID: r.LogicalID})
		}
	}
	return out
}
