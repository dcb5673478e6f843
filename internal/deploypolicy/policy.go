// Package deploypolicy derives the CloudFormation execution policy of one environment
// (the policy that `cdk bootstrap --cloudformation-execution-policies` gives the role that
// CloudFormation deploys with) from the resource types that the environment's synthesized
// templates contain. The pipeline can then change the application's resources and nothing
// else in the account: only the services and actions that those types need, IAM roles and
// policies only under the environment's name prefix and only with its permissions boundary,
// and explicit denies for removing the boundary or touching identities and the account.
//
// It is plain Go without jsii: the table and the generator are tested on their own, and
// `go run ./cmd/deploypolicy --env <name>` feeds it the templates of a synthesized stage.
package deploypolicy

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/example/notesplatform/internal/config"
)

// DefaultQualifier is the CDK bootstrap qualifier used when Options.Qualifier is empty.
const DefaultQualifier = "hnb659fds"

// GlobalRegion answers the API calls of global services (IAM, CloudFront).
const GlobalRegion = "us-east-1"

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one IAM policy statement. Condition maps an operator to condition keys and
// their values.
type Statement struct {
	Sid       string                         `json:"Sid"`
	Effect    string                         `json:"Effect"`
	Action    []string                       `json:"Action"`
	Resource  []string                       `json:"Resource"`
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

// Options says whose policy to make.
type Options struct {
	// App and Env make the name prefix "<app>-<env>" of stacks, roles and policies.
	App, Env string
	// Account and Region are the environment's.
	Account, Region string
	// Regions are every region the account's execution role deploys stacks to: an
	// environment's Region, and us-east-1 for the Edge stack where WAF is on
	// (config.Environment.Regions); the pipeline's region and those of its cross-region
	// support stacks, which CDK Pipelines deploys with the pipeline region's bootstrap
	// roles. The allows name resources (a pattern's {region}) in each, and the region deny
	// admits them. Default: Region only.
	Regions []string
	// BoundaryName is the permissions boundary every role must carry (BoundaryName).
	BoundaryName string
	// PolicyName is the name under which this policy is created in the account, so that it
	// can deny changes to itself. Default: PolicyName(App, Env).
	PolicyName string
	// ResourceTypes are the CloudFormation types of the environment's templates.
	ResourceTypes []string
	// Partition. Default: "aws".
	Partition string
	// Qualifier is the bootstrap qualifier. Default: DefaultQualifier.
	Qualifier string
	// Repository is the CodeCommit repository that the templates create: the pipeline's
	// source, named in config (pipeline.source.repositoryName) and so not under the
	// prefix. Required when a template has an AWS::CodeCommit::Repository.
	Repository string
	// Aliases are the KMS alias names ("alias/...") outside the prefix that the templates
	// create: CDK Pipelines names the key alias of each cross-region support stack itself,
	// from a hash ("alias/pport-eu..."), and offers no way to choose it. Each is one exact
	// name, reviewed with the templates it came from. Default: none.
	Aliases []string
	// RoleBoundary is the permissions boundary that every role the templates create must
	// carry, when no stack may own it and the bundle creates it instead: the pipeline
	// account's (PipelineRoleBoundary), since a stack that held its own boundary could
	// widen it in the next commit. It is then part of the bundle under BoundaryName, and
	// the deny that protects the bundle's policies protects it too. Default: nil, the
	// templates create the boundary (an environment's Base stack).
	RoleBoundary *Document
}

// PolicyName is the managed policy to create from this document in the target account and
// to pass to `cdk bootstrap`. It deliberately does not start with "<app>-<env>-", the prefix
// the policy lets CloudFormation manage.
func PolicyName(app, env string) string { return "cdk-" + app + "-" + env + "-deploy" }

var (
	namePattern    = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
	regionPattern  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	// repositoryPattern is what CodeCommit accepts as a repository name.
	repositoryPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	// aliasPattern is what KMS accepts as an alias name (the aws/ prefix is AWS's own).
	aliasPattern = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]{1,250}$`)
)

func (o *Options) validate() error {
	var errs []error
	if !namePattern.MatchString(o.App) || !namePattern.MatchString(o.Env) {
		errs = append(errs, fmt.Errorf("deploypolicy: app %q and env %q: allowed are lower-case names", o.App, o.Env))
	}
	if !accountPattern.MatchString(o.Account) {
		errs = append(errs, fmt.Errorf("deploypolicy: account %q: allowed is a 12-digit account id", o.Account))
	}
	for _, r := range append([]string{o.Region}, o.Regions...) {
		if !regionPattern.MatchString(r) {
			errs = append(errs, fmt.Errorf("deploypolicy: region %q: allowed is a region name such as eu-west-1", r))
		}
	}
	if o.Repository != "" && !repositoryPattern.MatchString(o.Repository) {
		errs = append(errs, fmt.Errorf("deploypolicy: repository %q: allowed is a CodeCommit repository name (1-100 of A-Z a-z 0-9 . _ -)", o.Repository))
	}
	if o.Repository == "" && slices.Contains(o.ResourceTypes, "AWS::CodeCommit::Repository") {
		errs = append(errs, errors.New("deploypolicy: the templates create an AWS::CodeCommit::Repository: Repository (its name) is required"))
	}
	for _, a := range o.Aliases {
		if !aliasPattern.MatchString(a) || strings.HasPrefix(a, "alias/aws/") {
			errs = append(errs, fmt.Errorf("deploypolicy: alias %q: allowed is a KMS alias name alias/<name> (not alias/aws/...)", a))
		}
	}
	if o.BoundaryName == "" {
		errs = append(errs, errors.New("deploypolicy: BoundaryName is required"))
	}
	if len(o.ResourceTypes) == 0 {
		errs = append(errs, errors.New("deploypolicy: no resource types: synthesize the stage first"))
	}
	if missing := Uncovered(o.ResourceTypes); len(missing) > 0 {
		errs = append(errs, fmt.Errorf("deploypolicy: resource types %v are not in deploypolicy.Table: add the IAM actions CloudFormation needs for them", missing))
	}
	return errors.Join(errs...)
}

// Covered reports whether the table knows a resource type.
func Covered(resourceType string) bool {
	_, ok := grantsFor(resourceType)
	return ok
}

// Uncovered returns the types, sorted and distinct, that the table does not know.
func Uncovered(types []string) []string {
	var out []string
	for _, t := range types {
		if !Covered(t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Grants returns what the table grants for a resource type (custom resources and CDK's
// metadata included), and whether it knows the type: the policy check names the types
// that need a missing action.
func Grants(resourceType string) ([]Grant, bool) { return grantsFor(resourceType) }

func grantsFor(resourceType string) ([]Grant, bool) {
	if strings.HasPrefix(resourceType, "Custom::") || resourceType == "AWS::CloudFormation::CustomResource" {
		return customResource, true
	}
	if resourceType == "AWS::CDK::Metadata" {
		return nil, true // written by the CLI, needs nothing
	}
	g, ok := Table[resourceType]
	return g, ok
}

// MaxPolicySize is the IAM quota for a managed policy document, in characters without
// white space.
const MaxPolicySize = 6144

// NamedPolicy is a policy document with the name to create it under.
type NamedPolicy struct {
	Name     string    `json:"name"`
	Document *Document `json:"document"`
}

// Bundle is what one environment's bootstrap needs: the execution policies (one document
// would exceed MaxPolicySize, so the statements are packed into as few as fit; pass all
// their ARNs to --cloudformation-execution-policies) and the permissions boundary of the
// execution role (--custom-permissions-boundary), which caps the role at the services and
// IAM actions of the execution policies and repeats every deny, so that a policy attached
// to the role later cannot widen it.
//
// RoleBoundary is set when the bundle, not a stack, creates the boundary that every role
// of the templates carries (Options.RoleBoundary): the pipeline account's.
type Bundle struct {
	ExecutionPolicies []NamedPolicy `json:"executionPolicies"`
	Boundary          NamedPolicy   `json:"boundary"`
	RoleBoundary      *NamedPolicy  `json:"roleBoundary,omitempty"`
}

// Documents returns every policy of the bundle, execution policies first, then the
// execution role's boundary and the roles' boundary (when the bundle has one).
func (b *Bundle) Documents() []NamedPolicy {
	out := append(slices.Clone(b.ExecutionPolicies), b.Boundary)
	if b.RoleBoundary != nil {
		out = append(out, *b.RoleBoundary)
	}
	return out
}

// Find returns the policy of that name.
func (b *Bundle) Find(name string) (*Document, bool) {
	for _, p := range b.Documents() {
		if p.Name == name {
			return p.Document, true
		}
	}
	return nil, false
}

// Size is a document's length as IAM counts it against MaxPolicySize.
func Size(d *Document) int {
	b, _ := json.Marshal(d)
	n := 0
	for _, r := range string(b) {
		if r != ' ' && r != '\n' && r != '\t' && r != '\r' {
			n++
		}
	}
	return n
}

// New builds the execution policies and the boundary for the resource types in o.
func New(o Options) (*Bundle, error) {
	if o.Partition == "" {
		o.Partition = "aws"
	}
	if o.Qualifier == "" {
		o.Qualifier = DefaultQualifier
	}
	if o.PolicyName == "" {
		o.PolicyName = PolicyName(o.App, o.Env)
	}
	if !slices.Contains(o.Regions, o.Region) {
		o.Regions = append([]string{o.Region}, o.Regions...)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	allows, err := allowStatements(o)
	if err != nil {
		return nil, err
	}
	// Pack the allows into documents; the first also carries the denies. The deny that
	// protects the policies names them all, so pack first and name after.
	var parts [][]Statement
	denyCount := len(denies(o, nil))
	budget := func(i int) int {
		if i == 0 {
			return MaxPolicySize - 800 - 250*denyCount // room for the denies
		}
		return MaxPolicySize - 100
	}
	for _, s := range allows {
		i := len(parts) - 1
		if i < 0 || Size(&Document{Version: "2012-10-17", Statement: append(slices.Clone(parts[i]), s)}) > budget(i) {
			parts = append(parts, nil)
			i++
		}
		parts[i] = append(parts[i], s)
	}
	names := make([]string, len(parts))
	for i := range parts {
		names[i] = fmt.Sprintf("%s-%d", o.PolicyName, i+1)
	}
	boundaryName := o.PolicyName + "-boundary"
	arn := func(name string) string { return fmt.Sprintf("arn:%s:iam::%s:policy/%s", o.Partition, o.Account, name) }
	var own []string
	for _, n := range append(slices.Clone(names), boundaryName) {
		own = append(own, arn(n))
	}
	if o.RoleBoundary != nil {
		own = append(own, boundaryARN(o))
	}
	deny := denies(o, own)

	b := &Bundle{}
	for i, p := range parts {
		if i == 0 {
			p = append(p, deny...)
		}
		b.ExecutionPolicies = append(b.ExecutionPolicies, NamedPolicy{Name: names[i], Document: &Document{Version: "2012-10-17", Statement: p}})
	}
	b.Boundary = NamedPolicy{Name: boundaryName, Document: &Document{Version: "2012-10-17", Statement: append(boundaryAllows(allows), deny...)}}
	if o.RoleBoundary != nil {
		b.RoleBoundary = &NamedPolicy{Name: o.BoundaryName, Document: o.RoleBoundary}
	}
	for _, p := range b.Documents() {
		if n := Size(p.Document); n > MaxPolicySize {
			return nil, fmt.Errorf("deploypolicy: %s is %d characters: the IAM limit is %d", p.Name, n, MaxPolicySize)
		}
	}
	return b, nil
}

// allowStatements merges the grants of the resource types into one statement per Sid.
func allowStatements(o Options) ([]Statement, error) {
	prefix := o.App + "-" + o.Env
	// One replacer per region: a pattern with {region} names its resource in each region
	// the role deploys to. {repository} and {alias} stand for each of the names that
	// Options gives; a pattern with a placeholder that has no value names nothing.
	var aliases []string
	for _, a := range o.Aliases {
		aliases = append(aliases, strings.TrimPrefix(a, "alias/"))
	}
	var repos []string
	if o.Repository != "" {
		repos = []string{o.Repository}
	}
	var rs []*strings.Replacer
	for _, region := range o.Regions {
		rs = append(rs, strings.NewReplacer(
			"{partition}", o.Partition, "{account}", o.Account, "{region}", region, "{prefix}", prefix,
			"{qualifier}", o.Qualifier, "{boundary}", boundaryARN(o),
		))
	}
	r := multiReplacer{rs: rs, lists: map[string][]string{"{repository}": repos, "{alias}": aliases}}
	// Every deployment reads the bootstrap version of its region (the templates'
	// CheckBootstrapVersion rule) and the outputs of the environment's other stacks
	// (cross-stack references; Fn::GetStackOutput reads across regions, as the Frontend
	// stack reads the Edge stack's web ACL in us-east-1): in every region of the stage.
	grants := []Grant{
		{Sid: "ReadBootstrapVersion", Actions: []string{"ssm:GetParameters"},
			Resources: []string{"arn:{partition}:ssm:{region}:{account}:parameter/cdk-bootstrap/{qualifier}/version"}},
		{Sid: "ReadAppStacks", Actions: []string{"cloudformation:DescribeStacks"},
			Resources: []string{"arn:{partition}:cloudformation:{region}:{account}:stack/{prefix}-*/*"}},
	}
	types := slices.Clone(o.ResourceTypes)
	slices.Sort(types)
	for _, t := range slices.Compact(types) {
		g, _ := grantsFor(t)
		grants = append(grants, g...)
	}
	bySid := map[string]*Statement{}
	var order []string
	for _, g := range grants {
		res := []string{"*"}
		if len(g.Resources) > 0 {
			if res = r.replaceAll(g.Resources); len(res) == 0 {
				return nil, fmt.Errorf("deploypolicy: grant %s (%v) names no resource: its placeholders have no value in Options", g.Sid, g.Resources)
			}
		}
		var cond map[string]map[string][]string
		if len(g.Condition) > 0 {
			cond = map[string]map[string][]string{}
			for op, kv := range g.Condition {
				cond[op] = map[string][]string{}
				for k, v := range kv {
					cond[op][k] = r.replaceAll(v)
				}
			}
		}
		s, ok := bySid[g.Sid]
		if !ok {
			s = &Statement{Sid: g.Sid, Effect: "Allow", Resource: res, Condition: cond}
			bySid[g.Sid] = s
			order = append(order, g.Sid)
		} else if !slices.Equal(s.Resource, res) || fmt.Sprint(s.Condition) != fmt.Sprint(cond) {
			return nil, fmt.Errorf("deploypolicy: grants with Sid %q differ in resources or condition: give them distinct Sids", g.Sid)
		}
		s.Action = append(s.Action, g.Actions...)
	}
	slices.Sort(order)
	var out []Statement
	for _, sid := range order {
		s := bySid[sid]
		slices.Sort(s.Action)
		s.Action = slices.Compact(s.Action)
		out = append(out, *s)
	}
	return out, nil
}

// boundaryAllows caps the execution role at the services of the allows ("<service>:*",
// IAM excepted) and at exactly their IAM actions.
func boundaryAllows(allows []Statement) []Statement {
	var services, iamActions []string
	for _, s := range allows {
		for _, a := range s.Action {
			svc, _, _ := strings.Cut(a, ":")
			if svc == "iam" {
				iamActions = append(iamActions, a)
			} else {
				services = append(services, svc+":*")
			}
		}
	}
	slices.Sort(services)
	slices.Sort(iamActions)
	out := []Statement{{Sid: "CapServices", Effect: "Allow", Action: slices.Compact(services), Resource: []string{"*"}}}
	if len(iamActions) > 0 {
		// Templates without IAM types need none: a statement without actions ("Action":
		// null) is no valid policy.
		out = append(out, Statement{Sid: "CapIAM", Effect: "Allow", Action: slices.Compact(iamActions), Resource: []string{"*"}})
	}
	return out
}

func boundaryARN(o Options) string {
	return fmt.Sprintf("arn:%s:iam::%s:policy/%s", o.Partition, o.Account, o.BoundaryName)
}

// denies hold whatever the allows might be combined with: they win over any other policy
// attached to the execution role. own are the ARNs of the bundle's policies.
func denies(o Options, own []string) []Statement {
	all := []string{"*"}
	return []Statement{
		{
			Sid: "DenyOtherRegions", Effect: "Deny", Action: all, Resource: all,
			// The stage's regions, and us-east-1, where global services (IAM, CloudFront)
			// answer.
			Condition: map[string]map[string][]string{"StringNotEquals": {"aws:RequestedRegion": regions(o.Regions)}},
		},
		{
			Sid: "DenyRoleWithoutBoundary", Effect: "Deny",
			Action:    []string{"iam:CreateRole", "iam:PutRolePermissionsBoundary"},
			Resource:  all,
			Condition: map[string]map[string][]string{"StringNotEquals": {"iam:PermissionsBoundary": {boundaryARN(o)}}},
		},
		{
			Sid: "DenyBoundaryRemoval", Effect: "Deny",
			Action:   []string{"iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"},
			Resource: all,
		},
		{
			Sid: "DenyIdentitiesAndAccount", Effect: "Deny",
			Action: []string{
				"iam:CreateUser", "iam:CreateGroup", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
				"iam:AddUserToGroup", "iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:AttachGroupPolicy", "iam:PutGroupPolicy",
				"iam:CreateOpenIDConnectProvider", "iam:CreateSAMLProvider", "iam:UpdateAccountPasswordPolicy",
				"iam:CreateAccountAlias", "iam:DeleteAccountAlias", "iam:CreateServiceLinkedRole",
				"organizations:*", "account:*",
			},
			Resource: all,
		},
		{
			Sid: "DenyChangingTheseDeployPolicies", Effect: "Deny",
			Action: []string{
				"iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion",
			},
			Resource: orAll(own),
		},
	}
}

func orAll(s []string) []string {
	if len(s) == 0 {
		return []string{"*"}
	}
	return s
}

// regions are the stage's regions, then GlobalRegion unless it is one of them.
func regions(stage []string) []string {
	out := slices.Clone(stage)
	if !slices.Contains(out, GlobalRegion) {
		out = append(out, GlobalRegion)
	}
	return out
}

// multiReplacer fills the placeholders of grant patterns: each pattern once per replacer
// (one per region), and once per value of each list placeholder it holds.
type multiReplacer struct {
	rs    []*strings.Replacer
	lists map[string][]string
}

// replaceAll returns the distinct filled patterns, in the order of in.
func (m multiReplacer) replaceAll(in []string) []string {
	var out []string
	for _, s := range in {
		expanded := []string{s}
		for _, ph := range slices.Sorted(maps.Keys(m.lists)) {
			values := m.lists[ph]
			if !strings.Contains(s, ph) {
				continue
			}
			var next []string
			for _, e := range expanded {
				for _, v := range values {
					next = append(next, strings.ReplaceAll(e, ph, v))
				}
			}
			expanded = next
		}
		for _, e := range expanded {
			for _, r := range m.rs {
				if v := r.Replace(e); !slices.Contains(out, v) {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// ResourceTypes returns the distinct, sorted resource types of CloudFormation templates
// (each the decoded JSON of a template).
func ResourceTypes(templates ...map[string]any) []string {
	var out []string
	for _, t := range templates {
		res, _ := t["Resources"].(map[string]any)
		for _, r := range res {
			if m, ok := r.(map[string]any); ok {
				if typ, ok := m["Type"].(string); ok {
					out = append(out, typ)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// BoundaryName is the fixed name of the permissions boundary, so the deploy policy can
// require it on every role the pipeline creates.
func BoundaryName(app, env string) string { return app + "-" + env + "-permissions-boundary" }

// ForEnvironment is the execution policy bundle of one environment, from the resource
// types of its synthesized templates: what `cmd/deploypolicy` prints and the tests check.
func ForEnvironment(app string, e config.Environment, templates ...map[string]any) (*Bundle, error) {
	return New(Options{
		App: app, Env: e.Name, Account: e.Account, Region: e.Region, Regions: e.Regions(),
		BoundaryName:  BoundaryName(app, e.Name),
		ResourceTypes: ResourceTypes(templates...),
	})
}
