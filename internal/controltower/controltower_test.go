package controltower

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/internal/repo"
)

var (
	catalogOnce sync.Once
	catalog     *Catalog
	catalogErr  error
)

// load reads the installed rule set once; the package comes from package-lock.json
// (`make test` runs npm ci first), so a missing package is a failure, not a skip.
func load(t *testing.T) *Catalog {
	t.Helper()
	catalogOnce.Do(func() {
		root, err := repo.Root()
		if err != nil {
			catalogErr = err
			return
		}
		catalog, catalogErr = Load(root)
	})
	require.NoError(t, catalogErr)
	return catalog
}

func write(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

func TestLoad(t *testing.T) {
	c := load(t)
	assert.Greater(t, len(c.Controls), 200, "the Control Tower rule set has a few hundred controls")
	s3 := c.Controls["CT.S3.PR.1"]
	assert.Equal(t, "s3_bucket_level_public_access_prohibited_check", s3.Rule)
	assert.Equal(t, []string{"AWS::S3::Bucket"}, s3.ResourceTypes)
	assert.Equal(t, "ct-s3-pr-1.guard", filepath.Base(s3.File))
	assert.NotEmpty(t, s3.Title)
	for id, ctl := range c.Controls {
		assert.NotEmpty(t, ctl.ResourceTypes, "%s evaluates no resource type: it would never be selected", id)
	}
	st, err := os.Stat(c.Guard)
	require.NoError(t, err)
	assert.NotZero(t, st.Mode()&0o111, "cfn-guard is executable after npm ci")

	_, err = Load(t.TempDir())
	assert.ErrorContains(t, err, "is not installed (run `make node_modules/.installed`")
}

// A template that breaks two controls the way this app's templates once did.
const bad = `{"Resources": {
	"Key": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": true, "KeyPolicy": {"Version": "2012-10-17", "Statement": [
		{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"}]}}},
	"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30, "KmsKeyId": "arn:aws:kms:eu-west-1:111111111111:key/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f"},
		"Metadata": {"guard": {"SuppressedRules": ["CT.CLOUDWATCH.PR.2", "cloudwatch_log_group_retention_period_check", "CLOUDWATCH_LOG_GROUP_RETENTION_PERIOD_CHECK"]}}}}}`

// The same resources, fixed as the constructs now make them.
const good = `{"Resources": {
	"Key": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": true, "KeyPolicy": {"Version": "2012-10-17", "Statement": [
		{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"},
		{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:CreateGrant", "Resource": "*",
			"Condition": {"BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}}}]}}},
	"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 365, "KmsKeyId": "arn:aws:kms:eu-west-1:111111111111:key/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f"}}}}`

func ids(fs []Failure) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.LogicalID+" "+f.Control.ID)
	}
	return out
}

func TestValidateFindsAndClearsFailures(t *testing.T) {
	c := load(t)
	badFile, goodFile := write(t, "bad.json", bad), write(t, "good.json", good)
	fs, err := c.Validate([]string{badFile, goodFile})
	require.NoError(t, err)
	assert.Equal(t, []string{"Key CT.KMS.PR.3", "Logs CT.CLOUDWATCH.PR.2"}, ids(fs), "only the bad template fails, once per resource and control")
	for _, f := range fs {
		assert.Equal(t, badFile, f.Template)
		assert.Contains(t, f.Message, "["+f.Control.ID+"]", "the control's own message")
		assert.Contains(t, f.Message, "[FIX]")
		assert.NotEmpty(t, f.Details, "guard's findings on the properties")
	}
	assert.Contains(t, fs[1].Details[0], "/Resources/Logs/Properties/RetentionInDays")
}

// cfn-guard does not read Metadata.guard.SuppressedRules for the Control Tower rules (they
// have no such filter, and a Control Tower hook only sees resource properties): the
// suppression is applied by this repository's test, which is why it must stay narrow.
func TestGuardIgnoresSuppressionMetadata(t *testing.T) {
	c := load(t)
	fs, err := c.Run([]Control{c.Controls["CT.CLOUDWATCH.PR.2"]}, write(t, "bad.json", bad))
	require.NoError(t, err)
	assert.Equal(t, []string{"Logs CT.CLOUDWATCH.PR.2"}, ids(fs))
}

// Running only the controls that evaluate a type of the template finds exactly what
// running all of them finds: the others skip (SKIP in guard's words).
func TestSelectedControlsFindTheSame(t *testing.T) {
	c := load(t)
	file := write(t, "bad.json", bad)
	all := make([]Control, 0, len(c.Controls))
	for _, ctl := range c.Controls {
		all = append(all, ctl)
	}
	everything, err := c.Run(all, file)
	require.NoError(t, err)
	selected, err := c.Validate([]string{file})
	require.NoError(t, err)
	assert.ElementsMatch(t, ids(everything), ids(selected))
	got := c.For([]string{"AWS::Logs::LogGroup"})
	assert.True(t, slices.ContainsFunc(got, func(x Control) bool { return x.ID == "CT.CLOUDWATCH.PR.3" }))
	assert.False(t, slices.ContainsFunc(got, func(x Control) bool { return x.ID == "CT.S3.PR.1" }))
}

func TestParseRejectsUnknownRules(t *testing.T) {
	c := load(t)
	_, err := c.Parse([]byte(`[{"name": "t.json", "not_compliant": [{"Rule": {"name": "no_such_rule", "checks": []}}]}]`))
	assert.ErrorContains(t, err, `rule "no_such_rule", which no rule file declares`)
	fs, err := c.Parse([]byte(`[{"name": "t.json", "not_compliant": [{"Rule": {"name": "kms_create_grant_aws_service_check", "checks": []}}]}]`))
	require.NoError(t, err)
	assert.Equal(t, []string{" CT.KMS.PR.3"}, ids(fs), "a failure without a resource is still a failure")
	_, err = c.Parse([]byte(`not json`))
	assert.Error(t, err)
}

// A hook sees a log group's key ARN, which CDK writes as a weak cross-stack reference:
// judged unresolved, the template fails CT.CLOUDWATCH.PR.3 although the log group is
// encrypted; resolved as CloudFormation resolves it, it passes.
func TestResolutionMatters(t *testing.T) {
	c := load(t)
	base := &cfn.Stack{Name: "app-dev-base", Account: "111111111111", Region: "eu-west-1", Template: &cfn.Template{
		Resources: map[string]cfn.Resource{"Key": {Type: "AWS::KMS::Key", Properties: map[string]any{}}},
		Outputs:   map[string]cfn.Output{"KeyArn": {Value: map[string]any{"Fn::GetAtt": []any{"Key", "Arn"}}}},
	}}
	backend := &cfn.Stack{Name: "app-dev-backend", Account: "111111111111", Region: "eu-west-1", Template: &cfn.Template{
		Resources: map[string]cfn.Resource{"Logs": {Type: "AWS::Logs::LogGroup", Properties: map[string]any{
			"RetentionInDays": 365,
			"KmsKeyId":        map[string]any{"Fn::GetStackOutput": map[string]any{"StackName": "app-dev-base", "Region": "eu-west-1", "OutputName": "KeyArn"}},
		}}},
	}}
	raw, err := json.Marshal(backend.Template)
	require.NoError(t, err)
	ctl := []Control{c.Controls["CT.CLOUDWATCH.PR.3"]}
	fs, err := c.Run(ctl, write(t, "raw.json", string(raw)))
	require.NoError(t, err)
	assert.Equal(t, []string{"Logs CT.CLOUDWATCH.PR.3"}, ids(fs), "unresolved, the reference is not a key ARN")

	tpl, err := cfn.NewResolver([]*cfn.Stack{base, backend}, nil).Template(backend)
	require.NoError(t, err)
	resolved, err := json.Marshal(tpl)
	require.NoError(t, err)
	fs, err = c.Run(ctl, write(t, "resolved.json", string(resolved)))
	require.NoError(t, err)
	assert.Empty(t, fs)
}
