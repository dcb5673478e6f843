package policycheck

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/deploypolicy"
	"github.com/example/notesplatform/internal/iamsim"
	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/stacks"
)

const (
	account = "111111111111"
	region  = "eu-west-1"
)

var (
	simOnce sync.Once
	sim     *iamsim.Simulator
	simErr  error
)

// simulator is the real IAM policy evaluator (offline: Node and the pinned npm packages).
func simulator(t *testing.T) *iamsim.Simulator {
	t.Helper()
	simOnce.Do(func() {
		root, err := repo.Root()
		if err != nil {
			simErr = err
			return
		}
		sim, simErr = iamsim.New(root)
	})
	require.NoError(t, simErr)
	return sim
}

// The stage's templates before and after a commit that adds a resource type (an SNS topic).
var (
	oldTypes = []string{"AWS::Logs::LogGroup", "AWS::S3::Bucket", "AWS::S3::BucketPolicy"}
	newTypes = append(slices.Clone(oldTypes), "AWS::SNS::Topic")
)

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

// assembly writes a cloud assembly with the stage "dev" (account 111111111111, eu-west-1)
// as CDK writes it: two stacks whose resources have the given types, and a stage "prod".
func assembly(t *testing.T, types []string) string {
	t.Helper()
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "manifest.json"), map[string]any{"version": "55.0.0", "artifacts": map[string]any{
		"assembly-dev":  map[string]any{"type": "cdk:cloud-assembly", "properties": map[string]any{"directoryName": "assembly-dev", "displayName": "dev"}},
		"assembly-prod": map[string]any{"type": "cdk:cloud-assembly", "properties": map[string]any{"directoryName": "assembly-prod", "displayName": "prod"}},
	}})
	half := len(types) / 2
	artifacts := map[string]any{}
	for i, part := range [][]string{types[:half], types[half:]} {
		res := map[string]any{}
		for j, typ := range part {
			res["R"+strings.NewReplacer(":", "").Replace(typ)+string(rune('A'+j))] = map[string]any{"Type": typ, "Properties": map[string]any{}}
		}
		name := []string{"Base", "Backend"}[i]
		file := "dev" + name + ".template.json"
		writeJSON(t, filepath.Join(dir, "assembly-dev", file), map[string]any{"Resources": res})
		artifacts["dev"+name] = map[string]any{"type": "aws:cloudformation:stack", "environment": "aws://" + account + "/" + region,
			"properties": map[string]any{"templateFile": file, "stackName": "notes-dev-" + strings.ToLower(name),
				"lookupRole": map[string]any{"arn": "arn:${AWS::Partition}:iam::" + account + ":role/cdk-hnb659fds-lookup-role-" + account + "-" + region}}}
	}
	writeJSON(t, filepath.Join(dir, "assembly-dev", "manifest.json"), map[string]any{"version": "55.0.0", "artifacts": artifacts})
	writeJSON(t, filepath.Join(dir, "assembly-prod", "manifest.json"), map[string]any{"version": "55.0.0", "artifacts": map[string]any{}})
	return dir
}

// generated is the bundle deploy-policy prints for types.
func generated(t *testing.T, types []string) *deploypolicy.Bundle {
	t.Helper()
	b, err := deploypolicy.New(deploypolicy.Options{App: "notes", Env: "dev", Account: account, Region: region,
		BoundaryName: deploypolicy.BoundaryName("notes", "dev"), ResourceTypes: types})
	require.NoError(t, err)
	return b
}

// versions are n versions of a policy, v1 the oldest; def is the default.
func versions(n, def int) []PolicyVersion {
	var out []PolicyVersion
	for i := 1; i <= n; i++ {
		out = append(out, PolicyVersion{ID: "v" + string(rune('0'+i)), Default: i == def, Created: time.Date(2026, time.Month(i), 1, 0, 0, 0, 0, time.UTC)})
	}
	return out
}

// deployedFrom is the execution role as an administrator made it from a bundle: each
// policy with n versions, the default the newest.
func deployedFrom(t *testing.T, b *deploypolicy.Bundle, n int) *Deployed {
	t.Helper()
	mp := func(p deploypolicy.NamedPolicy) ManagedPolicy {
		doc, err := json.Marshal(p.Document)
		require.NoError(t, err)
		return ManagedPolicy{ARN: "arn:aws:iam::" + account + ":policy/" + p.Name, Document: doc, Versions: versions(n, n)}
	}
	d := &Deployed{Role: "arn:aws:iam::" + account + ":role/cdk-hnb659fds-cfn-exec-role-" + account + "-" + region, Exists: true}
	for _, p := range b.ExecutionPolicies {
		d.Managed = append(d.Managed, mp(p))
	}
	bd := mp(b.Boundary)
	d.Boundary = &bd
	return d
}

func writeDeployed(t *testing.T, d *Deployed) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "deployed.json")
	writeJSON(t, path, d)
	return path
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := policyCheck(context.Background(), args, &out, &errOut, "0123abc", newDeployedReader,
		func() (evaluator, error) { return simulator(t), nil })
	return code, out.String(), errOut.String()
}

// Policies made from the same templates allow everything they need: the check passes
// and suggests nothing.
func TestPolicyCheckPasses(t *testing.T) {
	deployed := writeDeployed(t, deployedFrom(t, generated(t, newTypes), 1))
	code, out, errOut := run(t, "--assembly", assembly(t, newTypes), "--app", "notes", "--stage", "dev", "--deployed", deployed)
	assert.Equal(t, 0, code, out+errOut)
	assert.Contains(t, out, "policy-check dev: passed: the execution policies of account 111111111111 allow each of the")
	assert.NotContains(t, out, "note:")

	// Templates that need less than the account allows pass too (the policies of a type
	// that went away are not a gap).
	code, out, _ = run(t, "--assembly", assembly(t, oldTypes), "--app", "notes", "--stage", "dev", "--deployed", deployed)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "note: the account's policies differ from what deploy-policy generates")
}

// A commit that adds a resource type (an SNS topic) fails the check against the policies
// made for the templates before it: the output names the missing actions, on what, for
// which type, and the commands that update the account's policies (a new default version,
// the oldest version deleted first where IAM's five are used). Running exactly those
// updates makes the check pass.
func TestPolicyCheckNewType(t *testing.T) {
	require.Len(t, generated(t, newTypes).ExecutionPolicies, len(generated(t, oldTypes).ExecutionPolicies), "the same policies, new documents")
	before := deployedFrom(t, generated(t, oldTypes), MaxPolicyVersions)
	before.Managed[0].Versions = versions(MaxPolicyVersions, 1) // the default is the oldest: delete the next one
	asm := assembly(t, newTypes)
	code, out, errOut := run(t, "--assembly", asm, "--app", "notes", "--stage", "dev", "--trust", "333333333333", "--deployed", writeDeployed(t, before))
	require.Equal(t, 1, code, out+errOut)
	for _, want := range []string{
		"policy-check dev: FAILED: the execution policies of account 111111111111 (role arn:aws:iam::111111111111:role/cdk-hnb659fds-cfn-exec-role-111111111111-eu-west-1) do not allow",
		"Nothing was deployed: the stage stops before its first change set.",
		"sns:CreateTopic on arn:aws:sns:eu-west-1:111111111111:notes-dev-* (needed by AWS::SNS::Topic): ImplicitlyDenied",
		"kms:DescribeKey on * (needed by AWS::SNS::Topic): ImplicitlyDenied",
		"Missing actions: kms:DescribeKey sns:CreateTopic sns:DeleteTopic sns:GetDataProtectionPolicy sns:GetTopicAttributes sns:ListTagsForResource sns:SetTopicAttributes sns:TagResource sns:UntagResource",
		"from a checkout of commit 0123abc",
		"go run ./cmd/deploypolicy --env dev --name cdk-notes-dev-deploy-1 > cdk-notes-dev-deploy-1.json",
		"aws iam delete-policy-version --policy-arn arn:aws:iam::111111111111:policy/cdk-notes-dev-deploy-1 --version-id v2",
		"aws iam create-policy-version --policy-arn arn:aws:iam::111111111111:policy/cdk-notes-dev-deploy-1 --policy-document file://cdk-notes-dev-deploy-1.json --set-as-default",
		// SNS is a new service: the execution role's boundary caps it out too.
		"aws iam delete-policy-version --policy-arn arn:aws:iam::111111111111:policy/cdk-notes-dev-deploy-boundary --version-id v1",
		"aws iam create-policy-version --policy-arn arn:aws:iam::111111111111:policy/cdk-notes-dev-deploy-boundary --policy-document file://cdk-notes-dev-deploy-boundary.json --set-as-default",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "npx cdk bootstrap", "the same policies, new versions: no bootstrap")
	assert.Less(t, strings.Index(out, "delete-policy-version --policy-arn arn:aws:iam::111111111111:policy/cdk-notes-dev-deploy-1 "),
		strings.Index(out, "create-policy-version --policy-arn arn:aws:iam::111111111111:policy/cdk-notes-dev-deploy-1 "), "delete before create")

	// The administrator runs the printed commands: each named policy gets the document
	// deploy-policy prints now.
	after := applyUpdates(t, before, generated(t, newTypes), out)
	code, out, _ = run(t, "--assembly", asm, "--app", "notes", "--stage", "dev", "--deployed", writeDeployed(t, after))
	assert.Equal(t, 0, code, out)
	assert.NotContains(t, out, "note:", "the account now holds exactly the generated policies")
}

// applyUpdates does what the printed create-policy-version and create-policy commands do.
func applyUpdates(t *testing.T, d *Deployed, b *deploypolicy.Bundle, out string) *Deployed {
	t.Helper()
	next := *d
	next.Managed = slices.Clone(d.Managed)
	bd := *d.Boundary
	next.Boundary = &bd
	applied := 0
	for _, p := range b.Documents() {
		arn := "arn:aws:iam::" + account + ":policy/" + p.Name
		doc, err := json.Marshal(p.Document)
		require.NoError(t, err)
		if strings.Contains(out, "create-policy-version --policy-arn "+arn+" ") {
			applied++
			if next.Boundary.ARN == arn {
				next.Boundary.Document = doc
			}
			for i := range next.Managed {
				if next.Managed[i].ARN == arn {
					next.Managed[i].Document = doc
				}
			}
		}
		if strings.Contains(out, "create-policy --policy-name "+p.Name+" ") {
			applied++
			next.Managed = append(next.Managed, ManagedPolicy{ARN: arn, Document: doc, Versions: versions(1, 1)})
		}
	}
	require.Positive(t, applied, "no update printed:\n%s", out)
	return &next
}

// When the new templates need another execution policy (the statements no longer fit the
// ones there are), the check prints how to create it and the bootstrap command that
// attaches the whole set, with the pipeline account the target account trusts.
func TestPolicyCheckNewPolicy(t *testing.T) {
	var types []string
	for typ := range deploypolicy.Table {
		if typ != "AWS::CodeCommit::Repository" { // the pipeline's, named in config
			types = append(types, typ)
		}
	}
	slices.Sort(types)
	b := generated(t, types)
	require.Greater(t, len(b.ExecutionPolicies), 1, "the whole table needs more than one policy")
	before := deployedFrom(t, b, 1)
	last := b.ExecutionPolicies[len(b.ExecutionPolicies)-1].Name
	before.Managed = before.Managed[:len(before.Managed)-1]
	code, out, errOut := run(t, "--assembly", assembly(t, types), "--app", "notes", "--stage", "dev", "--trust", "333333333333", "--deployed", writeDeployed(t, before))
	require.Equal(t, 1, code, out+errOut)
	assert.Contains(t, out, "aws iam create-policy --policy-name "+last+" --policy-document file://"+last+".json")
	var arns []string
	for _, p := range b.ExecutionPolicies {
		arns = append(arns, "arn:aws:iam::"+account+":policy/"+p.Name)
	}
	assert.Contains(t, out, "npx cdk bootstrap aws://111111111111/eu-west-1 --trust 333333333333 --cloudformation-execution-policies "+
		strings.Join(arns, ",")+" --custom-permissions-boundary cdk-notes-dev-deploy-boundary")
	code, out, _ = run(t, "--assembly", assembly(t, types), "--app", "notes", "--stage", "dev", "--deployed", writeDeployed(t, applyUpdates(t, before, b, out)))
	assert.Equal(t, 0, code, out)
}

// An account bootstrapped with CDK's default (AdministratorAccess) allows everything: the
// check passes, and says the account is not least privilege and how to make it so.
func TestPolicyCheckAdministratorAccess(t *testing.T) {
	d := &Deployed{Role: "arn:aws:iam::" + account + ":role/cdk-hnb659fds-cfn-exec-role-" + account + "-" + region, Exists: true,
		Managed: []ManagedPolicy{{ARN: "arn:aws:iam::aws:policy/AdministratorAccess", Versions: versions(1, 1),
			Document: json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}}}
	code, out, _ := run(t, "--assembly", assembly(t, newTypes), "--app", "notes", "--stage", "dev", "--deployed", writeDeployed(t, d))
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "has AdministratorAccess: it can do anything")
	assert.Contains(t, out, "aws iam create-policy --policy-name cdk-notes-dev-deploy-1")
	assert.Contains(t, out, "npx cdk bootstrap aws://111111111111/eu-west-1 --cloudformation-execution-policies arn:aws:iam::111111111111:policy/cdk-notes-dev-deploy-1")
}

// Every bad input stops the check with a message that names the flag, the value and what
// is allowed, and nothing is evaluated.
func TestPolicyCheckUsage(t *testing.T) {
	asm := assembly(t, newTypes)
	deployed := writeDeployed(t, deployedFrom(t, generated(t, newTypes), 1))
	missing := writeDeployed(t, &Deployed{Exists: false})
	notJSON := filepath.Join(t.TempDir(), "deployed.json")
	require.NoError(t, os.WriteFile(notJSON, []byte("role: x"), 0o644))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--assembly", asm, "--stage", "dev"}, "usage: policy-check --app <name> --stage <name>"},
		{[]string{"--assembly", asm, "--app", "notes"}, "usage: policy-check"},
		{[]string{"--assembly", asm, "--app", "Notes!", "--stage", "dev"}, `--app "Notes!": allowed is the config appName`},
		{[]string{"--assembly", asm, "--app", "notes", "--stage", "dev", "--trust", "3333"}, `--trust "3333": allowed is a 12-digit account id`},
		{[]string{"--assembly", asm, "--app", "notes", "--stage", "dev", "--qualifier", "much-too-long"}, `--qualifier "much-too-long": allowed is 1-10 of`},
		{[]string{"--assembly", asm, "--app", "notes", "--stage", "qa", "--deployed", deployed}, `stage "qa" is not in the cloud assembly`},
		{[]string{"--assembly", filepath.Join(t.TempDir(), "none"), "--app", "notes", "--stage", "dev"}, "run cdk synth first"},
		{[]string{"--assembly", asm, "--app", "notes", "--stage", "dev", "--deployed", missing},
			"account 111111111111 has no execution role cdk-hnb659fds-cfn-exec-role-111111111111-eu-west-1: bootstrap it"},
		{[]string{"--assembly", asm, "--app", "notes", "--stage", "dev", "--deployed", notJSON}, "want the JSON of policycheck.Deployed"},
	} {
		code, out, errOut := run(t, c.args...)
		assert.Equal(t, 2, code, "%v: %s", c.args, out)
		assert.Contains(t, errOut, c.want, "%v", c.args)
	}
}

// The needs are every action of every Allow statement of the generated execution
// policies, on a resource each pattern matches, with the condition keys it is granted
// under and the region the call goes to.
func TestNeeds(t *testing.T) {
	types := append(slices.Clone(newTypes), "AWS::IAM::Role")
	b := generated(t, types)
	ns := needs(b, types, region)
	n := 0
	for _, p := range b.ExecutionPolicies {
		for _, st := range p.Document.Statement {
			if st.Effect == "Allow" {
				n += len(st.Action) * len(st.Resource)
			}
		}
	}
	assert.Len(t, ns, n)
	var createRole, createTopic *Need
	for i := range ns {
		switch ns[i].Action {
		case "iam:CreateRole":
			createRole = &ns[i]
		case "sns:CreateTopic":
			createTopic = &ns[i]
		}
	}
	require.NotNil(t, createRole)
	assert.Equal(t, "arn:aws:iam::111111111111:role/notes-dev-example", createRole.Resource)
	assert.Equal(t, []string{"arn:aws:iam::111111111111:policy/notes-dev-permissions-boundary"}, createRole.Context["iam:PermissionsBoundary"])
	assert.Equal(t, []string{"us-east-1"}, createRole.Context["aws:RequestedRegion"], "IAM answers in us-east-1")
	assert.Equal(t, []string{"AWS::IAM::Role"}, createRole.Types)
	require.NotNil(t, createTopic)
	assert.Equal(t, []string{region}, createTopic.Context["aws:RequestedRegion"])
	assert.Equal(t, []string{"AWS::SNS::Topic"}, createTopic.Types)
}

// The check is an evaluation, not a comparison of documents: policies arranged otherwise
// (one document holding every statement, no boundary) that allow the same pass, and a
// deny the account added is a gap.
func TestPolicyCheckEvaluates(t *testing.T) {
	b := generated(t, newTypes)
	var all []deploypolicy.Statement
	for _, p := range b.ExecutionPolicies {
		all = append(all, p.Document.Statement...)
	}
	doc, err := json.Marshal(deploypolicy.Document{Version: "2012-10-17", Statement: all})
	require.NoError(t, err)
	d := &Deployed{Role: "arn:aws:iam::" + account + ":role/cdk-hnb659fds-cfn-exec-role-" + account + "-" + region, Exists: true,
		Managed: []ManagedPolicy{{ARN: "arn:aws:iam::" + account + ":policy/handmade", Document: doc, Versions: versions(1, 1)}}}
	code, out, _ := run(t, "--assembly", assembly(t, newTypes), "--app", "notes", "--stage", "dev", "--deployed", writeDeployed(t, d))
	assert.Equal(t, 0, code, out)

	d.Inline = []InlinePolicy{{Name: "NoTopics", Document: json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sns:CreateTopic","Resource":"*"}]}`)}}
	code, out, _ = run(t, "--assembly", assembly(t, newTypes), "--app", "notes", "--stage", "dev", "--deployed", writeDeployed(t, d))
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "sns:CreateTopic on arn:aws:sns:eu-west-1:111111111111:notes-dev-* (needed by AWS::SNS::Topic): ExplicitlyDenied by identity NoTopics/#1")
}

// shellWords splits a command line of plain words and single-quoted strings, as sh does.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range line {
		switch {
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

// The command that the pipeline step runs (stacks.PolicyCheckCommand) is one this command
// parses and honours, in a directory laid out as in the step: the source with cdk.out.
func TestPipelineCommandRuns(t *testing.T) {
	line := stacks.PolicyCheckCommand("notes", "dev", "hnb659fds", "333333333333")
	args := shellWords(t, line)
	require.Equal(t, []string{"go", "run", "./cmd/policycheck"}, args[:3])
	d := deployedFrom(t, generated(t, oldTypes), 1)
	d.Boundary = nil // bootstrapped without --custom-permissions-boundary: the bootstrap command is printed
	before := writeDeployed(t, d)
	work := t.TempDir()
	require.NoError(t, os.Symlink(assembly(t, newTypes), filepath.Join(work, "cdk.out")))
	t.Chdir(work)
	code, out, errOut := run(t, append(args[3:], "--deployed", before)...)
	assert.Equal(t, 1, code, out+errOut)
	assert.Contains(t, out, "--trust 333333333333", "the stage's bootstrap command trusts the pipeline account")
	assert.Contains(t, out, "policy-check dev: FAILED")
}

// The command runs in a pipeline step that compiles it from scratch: it imports no CDK
// code (aws-cdk-go, jsii, constructs), which would add minutes.
func TestPolicyCheckImportsNoCDK(t *testing.T) {
	root, err := repo.Root()
	require.NoError(t, err)
	cmd := exec.Command("go", "list", "-deps", "./cmd/policycheck")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/example/notesplatform/internal/iamsim")
	for _, d := range deps {
		for _, cdk := range []string{"github.com/aws/aws-cdk-go", "github.com/aws/jsii-runtime-go", "github.com/aws/constructs-go", "github.com/cdklabs/"} {
			assert.False(t, strings.HasPrefix(d, cdk), "cmd/policycheck imports %s", d)
		}
	}
}
