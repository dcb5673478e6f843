package templatediff

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// policyDocuments are where each type keeps policy documents: identity policies, trust
// policies and resource policies. A statement that a new template adds to any of them can
// let someone do something they could not before.
var policyDocuments = map[string][]string{
	"AWS::IAM::Policy":                    {"PolicyDocument"},
	"AWS::IAM::ManagedPolicy":             {"PolicyDocument"},
	"AWS::IAM::Role":                      {"AssumeRolePolicyDocument"},
	"AWS::S3::BucketPolicy":               {"PolicyDocument"},
	"AWS::SQS::QueuePolicy":               {"PolicyDocument"},
	"AWS::SNS::TopicPolicy":               {"PolicyDocument"},
	"AWS::KMS::Key":                       {"KeyPolicy"},
	"AWS::SecretsManager::ResourcePolicy": {"ResourcePolicy"},
	"AWS::Logs::ResourcePolicy":           {"PolicyDocument"},
	"AWS::ApiGateway::RestApi":            {"Policy"},
	"AWS::EC2::VPCEndpoint":               {"PolicyDocument"},
}

// broadening lists what the new template adds to access: policy statements that allow
// (identity, trust and resource policies, a role's inline policies), managed policies
// attached to a role, Lambda permissions, and security-group rules.
func broadening(old, nu template) []Broadening {
	before := map[string]bool{}
	for _, g := range grantsOf(old) {
		before[g.key()] = true
	}
	var out []Broadening
	for _, g := range grantsOf(nu) {
		if !before[g.key()] {
			out = append(out, g.Broadening)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Resource != out[j].Resource {
			return out[i].Resource < out[j].Resource
		}
		return out[i].Detail < out[j].Detail
	})
	return out
}

type grant struct {
	Broadening
	id string // logical id: a grant moved to another resource is a new grant
}

func (g grant) key() string { return g.Kind + "\x00" + g.id + "\x00" + g.Detail }

func grantsOf(t template) []grant {
	var out []grant
	for _, id := range slices.Sorted(maps.Keys(t.Resources)) {
		r := t.Resources[id]
		name := pathOf(id, r)
		add := func(kind, detail string) {
			out = append(out, grant{Broadening: Broadening{Kind: kind, Resource: name, Detail: detail}, id: id})
		}
		for _, prop := range policyDocuments[r.Type] {
			for _, s := range allowStatements(r.Properties[prop]) {
				add("iam", s)
			}
		}
		switch r.Type {
		case "AWS::IAM::Role":
			for _, p := range list(r.Properties["Policies"]) {
				m, _ := p.(map[string]any)
				for _, s := range allowStatements(m["PolicyDocument"]) {
					add("iam", s)
				}
			}
			for _, arn := range list(r.Properties["ManagedPolicyArns"]) {
				add("iam", "managed policy "+compact(arn))
			}
		case "AWS::Lambda::Permission":
			add("iam", "lambda permission "+compact(r.Properties))
		case "AWS::EC2::SecurityGroup":
			for _, rule := range list(r.Properties["SecurityGroupIngress"]) {
				add("security-group", "ingress "+compact(rule))
			}
			for _, rule := range list(r.Properties["SecurityGroupEgress"]) {
				add("security-group", "egress "+compact(rule))
			}
		case "AWS::EC2::SecurityGroupIngress":
			add("security-group", "ingress "+compact(r.Properties))
		case "AWS::EC2::SecurityGroupEgress":
			add("security-group", "egress "+compact(r.Properties))
		}
	}
	return out
}

// allowStatements are a policy document's Allow statements, each as canonical JSON (lists
// of actions, resources and principals sorted), so that reordering is no change.
func allowStatements(doc any) []string {
	d, _ := doc.(map[string]any)
	var out []string
	for _, s := range list(d["Statement"]) {
		m, ok := s.(map[string]any)
		if !ok || m["Effect"] != "Allow" {
			continue
		}
		c := map[string]any{}
		for k, v := range m {
			if k == "Sid" {
				continue // a statement's name grants nothing
			}
			c[k] = canonical(v)
		}
		out = append(out, compact(c))
	}
	return out
}

// canonical sorts lists of scalars (actions, resources, principals) by their JSON.
func canonical(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = canonical(e)
		}
		sort.SliceStable(out, func(i, j int) bool { return compact(out[i]) < compact(out[j]) })
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = canonical(e)
		}
		return out
	}
	return v
}

func list(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(string(b))
}
