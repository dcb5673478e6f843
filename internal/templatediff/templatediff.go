// Package templatediff compares a stack's deployed CloudFormation template with the one a
// change would deploy, as `cdk diff` does, for reviewers of a pull request: the resources
// added, changed, replaced or removed (a replaced stateful resource stands out: its data
// goes with it unless it is retained), and whatever widens access: IAM statements, managed
// policies, resource policies and security-group rules that the new template adds.
//
// Whether a property change replaces a resource comes from the CloudFormation registry
// schemas (createOnlyProperties: always; conditionalCreateOnlyProperties: may), vendored in
// replacement.json for the resource types the app uses. It imports no CDK code: the
// pull-request check runs it on the synthesized assembly and templates read through the
// lookup role.
package templatediff

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Change is what a deploy would do to one resource.
type Change string

// The changes, as `cdk diff` names them.
const (
	Added    Change = "added"
	Removed  Change = "removed"
	Changed  Change = "changed"
	Replaced Change = "replaced"
	// MayReplace is a change of a property that replaces the resource in some cases
	// (conditionalCreateOnlyProperties), or of a type the vendored data does not know.
	MayReplace Change = "may be replaced"
)

// ResourceDiff is one resource that a deploy would touch.
type ResourceDiff struct {
	LogicalID string
	Type      string
	// Path is the construct path without the stack and the trailing "Resource" segments
	// ("Backend/NotesRead"), or the logical id when the template has no path metadata.
	Path   string
	Change Change
	// Properties are the top-level properties that change, each marked when it replaces
	// the resource.
	Properties []Property
	// Stateful resources hold data: a table, a bucket, a user pool, a key, a log group..., or
	// any resource whose DeletionPolicy keeps it.
	Stateful bool
}

// Property is one changed top-level property.
type Property struct {
	Name string
	// Replaces is "always" (a create-only property), "maybe" (conditionally create-only,
	// or unknown type) or empty.
	Replaces string
}

// Broadening is an addition that widens access.
type Broadening struct {
	// Kind is "iam" (a policy statement, managed policy or permission) or
	// "security-group" (an ingress or egress rule).
	Kind string
	// Resource names the resource that carries it (path or logical id).
	Resource string
	// Detail is the statement, policy or rule, as compact JSON.
	Detail string
}

// StackDiff is one stack's difference.
type StackDiff struct {
	Stack string
	// NotDeployed is set when the stack does not exist yet: every resource is added.
	NotDeployed bool
	Resources   []ResourceDiff
	Broadening  []Broadening
}

// Empty reports whether the deploy changes nothing.
func (d StackDiff) Empty() bool { return len(d.Resources) == 0 && len(d.Broadening) == 0 }

//go:embed replacement.json
var replacementJSON []byte

// ReplacementData is the vendored registry data.
type ReplacementData struct {
	Source     string                     `json:"source"`
	Regenerate string                     `json:"regenerate"`
	Types      map[string]CreateOnlyPaths `json:"types"`
}

// CreateOnlyPaths are a type's property paths ("/properties/TableName") whose change
// replaces the resource: always, or conditionally.
type CreateOnlyPaths struct {
	Always      []string `json:"always,omitempty"`
	Conditional []string `json:"conditional,omitempty"`
}

// Replacement returns the vendored data.
func Replacement() ReplacementData {
	var d ReplacementData
	if err := json.Unmarshal(replacementJSON, &d); err != nil {
		panic(fmt.Errorf("templatediff: replacement.json: %w", err))
	}
	return d
}

var replacement = Replacement()

// statefulTypes hold data that a replacement loses: CloudFormation deletes the old
// resource after creating the new one.
var statefulTypes = []string{
	"AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::S3::Bucket", "AWS::Cognito::UserPool",
	"AWS::KMS::Key", "AWS::Logs::LogGroup", "AWS::SecretsManager::Secret", "AWS::RDS::DBInstance",
	"AWS::RDS::DBCluster", "AWS::EFS::FileSystem", "AWS::SQS::Queue", "AWS::Kinesis::Stream",
	"AWS::OpenSearchService::Domain", "AWS::Backup::BackupVault", "AWS::ECR::Repository",
	"AWS::CodeCommit::Repository",
}

type resource struct {
	Type                string         `json:"Type"`
	Properties          map[string]any `json:"Properties"`
	Metadata            map[string]any `json:"Metadata"`
	DeletionPolicy      string         `json:"DeletionPolicy"`
	UpdateReplacePolicy string         `json:"UpdateReplacePolicy"`
}

type template struct {
	Resources map[string]resource `json:"Resources"`
}

func parse(b []byte) (template, error) {
	var t template
	if len(b) == 0 {
		return t, nil
	}
	err := json.Unmarshal(b, &t)
	return t, err
}

// Diff compares the deployed template (nil when the stack does not exist) with the new
// one.
func Diff(stack string, deployed, next []byte) (StackDiff, error) {
	old, err := parse(deployed)
	if err != nil {
		return StackDiff{}, fmt.Errorf("%s: the deployed template: %w", stack, err)
	}
	nu, err := parse(next)
	if err != nil {
		return StackDiff{}, fmt.Errorf("%s: the new template: %w", stack, err)
	}
	d := StackDiff{Stack: stack, NotDeployed: deployed == nil}
	for _, id := range slices.Sorted(maps.Keys(union(old.Resources, nu.Resources))) {
		o, inOld := old.Resources[id]
		n, inNew := nu.Resources[id]
		r := ResourceDiff{LogicalID: id, Type: n.Type, Path: pathOf(id, n)}
		switch {
		case !inOld:
			r.Change, r.Stateful = Added, stateful(n)
		case !inNew:
			r.Change, r.Type, r.Path, r.Stateful = Removed, o.Type, pathOf(id, o), stateful(o)
		case o.Type != n.Type:
			r.Change, r.Stateful = Replaced, stateful(o) || stateful(n)
			r.Properties = []Property{{Name: "Type", Replaces: "always"}}
		default:
			r.Stateful = stateful(o) || stateful(n)
			r.Properties, r.Change = changedProperties(n.Type, o, n)
		}
		if r.Change != "" {
			d.Resources = append(d.Resources, r)
		}
	}
	d.Broadening = broadening(old, nu)
	return d, nil
}

func union[V any](a, b map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func stateful(r resource) bool {
	switch r.DeletionPolicy {
	case "Retain", "RetainExceptOnCreate", "Snapshot":
		return true
	}
	return slices.Contains(statefulTypes, r.Type)
}

func pathOf(id string, r resource) string {
	p, _ := r.Metadata["aws:cdk:path"].(string)
	if p == "" {
		return id
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if len(segs) > 2 {
		segs = segs[2:] // the stage and the stack
	} else if len(segs) > 1 {
		segs = segs[1:]
	}
	for len(segs) > 1 && segs[len(segs)-1] == "Resource" {
		segs = segs[:len(segs)-1]
	}
	return strings.Join(segs, "/")
}

// changedProperties lists the top-level properties (and the resource policies) whose
// values differ, each marked by whether its change replaces the resource.
func changedProperties(typ string, o, n resource) ([]Property, Change) {
	var leaves []string
	diffPaths("/properties", toAny(o.Properties), toAny(n.Properties), &leaves)
	paths, known := replacement.Types[typ]
	unknown := !known && !strings.HasPrefix(typ, "Custom::") && typ != "AWS::CloudFormation::CustomResource"
	byName := map[string]string{}
	for _, leaf := range leaves {
		name := strings.SplitN(strings.TrimPrefix(leaf, "/properties/"), "/", 2)[0]
		how := byName[name]
		switch {
		case covers(paths.Always, leaf):
			how = "always"
		case how != "always" && (covers(paths.Conditional, leaf) || unknown):
			how = "maybe"
		}
		byName[name] = how
	}
	for _, policy := range []struct{ name, old, new string }{
		{"DeletionPolicy", o.DeletionPolicy, n.DeletionPolicy}, {"UpdateReplacePolicy", o.UpdateReplacePolicy, n.UpdateReplacePolicy},
	} {
		if policy.old != policy.new {
			byName[policy.name] = "" // what happens on delete or replacement, not a replacement itself
		}
	}
	if len(byName) == 0 {
		return nil, ""
	}
	change := Changed
	var props []Property
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		props = append(props, Property{Name: name, Replaces: byName[name]})
		switch byName[name] {
		case "always":
			change = Replaced
		case "maybe":
			if change != Replaced {
				change = MayReplace
			}
		}
	}
	return props, change
}

func toAny(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}

// covers reports whether a create-only path is the changed path or contains it, or lies
// inside it (the whole object holding it changed).
func covers(createOnly []string, changed string) bool {
	for _, p := range createOnly {
		if p == changed || strings.HasPrefix(changed, p+"/") || strings.HasPrefix(p, changed+"/") {
			return true
		}
	}
	return false
}

// diffPaths appends the JSON-pointer paths where a and b differ: object keys recurse, any
// other difference (a list, a scalar, a type) is reported where it is.
func diffPaths(at string, a, b any, out *[]string) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		for _, k := range slices.Sorted(maps.Keys(union(am, bm))) {
			diffPaths(at+"/"+k, am[k], bm[k], out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, at)
	}
}
