package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sandbox loads the shipped config and asks for a sandbox with these context keys.
func sandbox(t *testing.T, keys map[string]any, defaultAccount, defaultRegion string) (*Environment, error) {
	t.Helper()
	ctx := with(t, keys)
	c, err := Load(ctx)
	require.NoError(t, err, "the sandbox keys must not disturb the configuration")
	return c.Sandbox(ctx, defaultAccount, defaultRegion)
}

func TestNoSandbox(t *testing.T) {
	e, err := sandbox(t, nil, "444444444444", "eu-west-1")
	require.NoError(t, err)
	assert.Nil(t, e, "no -c sandbox: the configured environments and the pipeline")
}

// A sandbox is a throw-away development environment: destroyed with its stacks, no WAF,
// no approval, no trail of its own, traffic moved all at once, drift only reported.
func TestSandboxDefaults(t *testing.T) {
	e, err := sandbox(t, map[string]any{SandboxKey: "alice", SandboxAccountKey: "444444444444", SandboxRegionKey: "eu-central-1"}, "", "")
	require.NoError(t, err)
	require.NotNil(t, e)
	assert.Equal(t, "alice", e.Name)
	assert.Equal(t, "444444444444", e.Account)
	assert.Equal(t, "eu-central-1", e.Region)
	assert.Equal(t, []string{"eu-central-1a", "eu-central-1b"}, e.Zones)
	assert.False(t, e.Production)
	assert.True(t, e.Destroy(), "removalPolicy destroy")
	assert.False(t, e.WAF)
	assert.False(t, e.RequireApproval)
	assert.False(t, e.Trail())
	assert.False(t, e.Private())
	assert.False(t, e.DriftFails())
	assert.Equal(t, AllAtOnce, e.Deployment)
	assert.Equal(t, MFAOptional, e.MFA)
	assert.Equal(t, DefaultLogRetentionDays, e.LogRetentionDays)
	assert.Equal(t, DefaultAPIResourcesQuota, e.APIResourcesQuota)
	assert.Empty(t, e.AlarmEmail)
	assert.Empty(t, e.DomainName)
	// The result passes every rule that a configured environment must pass.
	c, err := Load(fixture(t))
	require.NoError(t, err)
	c.Environments = append(c.Environments, *e)
	assert.NoError(t, c.Validate())
}

// Without sandboxAccount and sandboxRegion, the account and region of the caller's AWS
// credentials (resolved by the CDK CLI) are used.
func TestSandboxFromCredentials(t *testing.T) {
	e, err := sandbox(t, map[string]any{SandboxKey: "bob"}, "555555555555", "us-east-2")
	require.NoError(t, err)
	assert.Equal(t, "555555555555", e.Account)
	assert.Equal(t, "us-east-2", e.Region)
	e, err = sandbox(t, map[string]any{SandboxKey: "bob", SandboxRegionKey: "eu-west-2"}, "555555555555", "us-east-2")
	require.NoError(t, err)
	assert.Equal(t, "eu-west-2", e.Region, "the key wins over the credentials")
}

// Every bad request names the key, the value and what is allowed.
func TestInvalidSandbox(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys map[string]any
		want []string
	}{
		{"capitals", map[string]any{SandboxKey: "Alice", SandboxAccountKey: "444444444444", SandboxRegionKey: "eu-west-1"},
			[]string{`sandbox: value "Alice": allowed is 2-10 characters: a lower-case letter, then lower-case letters or digits (it names the stacks notes-<name>-base`}},
		{"hyphen", map[string]any{SandboxKey: "dev-alice", SandboxAccountKey: "444444444444", SandboxRegionKey: "eu-west-1"},
			[]string{`sandbox: value "dev-alice": allowed is 2-10 characters`}},
		{"too long", map[string]any{SandboxKey: "alexandrina", SandboxAccountKey: "444444444444", SandboxRegionKey: "eu-west-1"},
			[]string{`sandbox: value "alexandrina"`}},
		{"empty", map[string]any{SandboxKey: "", SandboxAccountKey: "444444444444", SandboxRegionKey: "eu-west-1"},
			[]string{`sandbox: value "": allowed is 2-10 characters`}},
		{"not a string", map[string]any{SandboxKey: 42.0},
			[]string{`sandbox: value "42": allowed is a string`}},
		{"a configured environment's name", map[string]any{SandboxKey: "prod", SandboxAccountKey: "444444444444", SandboxRegionKey: "eu-west-1"},
			[]string{`sandbox: value "prod": allowed is a name that no configured environment uses (config.environments[1] is "prod"`}},
		{"the pipeline's name", map[string]any{SandboxKey: "pipeline", SandboxAccountKey: "444444444444", SandboxRegionKey: "eu-west-1"},
			[]string{`sandbox: value "pipeline": allowed is a name other than ["pipeline"]`}},
		{"a configured environment's account and region", map[string]any{SandboxKey: "alice", SandboxAccountKey: "111111111111", SandboxRegionKey: "eu-west-1"},
			[]string{`sandboxAccount/sandboxRegion: value "111111111111/eu-west-1": allowed is an account and region pair that no configured environment deploys to (config.environments[0] "dev" does`}},
		{"the same pair from the credentials", map[string]any{SandboxKey: "alice"},
			[]string{`sandboxAccount/sandboxRegion: value "222222222222/eu-west-1"`, `"prod" does`}},
		{"bad account", map[string]any{SandboxKey: "alice", SandboxAccountKey: "4444", SandboxRegionKey: "eu-west-1"},
			[]string{`sandboxAccount: value "4444": allowed is a 12-digit AWS account id`}},
		{"bad region", map[string]any{SandboxKey: "alice", SandboxAccountKey: "444444444444", SandboxRegionKey: "eu-west-9"},
			[]string{`sandboxRegion: value "eu-west-9": allowed is a commercial AWS region`}},
		{"account without a sandbox", map[string]any{SandboxAccountKey: "444444444444"},
			[]string{`sandboxAccount: value "444444444444": allowed is only with -c sandbox=<name>`}},
		{"region without a sandbox", map[string]any{SandboxRegionKey: "eu-west-1"},
			[]string{`sandboxRegion: value "eu-west-1": allowed is only with -c sandbox=<name>`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defaultAccount := ""
			if tc.name == "the same pair from the credentials" {
				defaultAccount = "222222222222"
			}
			e, err := sandbox(t, tc.keys, defaultAccount, "eu-west-1")
			require.Error(t, err)
			assert.Nil(t, e)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// Neither an account nor a region anywhere: say where to give them.
func TestSandboxWithoutAccount(t *testing.T) {
	_, err := sandbox(t, map[string]any{SandboxKey: "alice"}, "", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sandboxAccount: missing: allowed is a 12-digit AWS account id (make sandbox ACCOUNT=...")
	assert.Contains(t, err.Error(), "sandboxRegion: missing: allowed is a commercial AWS region")
}
