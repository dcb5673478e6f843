// Package config is the typed, validated configuration of the app. It is read once from the
// CDK context key "config" in cdk.json, with `cdk synth -c config.<path>=<value>` overrides,
// so that a wrong value stops synth with one message that names the key, the value and what
// is allowed, before any construct is created.
package config

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ContextKey is the cdk.json context key that holds the configuration.
const ContextKey = "config"

// Config is the whole app: its name, its environments in deployment order, and the pipeline.
type Config struct {
	// AppName prefixes stack names, resource names and IAM role names.
	AppName string `json:"appName"`
	// Environments are deployed in this order by the pipeline.
	Environments []Environment `json:"environments"`
	// Pipeline is where the delivery pipeline lives and where it reads the source.
	Pipeline Pipeline `json:"pipeline"`
}

// Environment is one deployment of the four stacks into one account and region.
type Environment struct {
	// Name is short and lower-case: it appears in stack names and tags.
	Name string `json:"name"`
	// Account is the 12-digit AWS account id.
	Account string `json:"account"`
	// Region is an AWS region name.
	Region string `json:"region"`
	// Zones are the availability zones of the VPC, written out so that synth needs no
	// AWS look-up; check them with `aws ec2 describe-availability-zones`.
	// Default: ["<region>a", "<region>b"].
	Zones []string `json:"zones"`
	// AuditTrail makes the Base stack record a multi-region CloudTrail trail of the
	// account. One trail per account is enough: turn it off for the other environments of
	// an account (and when the organization already runs a trail). Default: true.
	AuditTrail *bool `json:"auditTrail"`
	// Production turns on termination protection of the stateful stacks and forbids
	// removalPolicy "destroy". Default: false.
	Production bool `json:"production"`
	// LogRetentionDays is how long every log group keeps its events; it must be one of
	// the values CloudWatch Logs accepts. Default: 30 when zero.
	LogRetentionDays int `json:"logRetentionDays"`
	// RemovalPolicy is "retain" or "destroy" (non-production only: lets a throw-away
	// environment be deleted with its data). Default: "retain".
	RemovalPolicy RemovalPolicy `json:"removalPolicy"`
	// MFA is the user pool's multi-factor setting: "off", "optional" or "required".
	// Default: "required".
	MFA MFA `json:"mfa"`
	// ThreatProtection enforces Cognito threat protection (the Plus feature plan, billed
	// per active user). Default: false.
	ThreatProtection bool `json:"threatProtection"`
	// WAF puts AWS WAF in front of the app, billed per web ACL, rule and request: a
	// CloudFront web ACL (per-viewer rate limit, AWS managed rules) on the distribution,
	// in an Edge stack in us-east-1 (EdgeRegion), and a regional web ACL on the API stage
	// that refuses requests which did not come through the distribution. Deploying it
	// needs the environment's account bootstrapped in us-east-1 too. Default: false.
	WAF bool `json:"waf"`
	// AlarmEmail receives alarm notifications. Default: no subscription.
	AlarmEmail string `json:"alarmEmail"`
	// DomainName is the custom domain of the site. Default: the CloudFront domain only.
	DomainName string `json:"domainName"`
	// CertificateArn is the us-east-1 ACM certificate for DomainName; required with it.
	CertificateArn string `json:"certificateArn"`
	// PrivateFunctions runs the functions in the Base VPC's isolated subnets, with no
	// route to the internet: they reach DynamoDB through its gateway endpoint and Secrets
	// Manager through an interface endpoint (about 15 USD a month for two zones), each
	// limited by an endpoint policy to this environment's resources. Default: the value
	// of production.
	PrivateFunctions *bool `json:"privateFunctions"`
	// Deployment is how CodeDeploy moves traffic to a new version of each function:
	// "allAtOnce", "canary10Percent5Minutes" (10% for five minutes, then all) or
	// "linear10PercentEvery1Minute". A canary or linear deployment rolls back by itself
	// when an alarm on the new version fires. Default: canary10Percent5Minutes in
	// production, allAtOnce elsewhere.
	Deployment Deployment `json:"deployment"`
	// PreTrafficHook lets a function check each new version (its /health and a read
	// route) before CodeDeploy sends it any traffic. Default: true.
	PreTrafficHook *bool `json:"preTrafficHook"`
	// APIResourcesQuota is the API Gateway quota "Resources per API" granted for this
	// environment's REST API (Service Quotas); synth fails when the API reaches 80% of
	// it. Default: 300, AWS's default quota.
	APIResourcesQuota int `json:"apiResourcesQuota"`
	// RequireApproval puts a manual approval and a permissions-broadening check before the
	// pipeline deploys this environment. Default: false.
	RequireApproval bool `json:"requireApproval"`
	// AcceptContractions are what the old-version compatibility gate lets through for this
	// environment, written as the gate prints them: "<function>:<kind>:<item>" (one
	// contraction, e.g. "Backend/NotesRead:env:CURSOR_SECRET_ARN"), "<function>:*" (all of
	// a function's) or "*" (all). Accept a contraction only once the running release no
	// longer uses what is removed, and delete the entry after that release (the gate warns
	// about entries that match nothing). Default: none.
	AcceptContractions []string `json:"acceptContractions"`
	// FailOnDrift fails the pipeline stage when the drift check after its smoke test finds
	// a resource changed or deleted outside CloudFormation; the drift is reported either
	// way. Default: the value of production.
	FailOnDrift *bool `json:"failOnDrift"`
}

// Pipeline is the delivery pipeline's home and source.
type Pipeline struct {
	// Account is the 12-digit account that hosts the pipeline.
	Account string `json:"account"`
	// Region hosts the pipeline.
	Region string `json:"region"`
	// Source is the repository the pipeline builds on every push.
	Source Source `json:"source"`
}

// Source is either a CodeCommit repository or a CodeConnections repository.
type Source struct {
	// Kind is "codecommit" or "connection".
	Kind SourceKind `json:"kind"`
	// Branch is the branch that triggers the pipeline. Default: "main".
	Branch string `json:"branch"`
	// RepositoryName is the CodeCommit repository (kind codecommit).
	RepositoryName string `json:"repositoryName"`
	// CreateRepository makes the pipeline stack create the CodeCommit repository instead
	// of importing an existing one by name. Default: false.
	CreateRepository bool `json:"createRepository"`
	// ConnectionArn is the CodeConnections connection (kind connection).
	ConnectionArn string `json:"connectionArn"`
	// Repository is "owner/repo" on GitHub, GitLab or Bitbucket (kind connection).
	Repository string `json:"repository"`
	// Provider is the host of the connection's repository: "github", "gitlab" or
	// "bitbucket" (kind connection). The pipeline's source action does not need it, but
	// the pull-request check's CodeBuild project does: its source type and its webhook
	// filters differ per host. Default: "github" for kind connection.
	Provider SourceProvider `json:"provider"`
}

// SourceProvider is the host of a CodeConnections repository.
type SourceProvider string

// The hosts a CodeBuild project reaches through CodeConnections with webhooks.
const (
	GitHub    SourceProvider = "github"
	GitLab    SourceProvider = "gitlab"
	Bitbucket SourceProvider = "bitbucket"
)

// RemovalPolicy says what deleting a stack does to the state it holds.
type RemovalPolicy string

// The removal policies.
const (
	// Retain keeps tables, user pools, buckets, keys and logs when a stack is deleted.
	Retain RemovalPolicy = "retain"
	// Destroy deletes them with the stack: throw-away environments only.
	Destroy RemovalPolicy = "destroy"
)

// MFA is the user pool's multi-factor setting (TOTP apps).
type MFA string

// The MFA settings.
const (
	MFAOff      MFA = "off"
	MFAOptional MFA = "optional"
	MFARequired MFA = "required"
)

// SourceKind is where the pipeline reads the source.
type SourceKind string

// The source kinds.
const (
	// CodeCommit is a CodeCommit repository of the pipeline account.
	CodeCommit SourceKind = "codecommit"
	// Connection is a GitHub, GitLab or Bitbucket repository through CodeConnections.
	Connection SourceKind = "connection"
)

// Deployment is a CodeDeploy predefined configuration for Lambda.
type Deployment string

// The deployment styles.
const (
	AllAtOnce                   Deployment = "allAtOnce"
	Canary10Percent5Minutes     Deployment = "canary10Percent5Minutes"
	Linear10PercentEvery1Minute Deployment = "linear10PercentEvery1Minute"
)

// Defaults filled in by Load when a key is absent.
const (
	DefaultLogRetentionDays = 30
	DefaultRemovalPolicy    = Retain
	DefaultMFA              = MFARequired
	DefaultBranch           = "main"
	// DefaultAPIResourcesQuota is API Gateway's default "Resources per API".
	DefaultAPIResourcesQuota = 300
)

// Allowed values, exported so messages and tests share them.
var (
	// LogRetentionValues are the retention periods CloudWatch Logs accepts.
	LogRetentionValues = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
	// Regions are the commercial regions where every service of the app is offered.
	Regions = []string{
		"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1",
		"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
		"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
		"ap-south-1", "ap-south-2", "ap-east-1", "sa-east-1", "me-south-1", "me-central-1", "af-south-1", "il-central-1",
	}
	removalPolicies = []RemovalPolicy{Retain, Destroy}
	mfaValues       = []MFA{MFAOff, MFAOptional, MFARequired}
	sourceKinds     = []SourceKind{CodeCommit, Connection}
	// SourceProviders are the allowed values of pipeline.source.provider.
	SourceProviders = []SourceProvider{GitHub, GitLab, Bitbucket}
	deployments     = []Deployment{AllAtOnce, Canary10Percent5Minutes, Linear10PercentEvery1Minute}

	// AcceptPattern is the syntax of an accepted contraction, as the compatibility gate
	// prints its ids: <function>:<kind>:<item>, <function>:* (everything the function
	// loses), or * (everything). The config key acceptContractions, the pipeline step and
	// the gate's --accept all check it.
	AcceptPattern = regexp.MustCompile(`^(\*|[A-Za-z0-9][A-Za-z0-9/_.-]*:(\*|(action|resource|policy|statement|env):\S.*))$`)
	// AcceptAllowed says what AcceptPattern allows, for messages.
	AcceptAllowed = "<function>:<kind>:<item> (kind action, resource, policy, statement or env), <function>:* or *, as the compatibility gate prints it"

	appNamePattern    = regexp.MustCompile(`^[a-z][a-z0-9-]{1,19}$`)
	envNamePattern    = regexp.MustCompile(`^[a-z][a-z0-9]{1,9}$`)
	accountPattern    = regexp.MustCompile(`^[0-9]{12}$`)
	domainPattern     = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	certPattern       = regexp.MustCompile(`^arn:aws:acm:us-east-1:[0-9]{12}:certificate/[0-9a-f-]{36}$`)
	repoNamePattern   = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	repositoryPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	branchPattern     = regexp.MustCompile(`^[A-Za-z0-9._/-]{1,100}$`)
	connectionPattern = regexp.MustCompile(`^arn:aws:(codeconnections|codestar-connections):[a-z0-9-]+:[0-9]{12}:connection/[0-9a-f-]{36}$`)
)

// Load reads the configuration from the whole CDK context (the "config" object plus any
// "config.<path>" overrides given with -c), fills defaults and validates it. The error
// lists every problem, one per line.
func Load(context map[string]any) (*Config, error) {
	raw, err := merged(context)
	if err != nil {
		return nil, err
	}
	unknown := unknownKeys(ContextKey, raw, reflect.TypeOf(Config{}))
	buf, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("config: cannot encode: %w", err)
	}
	var c Config
	if err := json.Unmarshal(buf, &c); err != nil {
		return nil, errors.Join(append(unknown, typeError(err))...)
	}
	c.applyDefaults()
	if err := errors.Join(append(unknown, c.Validate())...); err != nil {
		return nil, err
	}
	return &c, nil
}

// merged returns the "config" object with the dotted overrides applied.
func merged(context map[string]any) (map[string]any, error) {
	base, err := asObject(context[ContextKey])
	if err != nil {
		return nil, err
	}
	var keys []string
	for k := range context {
		if strings.HasPrefix(k, ContextKey+".") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var errs []error
	for _, k := range keys {
		if err := override(base, strings.Split(strings.TrimPrefix(k, ContextKey+"."), "."), k, context[k]); err != nil {
			errs = append(errs, err)
		}
	}
	return base, errors.Join(errs...)
}

// asObject accepts the config as a JSON object or as a JSON string (what -c gives).
func asObject(v any) (map[string]any, error) {
	switch t := v.(type) {
	case nil:
		return nil, fmt.Errorf("config: context key %q is missing: add it to cdk.json (see docs/configuration.md)", ContextKey)
	case map[string]any:
		return deepCopy(t), nil
	case string:
		var m map[string]any
		if err := json.Unmarshal([]byte(t), &m); err != nil {
			return nil, fmt.Errorf("config: context key %q is not a JSON object: %v", ContextKey, err)
		}
		return m, nil
	default:
		return nil, fmt.Errorf("config: context key %q is a %T: allowed is a JSON object", ContextKey, v)
	}
}

func deepCopy(m map[string]any) map[string]any {
	buf, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(buf, &out)
	return out
}

// parseValue reads a -c value (always a string) as JSON when it is JSON (numbers,
// booleans, lists, objects), except where the key already holds a string: an account id
// such as 111111111111 stays a string.
func parseValue(v, existing any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	if _, isString := existing.(string); isString {
		return s
	}
	var parsed any
	if err := json.Unmarshal([]byte(s), &parsed); err == nil {
		return parsed
	}
	return s
}

// override sets path inside obj. Environments are addressed by name:
// config.environments.dev.logRetentionDays=7.
func override(obj map[string]any, path []string, key string, value any) error {
	cur := obj
	for i, seg := range path {
		last := i == len(path)-1
		if seg == "environments" && !last {
			envs, _ := cur["environments"].([]any)
			name := path[i+1]
			idx := slices.IndexFunc(envs, func(e any) bool {
				m, _ := e.(map[string]any)
				return m != nil && m["name"] == name
			})
			if idx < 0 {
				return fmt.Errorf("%s: no environment named %q in cdk.json: allowed are the configured environment names", key, name)
			}
			env := envs[idx].(map[string]any)
			if i+2 == len(path) {
				return fmt.Errorf("%s: name a key inside the environment, e.g. %s.logRetentionDays", key, key)
			}
			return override(env, path[i+2:], key, value)
		}
		if last {
			cur[seg] = parseValue(value, cur[seg])
			return nil
		}
		next, ok := cur[seg].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[seg] = next
		}
		cur = next
	}
	return nil
}

// unknownKeys reports keys that the struct type does not declare, with their full path.
func unknownKeys(path string, v any, t reflect.Type) []error {
	var errs []error
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil // a type error, reported by the decoder
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := range t.NumField() {
			tag := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
			fields[tag] = t.Field(i).Type
			names = append(names, tag)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				errs = append(errs, fmt.Errorf("%s.%s: unknown key: allowed keys are %s", path, k, strings.Join(names, ", ")))
				continue
			}
			errs = append(errs, unknownKeys(path+"."+k, m[k], ft)...)
		}
	case reflect.Slice:
		items, _ := v.([]any)
		for i, item := range items {
			errs = append(errs, unknownKeys(fmt.Sprintf("%s[%d]", path, i), item, t.Elem())...)
		}
	}
	return errs
}

// typeError turns a decoder error into a message that names the key.
func typeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("%s.%s: value of JSON type %s: allowed is a %s", ContextKey, te.Field, te.Value, te.Type)
	}
	return fmt.Errorf("%s: %v", ContextKey, err)
}

func (c *Config) applyDefaults() {
	for i := range c.Environments {
		e := &c.Environments[i]
		e.LogRetentionDays = cmp.Or(e.LogRetentionDays, DefaultLogRetentionDays)
		e.RemovalPolicy = cmp.Or(e.RemovalPolicy, DefaultRemovalPolicy)
		e.MFA = cmp.Or(e.MFA, DefaultMFA)
		e.APIResourcesQuota = cmp.Or(e.APIResourcesQuota, DefaultAPIResourcesQuota)
		if e.Deployment == "" {
			e.Deployment = AllAtOnce
			if e.Production {
				e.Deployment = Canary10Percent5Minutes
			}
		}
		if e.AuditTrail == nil {
			on := true
			e.AuditTrail = &on
		}
		if len(e.Zones) == 0 && e.Region != "" {
			e.Zones = []string{e.Region + "a", e.Region + "b"}
		}
	}
	c.Pipeline.Source.Branch = cmp.Or(c.Pipeline.Source.Branch, DefaultBranch)
	if c.Pipeline.Source.Kind == Connection {
		c.Pipeline.Source.Provider = cmp.Or(c.Pipeline.Source.Provider, GitHub)
	}
}

// Validate checks every value and returns all problems at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, value any, allowed string) {
		errs = append(errs, fmt.Errorf("%s.%s: value %s: allowed is %s", ContextKey, key, quote(value), allowed))
	}
	if !appNamePattern.MatchString(c.AppName) {
		bad("appName", c.AppName, "2-20 characters: a lower-case letter, then lower-case letters, digits or '-'")
	}
	if len(c.Environments) == 0 {
		errs = append(errs, fmt.Errorf("%s.environments: empty: allowed is a list of at least one environment", ContextKey))
	}
	names := map[string]bool{}
	places := map[string]string{}
	trails := map[string]string{}
	for i, e := range c.Environments {
		p := fmt.Sprintf("environments[%d]", i)
		if !envNamePattern.MatchString(e.Name) {
			bad(p+".name", e.Name, "2-10 characters: a lower-case letter, then lower-case letters or digits")
		} else if slices.Contains(ReservedNames, e.Name) {
			bad(p+".name", e.Name, fmt.Sprintf("a name other than %q (reserved: %s-pipeline is the pipeline stack)", ReservedNames, c.AppName))
		} else if names[e.Name] {
			bad(p+".name", e.Name, "a name not used by another environment (it is a duplicate)")
		}
		names[e.Name] = true
		validateAccountRegion(p, e.Account, e.Region, bad)
		if place := e.Account + "/" + e.Region; places[place] != "" {
			bad(p+".region", e.Region, fmt.Sprintf("an account/region pair not used by environment %q: the Base stack holds account-and-region singletons (API Gateway account settings)", places[place]))
		} else {
			places[place] = e.Name
		}
		zonePattern := regexp.MustCompile(`^` + regexp.QuoteMeta(e.Region) + `[a-f]$`)
		if len(e.Zones) > 3 {
			bad(p+".zones", fmt.Sprint(e.Zones), "1 to 3 availability zones")
		}
		for j, z := range e.Zones {
			if !zonePattern.MatchString(z) || slices.Index(e.Zones, z) != j {
				bad(fmt.Sprintf("%s.zones[%d]", p, j), z, "a distinct zone of the environment's region, such as "+e.Region+"a")
			}
		}
		if e.Trail() {
			if other := trails[e.Account]; other != "" {
				bad(p+".auditTrail", true, fmt.Sprintf("false: environment %q already records a multi-region trail of account %s", other, e.Account))
			} else {
				trails[e.Account] = e.Name
			}
		}
		if !slices.Contains(LogRetentionValues, e.LogRetentionDays) {
			bad(p+".logRetentionDays", e.LogRetentionDays, fmt.Sprintf("one of %v", LogRetentionValues))
		}
		if !slices.Contains(removalPolicies, e.RemovalPolicy) {
			bad(p+".removalPolicy", e.RemovalPolicy, `"retain" or "destroy"`)
		} else if e.Production && e.RemovalPolicy == Destroy {
			bad(p+".removalPolicy", e.RemovalPolicy, `"retain" for a production environment`)
		}
		if e.APIResourcesQuota < DefaultAPIResourcesQuota || e.APIResourcesQuota > 100_000 {
			bad(p+".apiResourcesQuota", e.APIResourcesQuota, fmt.Sprintf("the quota granted for this API in Service Quotas, from the default %d up", DefaultAPIResourcesQuota))
		}
		if !slices.Contains(deployments, e.Deployment) {
			bad(p+".deployment", e.Deployment, fmt.Sprintf("one of %q", deployments))
		}
		if !slices.Contains(mfaValues, e.MFA) {
			bad(p+".mfa", e.MFA, `"off", "optional" or "required"`)
		}
		if e.AlarmEmail != "" {
			if a, err := mail.ParseAddress(e.AlarmEmail); err != nil || a.Address != e.AlarmEmail {
				bad(p+".alarmEmail", e.AlarmEmail, "a plain e-mail address such as ops@example.com, or empty")
			}
		}
		for j, a := range e.AcceptContractions {
			switch {
			case !AcceptPattern.MatchString(a):
				bad(fmt.Sprintf("%s.acceptContractions[%d]", p, j), a, AcceptAllowed)
			case slices.Index(e.AcceptContractions, a) != j:
				bad(fmt.Sprintf("%s.acceptContractions[%d]", p, j), a, "an entry that is not already in the list (it is a duplicate)")
			}
		}
		if e.DomainName != "" && !domainPattern.MatchString(e.DomainName) {
			bad(p+".domainName", e.DomainName, "a lower-case DNS name such as app.example.com, or empty")
		}
		switch {
		case e.DomainName != "" && !certPattern.MatchString(e.CertificateArn):
			bad(p+".certificateArn", e.CertificateArn, "an ACM certificate ARN in us-east-1 (CloudFront requires it there) when domainName is set")
		case e.DomainName == "" && e.CertificateArn != "":
			bad(p+".certificateArn", e.CertificateArn, "empty when domainName is empty")
		}
	}
	validateAccountRegion("pipeline", c.Pipeline.Account, c.Pipeline.Region, bad)
	s := c.Pipeline.Source
	if !branchPattern.MatchString(s.Branch) || strings.Contains(s.Branch, "..") {
		bad("pipeline.source.branch", s.Branch, "a git branch name of letters, digits, '.', '_', '-' or '/'")
	}
	switch s.Kind {
	case CodeCommit:
		if !repoNamePattern.MatchString(s.RepositoryName) {
			bad("pipeline.source.repositoryName", s.RepositoryName, "a CodeCommit repository name: 1-100 letters, digits, '.', '_' or '-'")
		}
		if s.ConnectionArn != "" || s.Repository != "" || s.Provider != "" {
			bad("pipeline.source.kind", s.Kind, `"connection" when connectionArn, repository or provider is set`)
		}
	case Connection:
		if !connectionPattern.MatchString(s.ConnectionArn) {
			bad("pipeline.source.connectionArn", s.ConnectionArn, "a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<uuid>)")
		}
		if !repositoryPattern.MatchString(s.Repository) {
			bad("pipeline.source.repository", s.Repository, `"owner/repo"`)
		}
		if s.RepositoryName != "" || s.CreateRepository {
			bad("pipeline.source.kind", s.Kind, `"codecommit" when repositoryName or createRepository is set`)
		}
		if !slices.Contains(SourceProviders, s.Provider) {
			bad("pipeline.source.provider", s.Provider, fmt.Sprintf("one of %q: the host of the connection's repository", SourceProviders))
		}
	default:
		bad("pipeline.source.kind", s.Kind, fmt.Sprintf("one of %v", sourceKinds))
	}
	return errors.Join(errs...)
}

func validateAccountRegion(prefix, account, region string, bad func(string, any, string)) {
	if !accountPattern.MatchString(account) {
		bad(prefix+".account", account, "a 12-digit AWS account id")
	}
	if !slices.Contains(Regions, region) {
		bad(prefix+".region", region, "a commercial AWS region such as eu-west-1 (see config.Regions)")
	}
}

// quote shows strings (and string-typed choices) quoted, other values as they print.
func quote(v any) string {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
		return strconv.Quote(rv.String())
	}
	return fmt.Sprint(v)
}

// Environment returns the environment with that name.
func (c *Config) Environment(name string) (Environment, bool) {
	i := slices.IndexFunc(c.Environments, func(e Environment) bool { return e.Name == name })
	if i < 0 {
		return Environment{}, false
	}
	return c.Environments[i], true
}

// EdgeRegion is where CloudFront's web ACLs must live (scope CLOUDFRONT), whatever the
// environment's region: the Edge stack of an environment with WAF is deployed there.
const EdgeRegion = "us-east-1"

// Regions are the regions this environment's stacks are deployed to: its own region,
// then EdgeRegion when WAF is on (the Edge stack). The deploy policy, the pipeline's
// cross-region support and the drift check all follow this list.
func (e Environment) Regions() []string {
	if e.WAF && e.Region != EdgeRegion {
		return []string{e.Region, EdgeRegion}
	}
	return []string{e.Region}
}

// Trail reports whether the Base stack of this environment records the account's trail.
func (e Environment) Trail() bool { return e.AuditTrail == nil || *e.AuditTrail }

// Private reports whether this environment's functions run in the VPC without internet
// egress.
func (e Environment) Private() bool {
	if e.PrivateFunctions == nil {
		return e.Production
	}
	return *e.PrivateFunctions
}

// Hook reports whether new function versions are checked before they get traffic.
func (e Environment) Hook() bool { return e.PreTrafficHook == nil || *e.PreTrafficHook }

// DriftFails reports whether drift found after a deploy fails the pipeline stage.
func (e Environment) DriftFails() bool {
	if e.FailOnDrift == nil {
		return e.Production
	}
	return *e.FailOnDrift
}

// Destroy reports whether this environment's stateful resources are deleted with the stack.
func (e Environment) Destroy() bool { return e.RemovalPolicy == Destroy }

// LookupRoleArn is the CDK bootstrap lookup role of an account and region: `cdk bootstrap
// --trust` lets the pipeline account assume it; it may read everything (AWS's
// ReadOnlyAccess) but decrypt nothing. The app deploys only to commercial regions
// (config.Regions), hence the partition.
func LookupRoleArn(qualifier, account, region string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/cdk-%s-lookup-role-%s-%s", account, qualifier, account, region)
}
