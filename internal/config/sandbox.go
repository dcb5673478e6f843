package config

import (
	"errors"
	"fmt"
	"slices"
)

// Context keys that turn a synth into a personal sandbox: `cdk deploy -c sandbox=alice -c
// sandboxAccount=123456789012 -c sandboxRegion=eu-west-1` (what `make sandbox` runs). They sit
// beside the "config" key, not inside it: a sandbox is a request of one run, never part of
// the configuration that the pipeline deploys.
const (
	SandboxKey        = "sandbox"
	SandboxAccountKey = "sandboxAccount"
	SandboxRegionKey  = "sandboxRegion"
)

// ReservedNames cannot name an environment or a sandbox: "<app>-pipeline" is the pipeline
// stack, and the deploy policy of an environment named so would let it manage the
// pipeline's resources (they share the name prefix).
var ReservedNames = []string{"pipeline"}

// Sandbox returns the personal environment that the context asks for, or nil when it asks
// for none. defaultAccount and defaultRegion are the account and region that the CDK CLI
// resolved from the caller's AWS credentials (CDK_DEFAULT_ACCOUNT, CDK_DEFAULT_REGION);
// they apply when sandboxAccount or sandboxRegion is not given.
//
// A sandbox has the defaults of a development environment and may be thrown away: its
// stateful resources are deleted with its stacks, it has no WAF, no approval, no audit
// trail of its own (the account's owner runs that; several people may share an account),
// optional MFA, and CodeDeploy moves traffic all at once. Its name must differ from every
// configured environment's, and its account and region pair from theirs: the Base stack
// holds the region's API Gateway account settings, and stack names must not collide.
func (c *Config) Sandbox(context map[string]any, defaultAccount, defaultRegion string) (*Environment, error) {
	var errs []error
	bad := func(key string, value any, allowed string) {
		errs = append(errs, fmt.Errorf("%s: value %s: allowed is %s", key, quote(value), allowed))
	}
	str := func(key string) (string, bool) {
		v, ok := context[key]
		if !ok || v == nil {
			return "", false
		}
		s, isString := v.(string)
		if !isString {
			bad(key, fmt.Sprint(v), "a string (-c "+key+"=...)")
		}
		return s, true
	}
	name, asked := str(SandboxKey)
	account, hasAccount := str(SandboxAccountKey)
	region, hasRegion := str(SandboxRegionKey)
	if !asked {
		if hasAccount {
			bad(SandboxAccountKey, account, "only with -c "+SandboxKey+"=<name> (make sandbox NAME=<name>)")
		}
		if hasRegion {
			bad(SandboxRegionKey, region, "only with -c "+SandboxKey+"=<name> (make sandbox NAME=<name>)")
		}
		return nil, errors.Join(errs...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	stacks := fmt.Sprintf("it names the stacks %s-<name>-base, -data, -backend and -frontend", c.AppName)
	switch {
	case !envNamePattern.MatchString(name):
		bad(SandboxKey, name, "2-10 characters: a lower-case letter, then lower-case letters or digits ("+stacks+" and the resources in them)")
	case slices.Contains(ReservedNames, name):
		bad(SandboxKey, name, fmt.Sprintf("a name other than %q (reserved: %s-pipeline is the pipeline stack)", ReservedNames, c.AppName))
	default:
		for i, e := range c.Environments {
			if e.Name == name {
				bad(SandboxKey, name, fmt.Sprintf("a name that no configured environment uses (%s.environments[%d] is %q; %s)", ContextKey, i, e.Name, stacks))
			}
		}
	}
	if !hasAccount || account == "" {
		account = defaultAccount
	}
	if !hasRegion || region == "" {
		region = defaultRegion
	}
	switch {
	case account == "":
		errs = append(errs, fmt.Errorf("%s: missing: allowed is a 12-digit AWS account id (make sandbox ACCOUNT=..., or AWS credentials that the CDK CLI resolves)", SandboxAccountKey))
	case !accountPattern.MatchString(account):
		bad(SandboxAccountKey, account, "a 12-digit AWS account id")
	}
	switch {
	case region == "":
		errs = append(errs, fmt.Errorf("%s: missing: allowed is a commercial AWS region such as eu-west-1 (make sandbox REGION=..., or the AWS profile's region)", SandboxRegionKey))
	case !slices.Contains(Regions, region):
		bad(SandboxRegionKey, region, "a commercial AWS region such as eu-west-1 (see config.Regions)")
	}
	for i, e := range c.Environments {
		if e.Account == account && e.Region == region {
			bad(SandboxAccountKey+"/"+SandboxRegionKey, account+"/"+region,
				fmt.Sprintf("an account and region pair that no configured environment deploys to (%s.environments[%d] %q does: the Base stack holds the region's API Gateway account settings)", ContextKey, i, e.Name))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	off, on := false, true
	return &Environment{
		Name:              name,
		Account:           account,
		Region:            region,
		Zones:             []string{region + "a", region + "b"},
		AuditTrail:        &off,
		LogRetentionDays:  DefaultLogRetentionDays,
		RemovalPolicy:     Destroy,
		MFA:               MFAOptional,
		Deployment:        AllAtOnce,
		PreTrafficHook:    &on,
		FailOnDrift:       &off,
		APIResourcesQuota: DefaultAPIResourcesQuota,
	}, nil
}
