// Package compat is the old-version compatibility gate (`go run ./cmd/compatgate
// --assembly cdk.out --stage dev`): it fails when a new template takes from a deployed
// function an IAM action, an action's resource, a managed policy or an environment
// variable, which the running version still needs during a gradual deploy. It reads both
// templates through internal/cfn and imports no CDK code, so its pipeline step builds in
// seconds.
package compat

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/deploypolicy"
)

// stackTemplate is one stack's template and the construct path of each resource whose
// path is known (aws:cdk:path metadata, or the cloud assembly's metadata file).
type stackTemplate struct {
	Name  string
	Tpl   *cfn.Template
	Paths map[string]string // logical id -> construct path, without a leading "/"
}

// parseTemplate reads a deployed JSON template and the aws:cdk:path metadata of its
// resources.
func parseTemplate(name string, b []byte) (stackTemplate, error) {
	tpl, err := cfn.ParseTemplate(b)
	if err != nil {
		return stackTemplate{}, fmt.Errorf("%s: %w", name, err)
	}
	return stackTemplate{Name: name, Tpl: tpl, Paths: cdkPaths(tpl)}, nil
}

// cdkPaths are the construct paths of a template's resources that carry aws:cdk:path
// metadata, by logical id, without the leading "/".
func cdkPaths(tpl *cfn.Template) map[string]string {
	out := map[string]string{}
	for id, r := range tpl.Resources {
		if p, ok := r.Metadata["aws:cdk:path"].(string); ok && p != "" {
			out[id] = strings.TrimPrefix(p, "/")
		}
	}
	return out
}

// Finding is one thing the deployed version of a function has and the new template takes
// away from it.
type Finding struct {
	// Function names the function: its construct path inside the stage without the
	// trailing "Resource" segments (e.g. "Backend/NotesRead"), or stack/logical id when no
	// path is known.
	Function string
	// Kind is "action" (an IAM action gone from every resource), "resource" (an action
	// kept, but not on this resource), "policy" (a managed policy detached), "statement"
	// (a NotAction/NotResource statement changed) or "env" (an environment variable
	// removed).
	Kind string
	// Item is the action, the managed policy, the statement or the variable.
	Item string
	// Detail says what exactly is removed (resources, conditions, denies).
	Detail string
}

// ID is what a person writes to accept the finding; "<Function>:*" accepts every
// finding of the function.
func (f Finding) ID() string { return f.Function + ":" + f.Kind + ":" + f.Item }

// functionName turns the path "dev/Backend/NotesRead/Resource/Resource" into
// "Backend/NotesRead": the path inside the stage, without the L2 and L1 "Resource" segments.
func functionName(st stackTemplate, logicalID string) string {
	p, ok := st.Paths[logicalID]
	if !ok {
		return st.Name + "/" + logicalID
	}
	segs := strings.Split(p, "/")
	if len(segs) > 1 {
		segs = segs[1:] // the stage
	}
	for len(segs) > 1 && segs[len(segs)-1] == "Resource" {
		segs = segs[:len(segs)-1]
	}
	return strings.Join(segs, "/")
}

// key identifies a resource across two templates: its construct path when known, else its
// logical id.
func (st stackTemplate) key(logicalID string) string {
	if p, ok := st.Paths[logicalID]; ok {
		return "path:" + p
	}
	return "id:" + logicalID
}

var subRef = regexp.MustCompile(`\$\{([A-Za-z0-9]+)((?:\.[A-Za-z0-9]+)*)\}`)

// canonical rewrites the template's own logical ids in Ref, Fn::GetAtt and Fn::Sub into
// their keys, so that the same resource compares equal in two templates even when its
// logical id changed, and renders the value as JSON.
func (st stackTemplate) canonical(v any) string {
	b, _ := json.Marshal(st.rewrite(v))
	return string(b)
}

func (st stackTemplate) rewrite(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			if ref, ok := x["Ref"].(string); ok {
				if _, own := st.Tpl.Resources[ref]; own {
					return map[string]any{"Ref": st.key(ref)}
				}
				return x
			}
			if att, ok := x["Fn::GetAtt"]; ok {
				var id, attr string
				switch a := att.(type) {
				case []any:
					if len(a) == 2 {
						id, _ = a[0].(string)
						attr = fmt.Sprint(a[1])
					}
				case string:
					id, attr, _ = strings.Cut(a, ".")
				}
				if _, own := st.Tpl.Resources[id]; own {
					return map[string]any{"Fn::GetAtt": []any{st.key(id), attr}}
				}
				return x
			}
			if sub, ok := x["Fn::Sub"].(string); ok {
				return map[string]any{"Fn::Sub": subRef.ReplaceAllStringFunc(sub, func(m string) string {
					g := subRef.FindStringSubmatch(m)
					if _, own := st.Tpl.Resources[g[1]]; own {
						return "${" + st.key(g[1]) + g[2] + "}"
					}
					return m
				})}
			}
		}
		out := map[string]any{}
		for k, e := range x {
			out[k] = st.rewrite(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = st.rewrite(e)
		}
		return out
	}
	return v
}

// statement is one IAM policy statement, its resources in canonical form.
type statement struct {
	Effect      string
	Actions     []string
	Resources   []string
	Condition   string // canonical JSON, "" when none
	Opaque      bool   // NotAction or NotResource: compared as a whole
	Raw         string // canonical JSON of the statement
	Description string
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

func (st stackTemplate) statements(doc any, where string) []statement {
	d, _ := doc.(map[string]any)
	var out []statement
	for _, s := range list(d["Statement"]) {
		m, ok := s.(map[string]any)
		if !ok {
			continue
		}
		s := statement{Effect: fmt.Sprint(m["Effect"]), Raw: st.canonical(m), Description: where}
		if sid, ok := m["Sid"].(string); ok {
			s.Description = where + " statement " + sid
		}
		if _, ok := m["NotAction"]; ok {
			s.Opaque = true
		}
		if _, ok := m["NotResource"]; ok {
			s.Opaque = true
		}
		for _, a := range list(m["Action"]) {
			s.Actions = append(s.Actions, fmt.Sprint(a))
		}
		for _, r := range list(m["Resource"]) {
			s.Resources = append(s.Resources, st.canonical(r))
		}
		if c, ok := m["Condition"]; ok {
			s.Condition = st.canonical(c)
		}
		out = append(out, s)
	}
	return out
}

func refersTo(v any, logicalID string) bool {
	for _, e := range list(v) {
		if m, ok := e.(map[string]any); ok && m["Ref"] == logicalID {
			return true
		}
	}
	return false
}

// roleGrants are the statements of a role (its inline policies, the AWS::IAM::Policy and
// customer-managed policies of the template attached to it) and the managed policy ARNs it
// carries from outside the template.
func (st stackTemplate) roleGrants(roleID string) (stmts []statement, managed []string) {
	role := st.Tpl.Resources[roleID]
	for _, p := range list(role.Properties["Policies"]) {
		if m, ok := p.(map[string]any); ok {
			stmts = append(stmts, st.statements(m["PolicyDocument"], fmt.Sprintf("inline policy %v", m["PolicyName"]))...)
		}
	}
	for _, a := range list(role.Properties["ManagedPolicyArns"]) {
		if m, ok := a.(map[string]any); ok {
			if ref, ok := m["Ref"].(string); ok && st.Tpl.Resources[ref].Type == "AWS::IAM::ManagedPolicy" {
				continue // expanded below
			}
		}
		managed = append(managed, st.canonical(a))
	}
	for _, id := range slices.Sorted(maps.Keys(st.Tpl.Resources)) {
		r := st.Tpl.Resources[id]
		switch r.Type {
		case "AWS::IAM::Policy":
			if refersTo(r.Properties["Roles"], roleID) {
				stmts = append(stmts, st.statements(r.Properties["PolicyDocument"], "policy "+id)...)
			}
		case "AWS::IAM::ManagedPolicy":
			if refersTo(r.Properties["Roles"], roleID) || refersTo(role.Properties["ManagedPolicyArns"], id) {
				stmts = append(stmts, st.statements(r.Properties["PolicyDocument"], "managed policy "+id)...)
			}
		}
	}
	return stmts, managed
}

// roleOf is the logical id of the function's role when the template defines it.
func (st stackTemplate) roleOf(fn cfn.Resource) (string, bool) {
	m, _ := fn.Properties["Role"].(map[string]any)
	switch att := m["Fn::GetAtt"].(type) {
	case []any:
		if len(att) == 2 {
			id, _ := att[0].(string)
			_, ok := st.Tpl.Resources[id]
			return id, ok
		}
	case string:
		id, _, _ := strings.Cut(att, ".")
		_, ok := st.Tpl.Resources[id]
		return id, ok
	}
	return "", false
}

func envNames(fn cfn.Resource) []string {
	env, _ := fn.Properties["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	return slices.Sorted(maps.Keys(vars))
}

// coversResource: "*" covers everything, an equal value covers itself, and a literal ARN
// pattern covers the literal ARNs it matches. Intrinsics compare by value.
func coversResource(pattern, resource string) bool {
	if pattern == `"*"` || pattern == resource {
		return true
	}
	var p, r string
	if json.Unmarshal([]byte(pattern), &p) != nil || json.Unmarshal([]byte(resource), &r) != nil {
		return false
	}
	return deploypolicy.Match(p, r, false)
}

func (s statement) matches(action, resource string) bool {
	return slices.ContainsFunc(s.Actions, func(a string) bool { return deploypolicy.Match(a, action, true) }) &&
		slices.ContainsFunc(s.Resources, func(r string) bool { return coversResource(r, resource) })
}

// compareStacks returns what the new template takes away from each function of the
// deployed one, and notes on what it could not compare.
func compareStacks(deployed, next stackTemplate) (findings []Finding, notes []string) {
	// A deployed template without path metadata: CDK derives logical ids from construct
	// paths, so a logical id that the new assembly knows is taken to have the same path.
	if len(deployed.Paths) == 0 {
		deployed.Paths = map[string]string{}
		for id, p := range next.Paths {
			if _, ok := deployed.Tpl.Resources[id]; ok {
				deployed.Paths[id] = p
			}
		}
	}
	nextFns := map[string]string{} // key -> logical id
	for id, r := range next.Tpl.Resources {
		if r.Type == "AWS::Lambda::Function" {
			nextFns[next.key(id)] = id
		}
	}
	for _, oldID := range slices.Sorted(maps.Keys(deployed.Tpl.Resources)) {
		oldFn := deployed.Tpl.Resources[oldID]
		if oldFn.Type != "AWS::Lambda::Function" {
			continue
		}
		newID, ok := nextFns[deployed.key(oldID)]
		if !ok {
			notes = append(notes, fmt.Sprintf("%s: function %s is not in the new template (removed or moved): not compared", deployed.Name, functionName(deployed, oldID)))
			continue
		}
		newFn := next.Tpl.Resources[newID]
		name := functionName(next, newID)
		add := func(kind, item, detail string) {
			findings = append(findings, Finding{Function: name, Kind: kind, Item: item, Detail: detail})
		}
		newEnv := envNames(newFn)
		for _, v := range envNames(oldFn) {
			if !slices.Contains(newEnv, v) {
				add("env", v, "environment variable "+v+" is removed")
			}
		}

		oldRole, okOld := deployed.roleOf(oldFn)
		newRole, okNew := next.roleOf(newFn)
		if !okOld || !okNew {
			notes = append(notes, fmt.Sprintf("%s: %s: the execution role is not defined in the template: its permissions are not compared", next.Name, name))
			continue
		}
		oldStmts, oldManaged := deployed.roleGrants(oldRole)
		newStmts, newManaged := next.roleGrants(newRole)
		for _, m := range oldManaged {
			if !slices.Contains(newManaged, m) {
				add("policy", m, "managed policy "+m+" is detached from the role")
			}
		}
		oldRaw := map[string]bool{}
		for _, s := range oldStmts {
			oldRaw[s.Raw] = true
		}
		newRaw := map[string]bool{}
		var allows, newDenies []statement
		for _, s := range newStmts {
			newRaw[s.Raw] = true
			switch {
			case s.Effect == "Allow" && !s.Opaque:
				allows = append(allows, s)
			case s.Effect == "Deny" && !oldRaw[s.Raw]:
				newDenies = append(newDenies, s)
			}
		}
		type lost struct{ resources []string }
		lostActions := map[string]*lost{}
		narrowed := map[string]*lost{}
		for _, s := range oldStmts {
			if s.Effect != "Allow" {
				continue
			}
			if s.Opaque {
				if !newRaw[s.Raw] {
					add("statement", s.Description, "statement "+s.Raw+" is changed or removed")
				}
				continue
			}
			for _, a := range s.Actions {
				for _, r := range s.Resources {
					covered := slices.ContainsFunc(allows, func(n statement) bool {
						return n.matches(a, r) && (n.Condition == "" || n.Condition == s.Condition)
					})
					denied := slices.ContainsFunc(newDenies, func(n statement) bool { return !n.Opaque && n.matches(a, r) })
					if covered && !denied {
						continue
					}
					granted := !denied && slices.ContainsFunc(allows, func(n statement) bool {
						return slices.ContainsFunc(n.Actions, func(p string) bool { return deploypolicy.Match(p, a, true) })
					})
					target := lostActions
					if granted {
						target = narrowed
					}
					if target[a] == nil {
						target[a] = &lost{}
					}
					if !slices.Contains(target[a].resources, r) {
						target[a].resources = append(target[a].resources, r)
					}
				}
			}
		}
		for _, a := range slices.Sorted(maps.Keys(lostActions)) {
			add("action", a, fmt.Sprintf("IAM action %s is removed (it was allowed on %s)", a, strings.Join(lostActions[a].resources, ", ")))
		}
		for _, a := range slices.Sorted(maps.Keys(narrowed)) {
			add("resource", a, fmt.Sprintf("IAM action %s is kept but no longer allowed on %s", a, strings.Join(narrowed[a].resources, ", ")))
		}
	}
	return findings, notes
}

// Accepted splits findings into those a person accepted (by id, by "<function>:*", or all
// by "*") and those that fail the gate, and returns the accept entries that matched nothing
// (to be removed from the config).
func Accepted(findings []Finding, accept []string) (failing, accepted []Finding, unused []string) {
	used := map[string]bool{}
	for _, f := range findings {
		switch {
		case slices.Contains(accept, f.ID()):
			used[f.ID()] = true
			accepted = append(accepted, f)
		case slices.Contains(accept, f.Function+":*"):
			used[f.Function+":*"] = true
			accepted = append(accepted, f)
		case slices.Contains(accept, "*"):
			used["*"] = true
			accepted = append(accepted, f)
		default:
			failing = append(failing, f)
		}
	}
	for _, a := range accept {
		if !used[a] {
			unused = append(unused, a)
		}
	}
	return failing, accepted, unused
}

// stageStack is one stack of a stage in the cloud assembly.
type stageStack struct {
	// Name is the CloudFormation stack name.
	Name    string
	Account string
	Region  string
	// LookupRoleArn is the bootstrap lookup role that may read the deployed template.
	LookupRoleArn string
	// Template is the new template, with the paths of the assembly's metadata.
	Template stackTemplate
}

// StackTemplate is one stack of a stage in a cloud assembly: its new template and where
// its deployed one is read.
type StackTemplate struct {
	// Name is the CloudFormation stack name.
	Name    string
	Account string
	Region  string
	// LookupRoleArn is the bootstrap lookup role that may read the deployed template.
	LookupRoleArn string
	// Template is the new template as the assembly holds it.
	Template []byte
	// Paths are the construct paths of its resources from the assembly's metadata.
	Paths map[string]string
}

// ReadStageTemplates reads the top-level stacks of one stage (a nested cloud assembly
// named for the stage) from a cloud assembly directory such as cdk.out. The compatibility
// gate and the pull-request check's infrastructure diff read them so.
func ReadStageTemplates(dir, stage, qualifier string) ([]StackTemplate, error) {
	asm, err := cfn.ReadStage(dir, stage)
	if err != nil {
		return nil, err
	}
	var out []StackTemplate
	for _, s := range asm.StageStacks(stage) {
		if s.Parent != nil {
			continue // nested stacks deploy with their parent; their functions live there too
		}
		if !regexp.MustCompile(`^[0-9]{12}$`).MatchString(s.Account) {
			return nil, fmt.Errorf("stack %s: environment %q/%q: the gate needs an explicit account and region", s.ID, s.Account, s.Region)
		}
		role := strings.ReplaceAll(s.LookupRole, "${AWS::Partition}", "aws")
		if role == "" {
			role = config.LookupRoleArn(qualifier, s.Account, s.Region)
		}
		out = append(out, StackTemplate{Name: s.Name, Account: s.Account, Region: s.Region, LookupRoleArn: role, Template: s.Raw, Paths: s.Paths})
	}
	return out, nil
}

// readStage reads the stacks of one stage with their parsed templates.
func readStage(dir, stage, qualifier string) ([]stageStack, error) {
	stacks, err := ReadStageTemplates(dir, stage, qualifier)
	if err != nil {
		return nil, err
	}
	var out []stageStack
	for _, s := range stacks {
		tpl, err := parseTemplate(s.Name, s.Template)
		if err != nil {
			return nil, err
		}
		for id, path := range s.Paths {
			if _, has := tpl.Paths[id]; !has {
				tpl.Paths[id] = path
			}
		}
		out = append(out, stageStack{Name: s.Name, Account: s.Account, Region: s.Region, LookupRoleArn: s.LookupRoleArn, Template: tpl})
	}
	return out, nil
}

func hasFunctions(t *cfn.Template) bool {
	for _, r := range t.Resources {
		if r.Type == "AWS::Lambda::Function" {
			return true
		}
	}
	return false
}

// deployedTemplates reads the template a stack runs now. found is false when the stack
// does not exist (or has never finished a deploy): the first deploy has no old version.
type deployedTemplates interface {
	Template(ctx context.Context, s stageStack) (body []byte, found bool, err error)
}

// dirTemplates reads deployed templates from <dir>/<stack name>.json, for offline runs
// (`aws cloudformation get-template --query TemplateBody > dir/<stack>.json`) and tests.
type dirTemplates string

// Template implements deployedTemplates.
func (d dirTemplates) Template(_ context.Context, s stageStack) ([]byte, bool, error) {
	b, err := os.ReadFile(filepath.Join(string(d), s.Name+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	return b, err == nil, err
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// compatGateTwoReleases is the advice printed with every failure.
const compatGateTwoReleases = `During a gradual deploy the version that runs now keeps serving part of the traffic with the
new template's role: what the new template removes is removed for it too. Do it in two releases:
  1. expand: ship the code that no longer uses it, and keep the grant, policy or variable in the
     template; let that release reach this environment;
  2. contract: remove it in the next release, and accept the contraction (the deployed version no
     longer uses it) with its id below; delete the acceptance after that release.`

// Main is the compatibility gate command, reading deployed templates with the caller's AWS
// credentials through the lookup role (or from --deployed). It returns the exit code: 0
// when no function loses anything (or every loss is accepted), 1 when one does, 2 on a
// usage or read error.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return compatGate(ctx, args, stdout, stderr, newDeployedReader)
}

// compatGate is Main with the reader of deployed templates.
func compatGate(ctx context.Context, args []string, stdout, stderr io.Writer, reader func(dir string) deployedTemplates) int {
	fs := flag.NewFlagSet("compat-gate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	assembly := fs.String("assembly", "cdk.out", "cloud assembly directory (cdk synth output)")
	stage := fs.String("stage", "", "stage (environment) whose stacks to check, e.g. dev")
	deployedDir := fs.String("deployed", "", "read deployed templates from <dir>/<stack name>.json instead of CloudFormation")
	qualifier := fs.String("qualifier", "hnb659fds", "bootstrap qualifier, for a manifest without a lookup role")
	executionType := fs.String("execution-type", "", "the pipeline execution's type: ROLLBACK accepts every contraction (an older release replaces the running one); STANDARD or empty checks")
	var accept stringList
	fs.Var(&accept, "accept", "accept a contraction by its id (<function>:<kind>:<item>), all of a function's (<function>:*) or all (*); repeatable")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "compat-gate:", err)
		return 2
	}
	if *stage == "" || fs.NArg() > 0 {
		return fail(errors.New("usage: compat-gate --stage <name> [--assembly cdk.out] [--accept <id>]... [--deployed <dir>]"))
	}
	var bad []string
	for _, a := range accept {
		if !config.AcceptPattern.MatchString(a) {
			bad = append(bad, fmt.Sprintf("--accept %q: allowed is %s", a, config.AcceptAllowed))
		}
	}
	switch *executionType {
	case "", "STANDARD":
	case "ROLLBACK":
		// A rollback deploys an older release: it removes what the release that runs now
		// added, which is the point. Report it, fail on nothing.
		accept = append(accept, "*")
		fmt.Fprintln(stdout, "rollback execution: every contraction below is accepted")
	default:
		bad = append(bad, fmt.Sprintf("--execution-type %q: allowed are STANDARD and ROLLBACK (CodePipeline's executionType), or empty", *executionType))
	}
	if len(bad) > 0 {
		return fail(errors.New(strings.Join(bad, "\n")))
	}
	stacks, err := readStage(*assembly, *stage, *qualifier)
	if err != nil {
		return fail(err)
	}
	deployed := reader(*deployedDir)
	var findings []Finding
	for _, s := range stacks {
		if !hasFunctions(s.Template.Tpl) {
			continue
		}
		body, found, err := deployed.Template(ctx, s)
		if err != nil {
			return fail(fmt.Errorf("%s: reading the deployed template: %w", s.Name, err))
		}
		if !found {
			fmt.Fprintf(stdout, "%s: not deployed yet: nothing runs that could lose a permission\n", s.Name)
			continue
		}
		old, err := parseTemplate(s.Name, body)
		if err != nil {
			return fail(err)
		}
		f, notes := compareStacks(old, s.Template)
		for _, n := range notes {
			fmt.Fprintln(stdout, "note:", n)
		}
		fmt.Fprintf(stdout, "%s: compared with the deployed template: %d removal(s)\n", s.Name, len(f))
		findings = append(findings, f...)
	}
	failing, accepted, unused := Accepted(findings, accept)
	for _, f := range accepted {
		fmt.Fprintf(stdout, "accepted %s: %s\n", f.ID(), f.Detail)
	}
	for _, a := range unused {
		if a == "*" && *executionType == "ROLLBACK" {
			continue // added above for the rollback, not by a person
		}
		fmt.Fprintf(stdout, "warning: --accept %s matches nothing this deploy removes: delete it from the configuration\n", a)
	}
	if len(failing) == 0 {
		fmt.Fprintf(stdout, "compat-gate %s: passed: the running version keeps every permission and variable it has\n", *stage)
		return 0
	}
	fmt.Fprintf(stdout, "\ncompat-gate %s: FAILED: the new templates take %d thing(s) away from the running version:\n", *stage, len(failing))
	for _, f := range failing {
		fmt.Fprintf(stdout, "  %s: %s\n      accept with: %s\n", f.Function, f.Detail, f.ID())
	}
	fmt.Fprintln(stdout, "\n"+compatGateTwoReleases)
	return 1
}
