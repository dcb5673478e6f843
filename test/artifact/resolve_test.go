package artifact_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/example/notesplatform/internal/artifact"
	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/lambdas/api"
)

func mustRef(t *testing.T, r *cfn.Resolver, s *cfn.Stack, id string) string {
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
	t.Parallel()
	_, asm, fns := devStage(t)
	r := asm.Resolver
	var tables, secrets []string
	for _, s := range asm.Stacks {
		for id, res := range s.Template.Resources {
			switch res.Type {
			case "AWS::DynamoDB::Table":
				tables = append(tables, mustRef(t, r, s, id))
			case "AWS::SecretsManager::Secret":
				secrets = append(secrets, mustRef(t, r, s, id))
			}
		}
	}
	for _, f := range fns {
		env, err := asm.Environment(f)
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
