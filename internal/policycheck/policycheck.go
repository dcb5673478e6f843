// Package policycheck is the pre-deploy policy check (`go run ./cmd/policycheck --assembly
// cdk.out --app notes --stage prod`).
//
// An environment's CloudFormation execution policies are generated from the resource types
// of its templates (internal/deploypolicy) and created by an administrator of the account,
// outside the pipeline: the execution role may not change its own policies. When a commit
// adds a resource type, the policies must be updated before that commit deploys, or the
// deploy fails halfway through a stack with AccessDenied. The check runs before the
// stage's first change set: it derives, from the stage's new templates, what the execution
// role must be allowed (the statements that deploy-policy would generate now), reads the
// policies the role has in the target account (through the bootstrap lookup role), and asks
// the IAM policy evaluator (internal/iamsim) whether they allow each of them. On a gap it
// fails before anything changes, and prints the missing actions and the commands that bring
// the account's policies up to date.
//
// It imports no CDK code, so the pipeline step that runs it compiles in seconds.
package policycheck

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/deploypolicy"
	"github.com/example/notesplatform/internal/iamsim"
	"github.com/example/notesplatform/internal/repo"
)

// Need is one thing the new templates need the execution role to be allowed: an action on
// a resource, with the condition keys the generated policy grants it under.
type Need struct {
	// Sid is the generated statement that grants it.
	Sid    string
	Action string
	// Pattern is the statement's resource pattern; Resource an ARN it matches, which is
	// what the evaluator is asked about.
	Pattern, Resource string
	// Context are the condition keys of the request.
	Context map[string][]string
	// Types are the resource types of the templates whose table entry needs it.
	Types []string
}

// Gap is a Need that the deployed policies do not allow, with IAM's answer.
type Gap struct {
	Need
	Decision iamsim.Decision
	Denials  []iamsim.Statement
}

// evaluator is the IAM policy evaluator (iamsim.Simulator).
type evaluator interface {
	Evaluate(ctx context.Context, reqs []iamsim.Request) ([]iamsim.Result, error)
}

var _ evaluator = (*iamsim.Simulator)(nil)

// globalServices answer in us-east-1 whatever the environment's region.
var globalServices = map[string]bool{"iam": true, "cloudfront": true, "route53": true, "organizations": true}

// sample is what a "*" of a resource pattern stands for in the resource the evaluator is
// asked about: the deployed policies must allow the pattern, so any name it matches will do.
const sample = "example"

// instance is an ARN that a pattern matches ("*" stays "*").
func instance(pattern string) string {
	if pattern == "*" {
		return pattern
	}
	return strings.ReplaceAll(strings.ReplaceAll(pattern, "*", sample), "?", "x")
}

// needs are the requests that the new templates' generated policies allow: every action of
// every Allow statement of the execution policies, on (an instance of) each of its
// resources, under its conditions.
func needs(b *deploypolicy.Bundle, types []string, region string) []Need {
	byGrant := map[string][]string{} // "sid action" -> types
	for _, t := range types {
		grants, _ := deploypolicy.Grants(t)
		for _, g := range grants {
			for _, a := range g.Actions {
				k := g.Sid + " " + a
				if !slices.Contains(byGrant[k], t) {
					byGrant[k] = append(byGrant[k], t)
				}
			}
		}
	}
	var out []Need
	for _, p := range b.ExecutionPolicies {
		for _, st := range p.Document.Statement {
			if st.Effect != "Allow" {
				continue
			}
			ctx := map[string][]string{}
			for op, kv := range st.Condition {
				for k, vs := range kv {
					if len(vs) == 0 {
						continue
					}
					v := vs[0]
					if strings.Contains(op, "Like") {
						v = instance(v)
					}
					ctx[k] = []string{v}
				}
			}
			for _, a := range st.Action {
				svc, _, _ := strings.Cut(a, ":")
				for _, r := range st.Resource {
					res := instance(r)
					reqRegion := region
					if globalServices[svc] {
						reqRegion = deploypolicy.GlobalRegion
					} else if parts := strings.SplitN(res, ":", 5); len(parts) == 5 && parts[3] != "" && parts[3] != sample {
						reqRegion = parts[3]
					}
					c := maps.Clone(ctx)
					c["aws:RequestedRegion"] = []string{reqRegion}
					out = append(out, Need{Sid: st.Sid, Action: a, Pattern: r, Resource: res, Context: c, Types: byGrant[st.Sid+" "+a]})
				}
			}
		}
	}
	return out
}

// accountKeyPolicy is the key policy statement every key of the templates starts with
// (CDK's default): it lets IAM policies grant the key's use. Without a key policy IAM
// allows nothing on a KMS key; the check is about the execution role's side.
func accountKeyPolicy(account string) any {
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + account + ":root"}, "Action": "kms:*", "Resource": "*",
	}}}
}

// gaps asks the evaluator which needs the deployed policies do not allow. The requests
// are the generated policy's own action and resource patterns, not calls an SDK makes: each
// is first evaluated as IAM would with the catalog's validation (which names the
// statements that deny), and where the catalog refuses the resource (an instance of
// "arn:aws:apigateway:eu-west-1::/*" is no API Gateway resource type) again without it,
// since the question is only whether one set of policies allows what another allows. KMS
// on a key carries the key's policy: IAM allows nothing on a key without one.
func gaps(ctx context.Context, sim evaluator, d *Deployed, account string, ns []Need) ([]Gap, error) {
	var identity []iamsim.Policy
	for _, p := range d.Managed {
		identity = append(identity, iamsim.Policy{Name: p.Name(), Document: p.Document})
	}
	for _, p := range d.Inline {
		identity = append(identity, iamsim.Policy{Name: p.Name, Document: p.Document})
	}
	if len(identity) == 0 {
		// No policy at all: IAM allows nothing (the evaluator wants one document).
		identity = []iamsim.Policy{{Name: "none", Document: map[string]any{"Version": "2012-10-17", "Statement": []any{}}}}
	}
	var boundary *iamsim.Policy
	if d.Boundary != nil {
		boundary = &iamsim.Policy{Name: d.Boundary.Name(), Document: d.Boundary.Document}
	}
	reqs := make([]iamsim.Request, len(ns))
	for i, n := range ns {
		var rp any
		if strings.HasPrefix(n.Action, "kms:") && strings.Contains(n.Resource, ":key/") {
			rp = accountKeyPolicy(account)
		}
		reqs[i] = iamsim.Request{Principal: d.Role, Identity: identity, Boundary: boundary, Action: n.Action,
			Resource: n.Resource, ResourceAccount: account, Context: n.Context, ResourcePolicy: rp}
	}
	res, err := sim.Evaluate(ctx, reqs)
	if err != nil {
		return nil, err
	}
	var again []int
	for i, r := range res {
		if r.Error != "" && reqs[i].ResourcePolicy == nil {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		retry := make([]iamsim.Request, len(again))
		for j, i := range again {
			retry[j] = reqs[i]
			retry[j].SkipValidation = true
		}
		out, err := sim.Evaluate(ctx, retry)
		if err != nil {
			return nil, err
		}
		for j, i := range again {
			res[i] = out[j]
		}
	}
	var out []Gap
	for i, r := range res {
		if r.Error != "" {
			return nil, fmt.Errorf("the evaluator rejected %s on %s: %s", ns[i].Action, ns[i].Resource, r.Error)
		}
		if r.Decision != iamsim.Allowed {
			out = append(out, Gap{Need: ns[i], Decision: r.Decision, Denials: r.Denials})
		}
	}
	return out, nil
}

// update is what an administrator does to one policy of the bundle.
type update struct {
	name, arn string
	// create: the policy does not exist yet; else a new default version, after deleting
	// deleteVersion when IAM's versions are used up.
	create        bool
	deleteVersion string
}

// canonical renders a policy document for comparison.
func canonical(doc any) string {
	b, err := json.Marshal(doc)
	if err != nil {
		return ""
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// updates are the policies of the generated bundle that differ from (or are missing in)
// the account, and whether the execution role must be bootstrapped again because the set
// of its policies or its boundary changes.
func updates(b *deploypolicy.Bundle, d *Deployed, account string) (out []update, rebootstrap bool) {
	deployed := map[string]ManagedPolicy{}
	for _, p := range d.Managed {
		deployed[p.ARN] = p
	}
	if d.Boundary != nil {
		deployed[d.Boundary.ARN] = *d.Boundary
	}
	arn := func(name string) string { return "arn:aws:iam::" + account + ":policy/" + name }
	var want []string
	for _, p := range b.ExecutionPolicies {
		want = append(want, arn(p.Name))
	}
	var have []string
	for _, p := range d.Managed {
		have = append(have, p.ARN)
	}
	slices.Sort(want)
	slices.Sort(have)
	rebootstrap = !slices.Equal(want, have) || d.Boundary == nil || d.Boundary.ARN != arn(b.Boundary.Name)
	for _, p := range append(slices.Clone(b.ExecutionPolicies), b.Boundary) {
		u := update{name: p.Name, arn: arn(p.Name)}
		got, ok := deployed[u.arn]
		switch {
		case !ok:
			u.create = true
		case canonical(got.Document) == canonical(p.Document):
			continue
		case len(got.Versions) >= MaxPolicyVersions:
			u.deleteVersion = got.Oldest()
		}
		out = append(out, u)
	}
	return out, rebootstrap
}

// commands are the administrator's commands for the updates, from a checkout of the
// commit under check.
func commands(us []update, rebootstrap bool, b *deploypolicy.Bundle, stage, account, region, qualifier, trust string) []string {
	var out []string
	for _, u := range us {
		file := u.name + ".json"
		out = append(out, fmt.Sprintf("go run ./cmd/deploypolicy --env %s --name %s > %s", stage, u.name, file))
		switch {
		case u.create:
			out = append(out, fmt.Sprintf("aws iam create-policy --policy-name %s --policy-document file://%s", u.name, file))
		default:
			if u.deleteVersion != "" {
				out = append(out, fmt.Sprintf("aws iam delete-policy-version --policy-arn %s --version-id %s   # IAM keeps %d versions: the oldest goes first",
					u.arn, u.deleteVersion, MaxPolicyVersions))
			}
			out = append(out, fmt.Sprintf("aws iam create-policy-version --policy-arn %s --policy-document file://%s --set-as-default", u.arn, file))
		}
	}
	if rebootstrap {
		var arns []string
		for _, p := range b.ExecutionPolicies {
			arns = append(arns, "arn:aws:iam::"+account+":policy/"+p.Name)
		}
		cmd := fmt.Sprintf("npx cdk bootstrap aws://%s/%s", account, region)
		if trust != "" {
			cmd += " --trust " + trust
		}
		if qualifier != deploypolicy.DefaultQualifier {
			cmd += " --qualifier " + qualifier
		}
		cmd += " --cloudformation-execution-policies " + strings.Join(arns, ",") + " --custom-permissions-boundary " + b.Boundary.Name
		out = append(out, cmd)
	}
	return out
}

var (
	appPattern       = regexp.MustCompile(`^[a-z][a-z0-9-]{1,19}$`)
	qualifierPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,10}$`)
	accountPattern   = regexp.MustCompile(`^[0-9]{12}$`)
)

// Main is the policy check command, reading the deployed policies with the caller's AWS
// credentials through the lookup role (or from --deployed). It returns the exit code: 0
// when the deployed policies allow what the new templates need, 1 when they do not, 2 on a
// usage or read error.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// CodeBuild names the commit it builds; the printed commands are for a checkout of it.
	commit := os.Getenv("CODEBUILD_RESOLVED_SOURCE_VERSION")
	return policyCheck(ctx, args, stdout, stderr, commit, newDeployedReader, func() (evaluator, error) {
		root, err := repo.Root()
		if err != nil {
			return nil, err
		}
		return iamsim.New(root)
	})
}

// policyCheck is Main with the reader of deployed policies and the evaluator.
func policyCheck(ctx context.Context, args []string, stdout, stderr io.Writer, commit string,
	reader func(file string) deployedPolicies, newEvaluator func() (evaluator, error)) int {
	fs := flag.NewFlagSet("policy-check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	assembly := fs.String("assembly", "cdk.out", "cloud assembly directory (cdk synth output)")
	stage := fs.String("stage", "", "stage (environment) whose templates to check, e.g. prod")
	app := fs.String("app", "", "the app's name (config appName): stacks, policies and boundary are named after it")
	qualifier := fs.String("qualifier", deploypolicy.DefaultQualifier, "bootstrap qualifier of the target account")
	trust := fs.String("trust", "", "the pipeline account the target account trusts (cdk bootstrap --trust), for the printed bootstrap command")
	deployedFile := fs.String("deployed", "", "read the execution role's policies from this JSON file (policycheck.Deployed) instead of IAM")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "policy-check:", err)
		return 2
	}
	if *stage == "" || *app == "" || fs.NArg() > 0 {
		return fail(errors.New("usage: policy-check --app <name> --stage <name> [--assembly cdk.out] [--qualifier hnb659fds] [--trust <account>] [--deployed <file>]"))
	}
	var bad []string
	if !appPattern.MatchString(*app) {
		bad = append(bad, fmt.Sprintf("--app %q: allowed is the config appName (a lower-case name of 2-20 of a-z 0-9 -)", *app))
	}
	if !qualifierPattern.MatchString(*qualifier) {
		bad = append(bad, fmt.Sprintf("--qualifier %q: allowed is 1-10 of A-Z a-z 0-9 _ - (the cdk bootstrap qualifier)", *qualifier))
	}
	if *trust != "" && !accountPattern.MatchString(*trust) {
		bad = append(bad, fmt.Sprintf("--trust %q: allowed is a 12-digit account id", *trust))
	}
	if len(bad) > 0 {
		return fail(errors.New(strings.Join(bad, "\n")))
	}

	asm, err := cfn.ReadStage(*assembly, *stage)
	if err != nil {
		return fail(err)
	}
	var tpls []map[string]any
	var account, lookupRole string
	perRegion := map[string]int{} // stacks by region
	for _, s := range asm.StageStacks(*stage) {
		if !accountPattern.MatchString(s.Account) || s.Region == "" {
			return fail(fmt.Errorf("stack %s: environment %q/%q: the check needs an explicit account and region", s.Name, s.Account, s.Region))
		}
		if account != "" && s.Account != account {
			return fail(fmt.Errorf("stack %s is in account %s, another stack of the stage in %s: one stage, one account", s.Name, s.Account, account))
		}
		account = s.Account
		perRegion[s.Region]++
		tpl, err := s.JSON()
		if err != nil {
			return fail(err)
		}
		tpls = append(tpls, tpl)
	}
	if account == "" {
		return fail(fmt.Errorf("stage %s has no stacks in %s", *stage, *assembly))
	}
	// The environment's region holds most of its stacks; the others (us-east-1 for the
	// Edge stack where WAF is on) deploy with their own region's bootstrap, to which the
	// same execution policies are attached (docs/accounts.md). The policies are the
	// account's: the check reads them from the environment region's execution role.
	regions := slices.SortedFunc(maps.Keys(perRegion), func(a, b string) int { return cmp.Or(perRegion[b]-perRegion[a], strings.Compare(a, b)) })
	region := regions[0]
	for _, s := range asm.StageStacks(*stage) {
		if lookupRole == "" && s.LookupRole != "" && s.Region == region {
			lookupRole = strings.ReplaceAll(s.LookupRole, "${AWS::Partition}", "aws")
		}
	}
	lookupRole = cmp.Or(lookupRole, config.LookupRoleArn(*qualifier, account, region))
	types := deploypolicy.ResourceTypes(tpls...)
	needed, err := deploypolicy.New(deploypolicy.Options{App: *app, Env: *stage, Account: account, Region: region, Regions: regions,
		BoundaryName: deploypolicy.BoundaryName(*app, *stage), ResourceTypes: types, Qualifier: *qualifier})
	if err != nil {
		fmt.Fprintf(stdout, "policy-check %s: FAILED: the new templates need what no execution policy can be generated for:\n%v\n", *stage, err)
		return 1
	}

	t := target{Account: account, Region: region, LookupRole: lookupRole,
		ExecutionRole: fmt.Sprintf("cdk-%s-cfn-exec-role-%s-%s", *qualifier, account, region)}
	deployed, err := reader(*deployedFile).Read(ctx, t)
	if err != nil {
		return fail(fmt.Errorf("reading the execution role %s of account %s through %s: %w", t.ExecutionRole, account, lookupRole, err))
	}
	if !deployed.Exists {
		return fail(fmt.Errorf("account %s has no execution role %s: bootstrap it in %s with the generated policies first (docs/accounts.md)", account, t.ExecutionRole, region))
	}
	sim, err := newEvaluator()
	if err != nil {
		return fail(err)
	}
	ns := needs(needed, types, region)
	missing, err := gaps(ctx, sim, deployed, account, ns)
	if err != nil {
		return fail(err)
	}
	for _, p := range deployed.Managed {
		if strings.HasSuffix(p.ARN, ":iam::aws:policy/AdministratorAccess") {
			fmt.Fprintf(stdout, "note: the execution role %s has AdministratorAccess: it can do anything, not only what the templates need; bootstrap the account with the generated policies (docs/accounts.md)\n", deployed.Role)
		}
	}
	us, rebootstrap := updates(needed, deployed, account)
	cmds := commands(us, rebootstrap, needed, *stage, account, region, *qualifier, *trust)
	if len(missing) == 0 {
		fmt.Fprintf(stdout, "policy-check %s: passed: the execution policies of account %s allow each of the %d requests (action on resource) that the new templates need (%d resource types)\n",
			*stage, account, len(ns), len(types))
		if len(cmds) > 0 {
			fmt.Fprintf(stdout, "note: the account's policies differ from what deploy-policy generates for these templates (they allow more, or are arranged otherwise); to bring them in line, as an administrator of account %s, from a checkout of this commit:\n", account)
			for _, c := range cmds {
				fmt.Fprintln(stdout, "  "+c)
			}
		}
		return 0
	}
	fmt.Fprintf(stdout, "\npolicy-check %s: FAILED: the execution policies of account %s (role %s) do not allow %d action(s) that the new templates need.\n",
		*stage, account, deployed.Role, len(missing))
	fmt.Fprintln(stdout, "Nothing was deployed: the stage stops before its first change set.")
	fmt.Fprintln(stdout, "\nMissing:")
	var actions []string
	for _, g := range missing {
		by := ""
		if g.Decision == iamsim.ExplicitlyDenied {
			var ds []string
			for _, d := range g.Denials {
				ds = append(ds, d.String())
			}
			by = " by " + strings.Join(ds, ", ")
		}
		fmt.Fprintf(stdout, "  %s on %s (needed by %s): %s%s\n", g.Action, g.Pattern, strings.Join(g.Types, ", "), g.Decision, by)
		if !slices.Contains(actions, g.Action) {
			actions = append(actions, g.Action)
		}
	}
	slices.Sort(actions)
	fmt.Fprintf(stdout, "Missing actions: %s\n", strings.Join(actions, " "))
	checkout := "this commit"
	if commit != "" {
		checkout = "commit " + commit
	}
	fmt.Fprintf(stdout, "\nUpdate the policies as an administrator of account %s (the execution role may not change its own policies),\nfrom a checkout of %s, then run the stage again (Retry in CodePipeline):\n", account, checkout)
	for _, c := range cmds {
		fmt.Fprintln(stdout, "  "+c)
	}
	if len(cmds) == 0 {
		fmt.Fprintln(stdout, "  (none: the account's policies are those deploy-policy generates; what denies is something else the role has, named above)")
	}
	return 1
}
