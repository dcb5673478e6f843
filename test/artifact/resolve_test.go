package artifact_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/example/notesplatform/internal/artifact"
	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/lambdas/api"
)

func synthetic() (*artifact.Resolver, *artifact.Stack) {
	data := &artifact.Stack{Name: "app-dev-data", Account: "111111111111", Region: "eu-west-1",
		Resources: map[string]artifact.Resource{"Table1": {Type: "AWS::DynamoDB::Table", Properties: map[string]any{}}},
		Outputs:   map[string]artifact.Output{"TableRef": {Value: map[string]any{"Ref": "Table1"}}, "TableArn": {Value: map[string]any{"Fn::GetAtt": []any{"Table1", "Arn"}}}},
	}
	backend := &artifact.Stack{Name: "app-dev-backend", Account: "111111111111", Region: "eu-west-1",
		Resources: map[string]artifact.Resource{
			"Secret1": {Type: "AWS::SecretsManager::Secret", Properties: map[string]any{}},
			"Named":   {Type: "AWS::SecretsManager::Secret", Properties: map[string]any{"Name": "cursor"}},
			"Role1":   {Type: "AWS::IAM::Role", Properties: map[string]any{}},
			"Bucket1": {Type: "AWS::S3::Bucket", Properties: map[string]any{}},
		},
	}
	asm := &artifact.Assembly{Stage: "dev", Stacks: []*artifact.Stack{data, backend}}
	return artifact.NewResolver(asm), backend
}

// TestResolverIntrinsics: each intrinsic resolves to the same physical ids everywhere,
// across stacks too; anything unknown is an error that names it.
func TestResolverIntrinsics(t *testing.T) {
	r, s := synthetic()
	tableRef := map[string]any{"Fn::GetStackOutput": map[string]any{"StackName": "app-dev-data", "Region": "eu-west-1", "OutputName": "TableRef"}}
	tableArn := map[string]any{"Fn::GetStackOutput": map[string]any{"StackName": "app-dev-data", "Region": "eu-west-1", "OutputName": "TableArn"}}
	name, err := r.String(s, tableRef)
	if err != nil || !regexp.MustCompile(`^app-dev-data-Table1-[0-9A-F]{12}$`).MatchString(name) {
		t.Fatalf("table name %q, %v: want <stack>-<logical id>-<suffix> as CloudFormation names it", name, err)
	}
	cases := []struct {
		in   any
		want string
	}{
		{tableArn, "arn:aws:dynamodb:eu-west-1:111111111111:table/" + name},
		{map[string]any{"Fn::Join": []any{"/", []any{"a", map[string]any{"Ref": "AWS::Region"}, map[string]any{"Ref": "AWS::AccountId"}}}}, "a/eu-west-1/111111111111"},
		{map[string]any{"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket1}/*"}, "arn:aws:s3:::" + mustRef(t, r, s, "Bucket1") + "/*"},
		{map[string]any{"Fn::Sub": []any{"${X}-${!Literal}", map[string]any{"X": map[string]any{"Ref": "AWS::StackName"}}}}, "app-dev-backend-${Literal}"},
		{map[string]any{"Fn::Select": []any{"1", map[string]any{"Fn::Split": []any{",", "a,b,c"}}}}, "b"},
		{map[string]any{"Fn::GetAtt": []any{"Role1", "Arn"}}, "arn:aws:iam::111111111111:role/" + mustRef(t, r, s, "Role1")},
		{map[string]any{"Ref": "Named"}, "arn:aws:secretsmanager:eu-west-1:111111111111:secret:cursor-" + fmt.Sprintf("%x", sha256.Sum256([]byte("cursor")))[:6]},
	}
	for _, c := range cases {
		got, err := r.String(s, c.in)
		if err != nil || got != c.want {
			t.Errorf("%v = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	arn := mustRef(t, r, s, "Secret1")
	if !regexp.MustCompile(`^arn:aws:secretsmanager:eu-west-1:111111111111:secret:app-dev-backend-Secret1-[0-9A-F]{12}-[0-9a-f]{6}$`).MatchString(arn) {
		t.Errorf("secret ARN %q is not shaped like Secrets Manager's", arn)
	}
	if again := mustRef(t, r, s, "Secret1"); again != arn {
		t.Errorf("the same resource resolved to %q and %q", arn, again)
	}
	for _, bad := range []any{
		map[string]any{"Fn::ImportValue": "x"},
		map[string]any{"Ref": "Missing"},
		map[string]any{"Fn::GetAtt": []any{"Bucket1", "WebsiteURL"}},
		map[string]any{"Fn::GetStackOutput": map[string]any{"StackName": "other", "OutputName": "X"}},
	} {
		if _, err := r.String(s, bad); err == nil {
			t.Errorf("%v resolved without error: the resolver must not guess", bad)
		}
	}
	// AWS::NoValue removes the property.
	v, err := r.Resolve(s, map[string]any{"A": "x", "B": map[string]any{"Ref": "AWS::NoValue"}})
	if m, _ := v.(map[string]any); err != nil || len(m) != 1 {
		t.Errorf("AWS::NoValue left %v, %v", v, err)
	}
}

func mustRef(t *testing.T, r *artifact.Resolver, s *artifact.Stack, id string) string {
	t.Helper()
	v, err := r.Ref(s, id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestStageEnvironmentResolves: on the real dev stage, every function's environment
// resolves, and the references point at the resources the harness creates: the table in
// dynalite and the secret in the stand-in.
func TestStageEnvironmentResolves(t *testing.T) {
	_, asm, fns := devStage(t)
	r := artifact.NewResolver(asm)
	var tables, secrets []string
	for _, s := range asm.Stacks {
		for id, res := range s.Resources {
			switch res.Type {
			case "AWS::DynamoDB::Table":
				tables = append(tables, mustRef(t, r, s, id))
			case "AWS::SecretsManager::Secret":
				secrets = append(secrets, mustRef(t, r, s, id))
			}
		}
	}
	for _, f := range fns {
		env, err := r.Environment(f)
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		if v, ok := env[api.EnvTableName]; ok && !slices.Contains(tables, v) {
			t.Errorf("%s: %s=%q is not a table of the stage %v", f.Name, api.EnvTableName, v, tables)
		}
		if v, ok := env[api.EnvCursorSecretArn]; ok && !slices.Contains(secrets, v) {
			t.Errorf("%s: %s=%q is not a secret of the stage %v", f.Name, api.EnvCursorSecretArn, v, secrets)
		}
		if (f.API.Access != api.NoTable) != (env[api.EnvTableName] != "") || f.API.CursorKey != (env[api.EnvCursorSecretArn] != "") {
			t.Errorf("%s: environment %v does not match its lambdas/api entry %+v", f.Name, env, f.API)
		}
	}
}

// TestDeferralOnlyForAMissingEmulator: the tests skip only where the emulator is missing
// and the pipeline said where they run instead; any other failure stays a failure.
func TestDeferralOnlyForAMissingEmulator(t *testing.T) {
	missing := &artifact.MissingQEMUError{Architecture: "arm64", Program: "qemu-aarch64-static"}
	t.Setenv(deferredEnv, "")
	os.Unsetenv(deferredEnv)
	if deferred(missing) != "" {
		t.Error("skipped without being told where the tests run instead")
	}
	t.Setenv(deferredEnv, "the ArtifactTests step")
	if got := deferred(missing); !strings.Contains(got, "the ArtifactTests step") || !strings.Contains(got, "apt-get install -y qemu-user-static") {
		t.Errorf("deferral reason %q does not say where they run and how to run them here", got)
	}
	if deferred(errors.New("dynalite did not start")) != "" || deferred(artifact.ErrRunSynth) != "" {
		t.Error("a failure other than a missing emulator was deferred")
	}
}

// TestMissingQEMUSaysHowToInstall: without the emulator for the other architecture, the
// harness says which program is missing and the command that installs it.
func TestMissingQEMUSaysHowToInstall(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	other := "arm64"
	if artifact.HostArchitecture() == "arm64" {
		other = "x86_64"
	}
	if e, err := artifact.NewEmulator(root, []string{artifact.HostArchitecture()}); err != nil || e.RIE == "" || len(e.QEMU) != 0 {
		t.Errorf("the host's own architecture needs no qemu: %+v, %v", e, err)
	}
	t.Setenv("PATH", filepath.Dir(goBin)) // go, and nothing else
	_, err = artifact.NewEmulator(root, []string{other})
	var missing *artifact.MissingQEMUError
	if !errors.As(err, &missing) {
		t.Fatalf("want a MissingQEMUError, got %v", err)
	}
	for _, w := range []string{"is not installed", "apt-get install -y qemu-user-static", "natively"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q does not say %q", err, w)
		}
	}
}
