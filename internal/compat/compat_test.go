package compat

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/deploypolicy"
	"github.com/example/notesplatform/stacks"
)

// The fixtures are a deployed Backend template (testdata/deployed.json, with
// aws:cdk:path metadata) and new templates that change it in one way each.
const fixtures = "testdata"

func fixture(t *testing.T, name string) stackTemplate {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	require.NoError(t, err)
	st, err := parseTemplate("notes-dev-backend", b)
	require.NoError(t, err)
	return st
}

// withoutPaths drops the aws:cdk:path metadata, as in templates synthesized with
// pathMetadata off.
func withoutPaths(st stackTemplate) stackTemplate {
	st.Paths = map[string]string{}
	return st
}

func ids(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID())
	}
	return out
}

func TestCompareFixtures(t *testing.T) {
	for _, c := range []struct {
		fixture string
		want    []string // finding ids; empty: the gate passes
		detail  []string // phrases the details must contain
	}{
		{"deployed.json", nil, nil},
		{"adds-only.json", nil, nil},
		{"widens.json", nil, nil},
		{"removes-action.json", []string{"Backend/NotesRead:action:secretsmanager:GetSecretValue"},
			[]string{`IAM action secretsmanager:GetSecretValue is removed (it was allowed on {"Ref":"path:dev/Backend/CursorKey/Resource"})`}},
		{"removes-env.json", []string{"Backend/NotesRead:env:CURSOR_SECRET_ARN"}, []string{"environment variable CURSOR_SECRET_ARN is removed"}},
		{"narrows-resource.json", []string{"Backend/NotesRead:resource:dynamodb:GetItem", "Backend/NotesRead:resource:dynamodb:Query"},
			[]string{`IAM action dynamodb:Query is kept but no longer allowed on {"Fn::Join":["",[{"Fn::GetStackOutput"`, `"/index/*"]]}`}},
		{"detaches-policy.json", []string{`Backend/Health:policy:{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::aws:policy/AWSXRayDaemonWriteAccess"]]}`},
			[]string{"is detached from the role"}},
		{"adds-deny.json", []string{"Backend/NotesRead:action:secretsmanager:GetSecretValue"}, nil},
		{"renamed-ids.json", []string{"Backend/NotesRead:env:CURSOR_SECRET_ARN"}, nil},
	} {
		t.Run(c.fixture, func(t *testing.T) {
			got, notes := compareStacks(fixture(t, "deployed.json"), fixture(t, c.fixture))
			assert.ElementsMatch(t, c.want, ids(got))
			assert.Empty(t, notes)
			var details []string
			for _, f := range got {
				details = append(details, f.Detail)
			}
			for _, d := range c.detail {
				assert.Contains(t, strings.Join(details, "\n"), d)
			}
			for _, id := range ids(got) {
				assert.Regexp(t, config.AcceptPattern, id, "every finding id can be accepted")
			}
		})
	}
}

// Functions are matched by construct path, not by logical id: with the paths, a function
// whose logical ids all changed is still compared; by logical id alone it would look
// removed, and what it loses would go unnoticed.
func TestCompareMatchesByPath(t *testing.T) {
	got, notes := compareStacks(fixture(t, "deployed.json"), fixture(t, "renamed-ids.json"))
	assert.Equal(t, []string{"Backend/NotesRead:env:CURSOR_SECRET_ARN"}, ids(got))
	assert.Empty(t, notes)

	// The resources a role reaches compare by path too: the renamed log group is the same
	// log group, so the logs grant is not reported as narrowed.
	for _, f := range got {
		assert.NotEqual(t, "resource", f.Kind, f.Detail)
	}

	got, notes = compareStacks(withoutPaths(fixture(t, "deployed.json")), withoutPaths(fixture(t, "renamed-ids.json")))
	assert.Empty(t, got, "without paths the renamed function cannot be matched")
	require.Len(t, notes, 1)
	assert.Contains(t, notes[0], "NotesReadD9896903 is not in the new template")
}

// A deployed template without path metadata (pathMetadata off) takes the paths of the new
// assembly for the logical ids they share: the comparison is unchanged.
func TestCompareDeployedWithoutPaths(t *testing.T) {
	for _, name := range []string{"removes-action.json", "removes-env.json", "narrows-resource.json"} {
		withPaths, _ := compareStacks(fixture(t, "deployed.json"), fixture(t, name))
		without, _ := compareStacks(withoutPaths(fixture(t, "deployed.json")), fixture(t, name))
		assert.Equal(t, ids(withPaths), ids(without), name)
		require.NotEmpty(t, without, name)
	}
	both, _ := compareStacks(withoutPaths(fixture(t, "deployed.json")), withoutPaths(fixture(t, "removes-env.json")))
	assert.Equal(t, []string{"notes-dev-backend/NotesReadD9896903:env:CURSOR_SECRET_ARN"}, ids(both), "no path anywhere: stack/logical id")
}

func TestAccepted(t *testing.T) {
	findings, _ := compareStacks(fixture(t, "deployed.json"), fixture(t, "narrows-resource.json"))
	require.Len(t, findings, 2)
	failing, accepted, unused := Accepted(findings, []string{"Backend/NotesRead:resource:dynamodb:Query", "Backend/Other:*"})
	assert.Equal(t, []string{"Backend/NotesRead:resource:dynamodb:GetItem"}, ids(failing))
	assert.Equal(t, []string{"Backend/NotesRead:resource:dynamodb:Query"}, ids(accepted))
	assert.Equal(t, []string{"Backend/Other:*"}, unused)

	failing, accepted, unused = Accepted(findings, []string{"Backend/NotesRead:*"})
	assert.Empty(t, failing)
	assert.Len(t, accepted, 2)
	assert.Empty(t, unused)

	failing, accepted, unused = Accepted(findings, []string{"*"})
	assert.Empty(t, failing, "* accepts everything (a rollback)")
	assert.Len(t, accepted, 2)
	assert.Empty(t, unused)
	_, _, unused = Accepted(nil, []string{"*"})
	assert.Equal(t, []string{"*"}, unused)
}

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"dynamodb:*", "dynamodb:GetItem", true},
		{"DynamoDB:getitem", "dynamodb:GetItem", true},
		{"dynamodb:Get*", "dynamodb:Query", false},
		{"s3:*Object?", "s3:GetObjectA", true},
		{"s3:*Object?", "s3:GetObject", false},
		{"*", "anything", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
	} {
		assert.Equal(t, c.want, deploypolicy.Match(c.pattern, c.s, true), "%s ~ %s", c.pattern, c.s)
	}
	assert.True(t, coversResource(`"arn:aws:s3:::b/*"`, `"arn:aws:s3:::b/k"`))
	assert.False(t, coversResource(`"arn:aws:s3:::b/*"`, `{"Ref":"B"}`), "an intrinsic is only covered by an equal value or *")
	assert.True(t, coversResource(`"*"`, `{"Ref":"B"}`))
}

// stage writes a cloud assembly with one stage "dev": a Backend stack (the given template,
// with the paths in a metadata file, as CDK writes them with pathMetadata off), a Data
// stack without functions and a Frontend stack with a function that was never deployed.
func stage(t *testing.T, backendFixture string) string {
	t.Helper()
	dir := t.TempDir()
	writeJSON := func(path string, v any) {
		b, err := json.MarshalIndent(v, "", " ")
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, b, 0o644))
	}
	writeJSON(filepath.Join(dir, "manifest.json"), map[string]any{"version": "55.0.0", "artifacts": map[string]any{
		"assembly-dev":  map[string]any{"type": "cdk:cloud-assembly", "properties": map[string]any{"directoryName": "assembly-dev", "displayName": "dev"}},
		"assembly-prod": map[string]any{"type": "cdk:cloud-assembly", "properties": map[string]any{"directoryName": "assembly-prod", "displayName": "prod"}},
	}})
	backend := fixture(t, backendFixture)
	metadata := map[string]any{}
	for id, p := range backend.Paths {
		metadata["/"+p] = []any{map[string]any{"type": "aws:cdk:logicalId", "data": id}}
	}
	var tpl map[string]any
	b, err := os.ReadFile(filepath.Join(fixtures, backendFixture))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &tpl))
	for _, r := range tpl["Resources"].(map[string]any) {
		delete(r.(map[string]any), "Metadata") // pathMetadata off: paths only in the assembly
	}
	sub := filepath.Join(dir, "assembly-dev")
	writeJSON(filepath.Join(sub, "devBackend.template.json"), tpl)
	writeJSON(filepath.Join(sub, "devBackend.metadata.json"), metadata)
	writeJSON(filepath.Join(sub, "devData.template.json"), map[string]any{"Resources": map[string]any{"Table": map[string]any{"Type": "AWS::DynamoDB::Table"}}})
	writeJSON(filepath.Join(sub, "devFrontend.template.json"), map[string]any{"Resources": map[string]any{
		"Deploy": map[string]any{"Type": "AWS::Lambda::Function", "Properties": map[string]any{}}}})
	stack := func(file, name string, extra map[string]any) map[string]any {
		a := map[string]any{"type": "aws:cloudformation:stack", "environment": "aws://111111111111/eu-west-1",
			"properties": map[string]any{"templateFile": file, "stackName": name,
				"lookupRole": map[string]any{"arn": "arn:${AWS::Partition}:iam::111111111111:role/cdk-hnb659fds-lookup-role-111111111111-eu-west-1"}}}
		for k, v := range extra {
			a[k] = v
		}
		return a
	}
	writeJSON(filepath.Join(sub, "manifest.json"), map[string]any{"version": "55.0.0", "artifacts": map[string]any{
		"devBackend":  stack("devBackend.template.json", "notes-dev-backend", map[string]any{"additionalMetadataFile": "devBackend.metadata.json"}),
		"devData":     stack("devData.template.json", "notes-dev-data", nil),
		"devFrontend": stack("devFrontend.template.json", "notes-dev-frontend", nil),
	}})
	return dir
}

// deployedDir holds the deployed Backend template only: Frontend has never been deployed.
func deployedDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(fixtures, "deployed.json"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes-dev-backend.json"), b, 0o644))
	return dir
}

func runGate(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := compatGate(context.Background(), args, &out, &errOut, newDeployedReader)
	return code, out.String(), errOut.String()
}

func TestCompatGateCommand(t *testing.T) {
	deployed := deployedDir(t)

	code, out, _ := runGate(t, "--assembly", stage(t, "adds-only.json"), "--stage", "dev", "--deployed", deployed)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "notes-dev-frontend: not deployed yet")
	assert.Contains(t, out, "notes-dev-backend: compared with the deployed template: 0 removal(s)")
	assert.NotContains(t, out, "notes-dev-data", "a stack without functions needs no comparison")

	code, out, _ = runGate(t, "--assembly", stage(t, "removes-action.json"), "--stage", "dev", "--deployed", deployed)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "FAILED")
	assert.Contains(t, out, "IAM action secretsmanager:GetSecretValue is removed")
	assert.Contains(t, out, "accept with: Backend/NotesRead:action:secretsmanager:GetSecretValue")
	assert.Contains(t, out, "1. expand:")
	assert.Contains(t, out, "2. contract:")

	code, out, _ = runGate(t, "--assembly", stage(t, "removes-action.json"), "--stage", "dev", "--deployed", deployed,
		"--accept", "Backend/NotesRead:action:secretsmanager:GetSecretValue")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "accepted Backend/NotesRead:action:secretsmanager:GetSecretValue")

	code, out, _ = runGate(t, "--assembly", stage(t, "removes-env.json"), "--stage", "dev", "--deployed", deployed,
		"--accept", "Backend/Health:*")
	assert.Equal(t, 1, code, "an acceptance of another function does not pass: %s", out)
	assert.Contains(t, out, "warning: --accept Backend/Health:* matches nothing")

	code, out, _ = runGate(t, "--assembly", stage(t, "removes-action.json"), "--stage", "dev", "--deployed", deployed, "--execution-type", "ROLLBACK")
	assert.Equal(t, 0, code, "a stage rollback replaces the running release with an older one: %s", out)
	assert.Contains(t, out, "rollback execution")
	assert.Contains(t, out, "accepted Backend/NotesRead:action:secretsmanager:GetSecretValue")
	assert.NotContains(t, out, "warning:", "the rollback's own acceptance is never stale")

	code, out, _ = runGate(t, "--assembly", stage(t, "adds-only.json"), "--stage", "dev", "--deployed", deployed, "--execution-type", "ROLLBACK")
	assert.Equal(t, 0, code, out)
	assert.NotContains(t, out, "warning:", "the rollback's own acceptance is never stale")

	code, out, _ = runGate(t, "--assembly", stage(t, "removes-action.json"), "--stage", "dev", "--deployed", deployed, "--execution-type", "STANDARD")
	assert.Equal(t, 1, code, out)

	code, out, _ = runGate(t, "--assembly", stage(t, "narrows-resource.json"), "--stage", "dev", "--deployed", deployed)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "accept with: Backend/NotesRead:resource:dynamodb:Query")
}

func TestCompatGateUsage(t *testing.T) {
	asm := stage(t, "deployed.json")
	code, _, errOut := runGate(t, "--assembly", asm)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "usage: compat-gate --stage")

	code, _, errOut = runGate(t, "--assembly", asm, "--stage", "qa")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `stage "qa" is not in the cloud assembly`)
	assert.Contains(t, errOut, "allowed are dev, prod")

	code, _, errOut = runGate(t, "--assembly", asm, "--stage", "dev", "--accept", "NotesRead")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `--accept "NotesRead": allowed is <function>:<kind>:<item>`)

	code, _, errOut = runGate(t, "--assembly", asm, "--stage", "dev", "--execution-type", "rollback")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `--execution-type "rollback": allowed are STANDARD and ROLLBACK`)

	code, _, errOut = runGate(t, "--assembly", asm, "--stage", "dev", "--accept", "**")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `--accept "**"`)

	code, _, errOut = runGate(t, "--assembly", filepath.Join(t.TempDir(), "none"), "--stage", "dev")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "run cdk synth first")
}

// fakeAWS answers STS AssumeRole and CloudFormation DescribeStacks/GetTemplate (AWS query
// protocol) for the stacks it holds, and records what it was asked.
type fakeAWS struct {
	templates map[string]string // stack name -> template body
	status    map[string]string // stack name -> status (default UPDATE_COMPLETE)
	assumed   []string          // role ARNs
	cfnCalls  []string          // "<Action> <stack> <access key of the signature>"
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	auth := r.Header.Get("Authorization")
	key := ""
	if i := strings.Index(auth, "Credential="); i >= 0 {
		key, _, _ = strings.Cut(auth[i+len("Credential="):], "/")
	}
	w.Header().Set("Content-Type", "text/xml")
	switch form.Get("Action") {
	case "AssumeRole":
		f.assumed = append(f.assumed, form.Get("RoleArn"))
		fmt.Fprint(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIALOOKUP</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><AssumedRoleId>AROA:compat-gate</AssumedRoleId><Arn>arn:aws:sts::111111111111:assumed-role/lookup/compat-gate</Arn></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	case "DescribeStacks", "GetTemplate":
		name := form.Get("StackName")
		f.cfnCalls = append(f.cfnCalls, form.Get("Action")+" "+name+" "+key)
		tpl, ok := f.templates[name]
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id %s does not exist</Message></Error><RequestId>2</RequestId></ErrorResponse>`, name)
			return
		}
		if form.Get("Action") == "GetTemplate" {
			var esc bytes.Buffer
			_ = xmlEscape(&esc, tpl)
			fmt.Fprintf(w, `<GetTemplateResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><GetTemplateResult><TemplateBody>%s</TemplateBody><StagesAvailable><member>Original</member><member>Processed</member></StagesAvailable></GetTemplateResult><ResponseMetadata><RequestId>3</RequestId></ResponseMetadata></GetTemplateResponse>`, esc.String())
			return
		}
		status := f.status[name]
		if status == "" {
			status = "UPDATE_COMPLETE"
		}
		fmt.Fprintf(w, `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>%s</StackName><StackId>arn:aws:cloudformation:eu-west-1:111111111111:stack/%s/1</StackId><StackStatus>%s</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>4</RequestId></ResponseMetadata></DescribeStacksResponse>`, name, name, status)
	default:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse><Error><Code>InvalidAction</Code><Message>%s</Message></Error></ErrorResponse>`, form.Get("Action"))
	}
}

// TestCloudFormationTemplates runs the real SDK client against a local fake of STS and
// CloudFormation: it assumes the stack's lookup role, reads the deployed template with the
// role's credentials, and treats a missing or never-deployed stack as a first deploy.
func TestCloudFormationTemplates(t *testing.T) {
	deployed, err := os.ReadFile(filepath.Join(fixtures, "deployed.json"))
	require.NoError(t, err)
	fake := &fakeAWS{
		templates: map[string]string{"notes-dev-backend": string(deployed), "notes-dev-half": "{}"},
		status:    map[string]string{"notes-dev-half": "REVIEW_IN_PROGRESS"},
	}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	reader := &cloudFormationTemplates{endpoint: srv.URL, loadConfig: func(_ context.Context, region string) (aws.Config, error) {
		return aws.Config{
			Region: region, Credentials: credentials.NewStaticCredentialsProvider("AKIAPIPELINE", "s", ""), RetryMaxAttempts: 1,
			// A fresh connection per request: no reuse of a pooled connection the test
			// server may have closed (the test checks requests, not connection reuse).
			HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
		}, nil
	}}
	role := "arn:aws:iam::111111111111:role/cdk-hnb659fds-lookup-role-111111111111-eu-west-1"
	ctx := context.Background()

	body, found, err := reader.Template(ctx, stageStack{Name: "notes-dev-backend", Region: "eu-west-1", LookupRoleArn: role})
	require.NoError(t, err)
	assert.True(t, found)
	assert.JSONEq(t, string(deployed), string(body))
	assert.Contains(t, fake.assumed, role)
	assert.Equal(t, []string{"DescribeStacks notes-dev-backend ASIALOOKUP", "GetTemplate notes-dev-backend ASIALOOKUP"}, fake.cfnCalls,
		"CloudFormation is read with the lookup role's credentials, never the caller's")

	_, found, err = reader.Template(ctx, stageStack{Name: "notes-dev-frontend", Region: "eu-west-1", LookupRoleArn: role})
	require.NoError(t, err)
	assert.False(t, found, "a stack that does not exist is a first deploy")

	fake.cfnCalls = nil
	_, found, err = reader.Template(ctx, stageStack{Name: "notes-dev-half", Region: "eu-west-1", LookupRoleArn: role})
	require.NoError(t, err)
	assert.False(t, found, "a stack whose first change set never ran has no running version")
	assert.Equal(t, []string{"DescribeStacks notes-dev-half ASIALOOKUP"}, fake.cfnCalls)

	srv.Close()
	_, _, err = reader.Template(ctx, stageStack{Name: "notes-dev-backend", Region: "eu-west-1", LookupRoleArn: role})
	assert.Error(t, err, "an unreachable CloudFormation fails the gate rather than passing it")
}

func xmlEscape(w io.Writer, s string) error { return xml.EscapeText(w, []byte(s)) }

// shellWords splits a command line of plain words, single-quoted strings and backslash
// escapes, as sh does.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord, quoted, escaped := false, false, false
	for _, r := range line {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case !quoted && r == '\\':
			escaped, inWord = true, true
		case quoted && r == '\'':
			quoted = false
		case quoted:
			cur.WriteRune(r)
		case r == '\'':
			quoted, inWord = true, true
		case r == ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	require.False(t, quoted, "unterminated quote in %s", line)
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// The command that the pipeline step runs (stacks.CompatGateCommand) is one this command
// parses and honours, in a directory laid out as in the step: the source with cdk.out.
func TestPipelineCommandRuns(t *testing.T) {
	line := stacks.CompatGateCommand("dev", "hnb659fds", []string{"Backend/NotesRead:action:secretsmanager:GetSecretValue", "it's:*"})
	args := shellWords(t, line)
	require.Equal(t, []string{"go", "run", "./cmd/compatgate"}, args[:3])
	assert.Contains(t, args, "it's:*", "quotes survive the shell")
	args = slices.DeleteFunc(args, func(a string) bool { return a == "it's:*" })
	args = args[:len(args)-1] // the --accept of the removed entry

	assembly, deployed := stage(t, "removes-action.json"), deployedDir(t)
	work := t.TempDir()
	require.NoError(t, os.Symlink(assembly, filepath.Join(work, "cdk.out")))
	t.Chdir(work)
	code, out, errOut := runGate(t, append(args[3:], "--deployed", deployed)...)
	assert.Equal(t, 0, code, out+errOut)
	assert.Contains(t, out, "accepted Backend/NotesRead:action:secretsmanager:GetSecretValue")
}
