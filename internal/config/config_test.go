package config

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture returns a CDK context with the configuration these tests are written against
// (testdata/context.json: two environments, dev and prod, as cdk.json first shipped them),
// so that the tests of the rules do not change when cdk.json gains an environment.
func fixture(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("testdata/context.json")
	require.NoError(t, err)
	var ctx map[string]any
	require.NoError(t, json.Unmarshal(b, &ctx))
	return ctx
}

// shipped returns the context of the cdk.json that ships, as the CDK CLI passes it.
func shipped(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../../cdk.json")
	require.NoError(t, err)
	var f struct {
		Context map[string]any `json:"context"`
	}
	require.NoError(t, json.Unmarshal(b, &f))
	return f.Context
}

func with(t *testing.T, overrides map[string]any) map[string]any {
	ctx := fixture(t)
	for k, v := range overrides {
		ctx[k] = v
	}
	return ctx
}

// The shipped cdk.json is valid, whatever environments it configures.
func TestShippedConfigIsValid(t *testing.T) {
	c, err := Load(shipped(t))
	require.NoError(t, err)
	assert.NotEmpty(t, c.AppName)
	require.NotEmpty(t, c.Environments)
	for _, e := range c.Environments {
		assert.Len(t, e.Zones, 2, "%s: zones (written out or defaulted)", e.Name)
	}
	assert.NotEmpty(t, c.Pipeline.Source.Branch)
}

// The fixture reads as written, with the defaults filled in.
func TestFixtureConfig(t *testing.T) {
	c, err := Load(fixture(t))
	require.NoError(t, err)
	assert.Equal(t, "notes", c.AppName)
	require.Len(t, c.Environments, 2)
	assert.Equal(t, "dev", c.Environments[0].Name)
	assert.Equal(t, "prod", c.Environments[1].Name)
	assert.True(t, c.Environments[1].Production)
	assert.True(t, c.Environments[1].RequireApproval)
	assert.Equal(t, []string{"eu-west-1a", "eu-west-1b"}, c.Environments[0].Zones, "default zones")
	assert.Equal(t, "main", c.Pipeline.Source.Branch)
}

// Each bad value stops synth with one message naming the key, the value and what is
// allowed.
func TestInvalidConfig(t *testing.T) {
	cases := []struct {
		name      string
		overrides map[string]any
		want      []string
	}{
		{"bad account id", map[string]any{"config.environments.dev.account": "12345"},
			[]string{"config.environments[0].account", `"12345"`, "12-digit"}},
		{"account id with letters", map[string]any{"config.environments.prod.account": "22222222222x"},
			[]string{"config.environments[1].account", `"22222222222x"`, "12-digit"}},
		{"unknown region", map[string]any{"config.environments.dev.region": "eu-middle-9"},
			[]string{"config.environments[0].region", `"eu-middle-9"`, "commercial AWS region"}},
		{"duplicate environment name", map[string]any{"config.environments.prod.name": "dev"},
			[]string{"config.environments[1].name", `"dev"`, "duplicate"}},
		{"empty app name", map[string]any{"config.appName": ""},
			[]string{"config.appName", `""`, "2-20 characters"}},
		{"app name with capitals", map[string]any{"config.appName": "Notes"},
			[]string{"config.appName", `"Notes"`, "lower-case"}},
		{"negative retention", map[string]any{"config.environments.dev.logRetentionDays": "-7"},
			[]string{"config.environments[0].logRetentionDays", "-7", "one of [1 3 5 7"}},
		{"retention CloudWatch does not offer", map[string]any{"config.environments.dev.logRetentionDays": "10"},
			[]string{"config.environments[0].logRetentionDays", "10", "one of"}},
		{"unknown key", map[string]any{"config.environments.dev.logRetention": "7"},
			[]string{"config.environments[0].logRetention", "unknown key", "logRetentionDays"}},
		{"unknown top-level key", map[string]any{"config.region": "eu-west-1"},
			[]string{"config.region", "unknown key", "appName, environments, pipeline"}},
		{"override of a missing environment", map[string]any{"config.environments.qa.region": "eu-west-1"},
			[]string{"config.environments.qa.region", `"qa"`, "configured environment names"}},
		{"unknown deployment", map[string]any{"config.environments.dev.deployment": "blueGreen"},
			[]string{"config.environments[0].deployment", `"blueGreen"`, `"allAtOnce" "canary10Percent5Minutes" "linear10PercentEvery1Minute"`}},
		{"api resources quota below the default", map[string]any{"config.environments.dev.apiResourcesQuota": "250"},
			[]string{"config.environments[0].apiResourcesQuota", "250", "from the default 300 up"}},
		{"destroy in production", map[string]any{"config.environments.prod.removalPolicy": "destroy"},
			[]string{"config.environments[1].removalPolicy", `"destroy"`, `"retain" for a production`}},
		{"unknown removal policy", map[string]any{"config.environments.dev.removalPolicy": "snapshot"},
			[]string{"config.environments[0].removalPolicy", `"snapshot"`, `"retain" or "destroy"`}},
		{"bad mfa", map[string]any{"config.environments.dev.mfa": "sometimes"},
			[]string{"config.environments[0].mfa", `"sometimes"`, `"off", "optional" or "required"`}},
		{"bad e-mail", map[string]any{"config.environments.dev.alarmEmail": "not an address"},
			[]string{"config.environments[0].alarmEmail", `"not an address"`, "e-mail address"}},
		{"domain without certificate", map[string]any{"config.environments.dev.domainName": "app.example.com"},
			[]string{"config.environments[0].certificateArn", `""`, "us-east-1"}},
		{"certificate outside us-east-1", map[string]any{
			"config.environments.dev.domainName":     "app.example.com",
			"config.environments.dev.certificateArn": "arn:aws:acm:eu-west-1:111111111111:certificate/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"},
			[]string{"config.environments[0].certificateArn", "arn:aws:acm:eu-west-1", "us-east-1"}},
		{"zone outside the region", map[string]any{"config.environments.dev.zones": `["eu-west-1a","us-east-1b"]`},
			[]string{"config.environments[0].zones[1]", `"us-east-1b"`, "zone of the environment's region"}},
		{"two environments in one account and region", map[string]any{"config.environments.prod.account": "111111111111"},
			[]string{"config.environments[1].region", `"eu-west-1"`, "not used by environment \"dev\""}},
		{"no environments", map[string]any{"config.environments": "[]"},
			[]string{"config.environments", "at least one environment"}},
		{"wrong type", map[string]any{"config.environments.dev.production": `"yes"`},
			[]string{"config.environments.production", "string", "bool"}},
		{"two trails in one account", map[string]any{
			"config.environments.prod.account": "111111111111", "config.environments.prod.region": "us-east-1"},
			[]string{"config.environments[1].auditTrail", "true", `environment "dev" already records`}},
		{"unknown source kind", map[string]any{"config.pipeline.source.kind": "svn"},
			[]string{"config.pipeline.source.kind", `"svn"`, "codecommit connection"}},
		{"connection without ARN", map[string]any{
			"config.pipeline.source": `{"kind":"connection","repository":"acme/notes"}`},
			[]string{"config.pipeline.source.connectionArn", `""`, "CodeConnections connection ARN"}},
		{"unknown connection provider", map[string]any{
			"config.pipeline.source": `{"kind":"connection","repository":"acme/notes","provider":"gitea",` +
				`"connectionArn":"arn:aws:codeconnections:eu-west-1:333333333333:connection/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f"}`},
			[]string{"config.pipeline.source.provider", `"gitea"`, `["github" "gitlab" "bitbucket"]`}},
		{"provider on a CodeCommit source", map[string]any{"config.pipeline.source.provider": "github"},
			[]string{"config.pipeline.source.kind", `"codecommit"`, "provider is set"}},
		{"bad pipeline account", map[string]any{"config.pipeline.account": "abc"},
			[]string{"config.pipeline.account", `"abc"`, "12-digit"}},
		{"environment named like the pipeline stack", map[string]any{"config.environments.dev.name": "pipeline"},
			[]string{"config.environments[0].name", `"pipeline"`, "reserved: notes-pipeline is the pipeline stack"}},
		{"acceptance without a kind", map[string]any{"config.environments.prod.acceptContractions": `["Backend/NotesRead"]`},
			[]string{"config.environments[1].acceptContractions[0]", `"Backend/NotesRead"`, "<function>:<kind>:<item> (kind action, resource, policy, statement or env), <function>:* or *"}},
		{"acceptance of an unknown kind", map[string]any{"config.environments.prod.acceptContractions": `["Backend/NotesRead:variable:CURSOR_SECRET_ARN"]`},
			[]string{"config.environments[1].acceptContractions[0]", `"Backend/NotesRead:variable:CURSOR_SECRET_ARN"`, "kind action, resource"}},
		{"acceptance with an empty item", map[string]any{"config.environments.dev.acceptContractions": `["Backend/NotesRead:env:"]`},
			[]string{"config.environments[0].acceptContractions[0]", `"Backend/NotesRead:env:"`}},
		{"duplicate acceptance", map[string]any{"config.environments.dev.acceptContractions": `["*","*"]`},
			[]string{"config.environments[0].acceptContractions[1]", `"*"`, "duplicate"}},
		{"acceptances not a list", map[string]any{"config.environments.dev.acceptContractions": `"*"`},
			[]string{"config.environments.acceptContractions", "string", "[]string"}},
		{"failOnDrift not a boolean", map[string]any{"config.environments.dev.failOnDrift": `"yes"`},
			[]string{"config.environments.failOnDrift", "string", "bool"}},
		{"waf not a boolean", map[string]any{"config.environments.prod.waf": `"on"`},
			[]string{"config.environments.waf", "string", "bool"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(with(t, tc.overrides))
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// Several problems are reported together, one per line.
func TestAllProblemsAtOnce(t *testing.T) {
	_, err := Load(with(t, map[string]any{
		"config.appName":                  "",
		"config.environments.dev.account": "1",
		"config.environments.prod.region": "mars-1",
		"config.environments.prod.zone":   "a",
	}))
	require.Error(t, err)
	assert.Len(t, strings.Split(err.Error(), "\n"), 4, err.Error())
	assert.Contains(t, err.Error(), "config.environments[1].zone: unknown key")
}

func TestOverridesAreTyped(t *testing.T) {
	c, err := Load(with(t, map[string]any{
		"config.environments.dev.logRetentionDays": "7",
		"config.environments.dev.mfa":              "required",
		"config.appName":                           "shop",
		"config.pipeline.source.branch":            "release/2026",
	}))
	require.NoError(t, err)
	assert.Equal(t, 7, c.Environments[0].LogRetentionDays)
	assert.Equal(t, MFARequired, c.Environments[0].MFA)
	assert.Equal(t, "shop", c.AppName)
	assert.Equal(t, "release/2026", c.Pipeline.Source.Branch)
	// The fixture's map is not modified by an override.
	again, err := Load(fixture(t))
	require.NoError(t, err)
	assert.Equal(t, 30, again.Environments[0].LogRetentionDays)
}

func TestConfigAsJSONString(t *testing.T) {
	ctx := fixture(t)
	b, err := json.Marshal(ctx[ContextKey])
	require.NoError(t, err)
	ctx[ContextKey] = string(b) // `cdk synth -c config='{...}'`
	_, err = Load(ctx)
	require.NoError(t, err)
}

func TestMissingConfig(t *testing.T) {
	_, err := Load(map[string]any{})
	require.ErrorContains(t, err, `context key "config" is missing`)
}

func TestDefaults(t *testing.T) {
	ctx := map[string]any{"config": map[string]any{
		"appName":      "shop",
		"environments": []any{map[string]any{"name": "qa", "account": "123456789012", "region": "us-west-2"}},
		"pipeline": map[string]any{"account": "123456789012", "region": "us-west-2",
			"source": map[string]any{"kind": "codecommit", "repositoryName": "shop"}},
	}}
	c, err := Load(ctx)
	require.NoError(t, err)
	e := c.Environments[0]
	assert.Equal(t, DefaultLogRetentionDays, e.LogRetentionDays)
	assert.Equal(t, Retain, e.RemovalPolicy)
	assert.Equal(t, MFARequired, e.MFA)
	assert.Equal(t, 300, e.APIResourcesQuota)
	assert.False(t, e.Private(), "functions of a non-production environment are not in the VPC by default")
	assert.Equal(t, AllAtOnce, e.Deployment)
	assert.True(t, e.Hook())
	assert.Equal(t, []string{"us-west-2a", "us-west-2b"}, e.Zones)
	assert.False(t, e.Destroy())
	assert.Empty(t, c.Pipeline.Source.Provider, "a CodeCommit source has no provider")
}

// A connection's repository is on GitHub unless the config says otherwise.
func TestConnectionProviderDefault(t *testing.T) {
	src := `{"kind":"connection","repository":"acme/notes",` +
		`"connectionArn":"arn:aws:codeconnections:eu-west-1:333333333333:connection/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f"}`
	c, err := Load(with(t, map[string]any{"config.pipeline.source": src}))
	require.NoError(t, err)
	assert.Equal(t, GitHub, c.Pipeline.Source.Provider)
	c, err = Load(with(t, map[string]any{"config.pipeline.source": src, "config.pipeline.source.provider": "gitlab"}))
	require.NoError(t, err)
	assert.Equal(t, GitLab, c.Pipeline.Source.Provider)
}

// Functions run in the VPC by default in production only; either default can be changed.
func TestPrivateFunctions(t *testing.T) {
	c, err := Load(with(t, nil))
	require.NoError(t, err)
	assert.False(t, c.Environments[0].Private(), "dev")
	assert.True(t, c.Environments[1].Private(), "prod")
	c, err = Load(with(t, map[string]any{
		"config.environments.dev.privateFunctions":  "true",
		"config.environments.prod.privateFunctions": "false",
	}))
	require.NoError(t, err)
	assert.True(t, c.Environments[0].Private(), "dev")
	assert.False(t, c.Environments[1].Private(), "prod")
}

// Production shifts traffic to new versions gradually by default; any environment can
// choose its style.
func TestDeploymentDefaults(t *testing.T) {
	c, err := Load(with(t, nil))
	require.NoError(t, err)
	assert.Equal(t, AllAtOnce, c.Environments[0].Deployment)
	assert.Equal(t, Canary10Percent5Minutes, c.Environments[1].Deployment)
	c, err = Load(with(t, map[string]any{"config.environments.dev.deployment": "linear10PercentEvery1Minute",
		"config.environments.dev.preTrafficHook": "false"}))
	require.NoError(t, err)
	assert.Equal(t, Linear10PercentEvery1Minute, c.Environments[0].Deployment)
	assert.False(t, c.Environments[0].Hook())
}

// A second environment in the same account runs without its own trail once told so.
func TestOneTrailPerAccount(t *testing.T) {
	c, err := Load(with(t, map[string]any{
		"config.environments.prod.account":    "111111111111",
		"config.environments.prod.region":     "us-east-1",
		"config.environments.prod.auditTrail": "false",
	}))
	require.NoError(t, err)
	assert.True(t, c.Environments[0].Trail())
	assert.False(t, c.Environments[1].Trail())
}

// Accepted contractions are kept as written, in the gate's syntax: one contraction, all of
// a function's, or all.
func TestAcceptContractions(t *testing.T) {
	c, err := Load(with(t, nil))
	require.NoError(t, err)
	assert.Empty(t, c.Environments[1].AcceptContractions, "none by default")
	accept := []string{"Backend/NotesRead:env:CURSOR_SECRET_ARN", "Backend/NotesWrite:action:dynamodb:DeleteItem",
		"Backend/NotesRead:resource:dynamodb:Query", `Backend/Health:policy:{"Fn::Join":["",["arn:aws:iam::aws:policy/X"]]}`,
		"Backend/Health:*", "*"}
	b, err := json.Marshal(accept)
	require.NoError(t, err)
	c, err = Load(with(t, map[string]any{"config.environments.prod.acceptContractions": string(b)}))
	require.NoError(t, err)
	assert.Equal(t, accept, c.Environments[1].AcceptContractions)
	for _, a := range accept {
		assert.Regexp(t, AcceptPattern, a)
	}
}

// Drift fails the stage in production by default and only reports elsewhere; either can
// be changed.
func TestFailOnDrift(t *testing.T) {
	c, err := Load(with(t, nil))
	require.NoError(t, err)
	assert.False(t, c.Environments[0].DriftFails(), "dev")
	assert.True(t, c.Environments[1].DriftFails(), "prod")
	c, err = Load(with(t, map[string]any{
		"config.environments.dev.failOnDrift":  "true",
		"config.environments.prod.failOnDrift": "false",
	}))
	require.NoError(t, err)
	assert.True(t, c.Environments[0].DriftFails(), "dev")
	assert.False(t, c.Environments[1].DriftFails(), "prod")
}

// An environment with WAF also deploys to us-east-1 (its Edge stack holds the CloudFront
// web ACL); one without deploys to its own region only, and one in us-east-1 needs no
// second region.
func TestRegions(t *testing.T) {
	c, err := Load(with(t, nil))
	require.NoError(t, err)
	assert.Equal(t, []string{"eu-west-1"}, c.Environments[0].Regions(), "dev: no WAF")
	assert.Equal(t, []string{"eu-west-1", EdgeRegion}, c.Environments[1].Regions(), "prod: WAF")
	c, err = Load(with(t, map[string]any{"config.environments.prod.region": "us-east-1", "config.environments.dev.waf": "true"}))
	require.NoError(t, err)
	assert.Equal(t, []string{"eu-west-1", "us-east-1"}, c.Environments[0].Regions())
	assert.Equal(t, []string{"us-east-1"}, c.Environments[1].Regions())
}
