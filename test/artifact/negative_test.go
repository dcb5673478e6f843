package artifact_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/example/notesplatform/internal/artifact"
	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/lambdas/build"
)

// devStage loads the dev stage of the repository's cdk.out and its Go functions.
func devStage(t *testing.T) (root string, asm *artifact.Assembly, fns []*artifact.Function) {
	t.Helper()
	shippedTier(t)
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	if asm, err = artifact.LoadStage(filepath.Join(root, "cdk.out"), "dev"); err != nil {
		t.Fatal(err)
	}
	if fns, _, err = asm.Functions(); err != nil {
		t.Fatal(err)
	}
	return root, asm, fns
}

// copyStage copies the dev stage of the repository's cdk.out (manifests, templates and the
// bundles of our functions) into a temporary cdk.out, to break a copy and never the real
// one. It returns the copy's directory and the functions as found in it.
func copyStage(t *testing.T) (string, map[string]*artifact.Function) {
	t.Helper()
	root, asm, fns := devStage(t)
	out := t.TempDir()
	top, err := filepath.Glob(filepath.Join(root, "cdk.out", "*.json")) // manifest and asset manifests
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range top {
		copyFile(t, f, filepath.Join(out, filepath.Base(f)))
	}
	stageDir := filepath.Join(out, filepath.Base(asm.Dir))
	entries, err := os.ReadDir(asm.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			copyFile(t, filepath.Join(asm.Dir, e.Name()), filepath.Join(stageDir, e.Name()))
		}
	}
	ops, err := asm.OperationalFunctions()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(fns, ops...) {
		copyFile(t, filepath.Join(f.AssetDir, "bootstrap"), filepath.Join(out, filepath.Base(f.AssetDir), "bootstrap"))
	}
	copied, err := artifact.LoadStage(out, "dev")
	if err != nil {
		t.Fatal(err)
	}
	cfns, _, err := copied.Functions()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*artifact.Function{}
	for _, f := range cfns {
		byName[f.Name] = f
	}
	return out, byName
}

// copyFile copies a file with its permissions (a new file gets the source's mode; an
// existing one keeps its own, as os.WriteFile does), in the kernel where it can.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// buildDir holds the programs buildBootstrap compiled, for the life of the test binary.
var buildDir string

// built is one compilation of buildBootstrap, done once however many tests ask for it.
type built struct {
	once sync.Once
	path string
	err  error
}

var builds sync.Map // "pkg goarch extra..." -> *built

// buildBootstrap puts into dir/bootstrap the package compiled with the flags of
// lambdas/build, for goarch, plus extra go build flags. Each combination is compiled
// once per test binary and copied to every dir that asks for it.
func buildBootstrap(t *testing.T, pkg, dir, goarch string, extra ...string) {
	t.Helper()
	key := strings.Join(append([]string{pkg, goarch}, extra...), " ")
	v, _ := builds.LoadOrStore(key, &built{})
	b := v.(*built)
	b.once.Do(func() {
		root, err := repo.Root()
		if err != nil {
			b.err = err
			return
		}
		out, err := os.MkdirTemp(buildDir, "build-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(out, "bootstrap")
		args := append([]string{"build"}, build.Flags...)
		args = append(args, extra...)
		args = append(args, "-o", b.path, "./"+pkg)
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		cmd.Env = append(append(os.Environ(), build.Env...), "GOARCH="+goarch)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	copyFile(t, b.path, filepath.Join(dir, "bootstrap"))
}

// A cloud assembly without the stage asked for is a failure that names the stages it has
// and says what to do.
func TestMissingStageSaysRunMakeSynth(t *testing.T) {
	shippedTier(t)
	t.Parallel()
	root, _, _ := devStage(t)
	_, err := artifact.LoadStage(filepath.Join(root, "cdk.out"), "qa")
	if !errors.Is(err, artifact.ErrRunSynth) || !strings.Contains(err.Error(), `stage "qa"`) || !strings.Contains(err.Error(), "dev, prod") {
		t.Errorf("want an error naming the stage, the stages there are and make synth, got %v", err)
	}
}

// TestMissingCDKOutSaysRunMakeSynth: no cloud assembly is a failure that says what to do.
func TestMissingCDKOutSaysRunMakeSynth(t *testing.T) {
	t.Parallel()
	_, err := artifact.Load(artifact.Options{CDKOut: t.TempDir()})
	if !errors.Is(err, artifact.ErrRunSynth) || !strings.Contains(err.Error(), "run make synth") {
		t.Errorf("want an error telling to run make synth, got %v", err)
	}
}

// TestStaleBundleSaysRunMakeSynth: a bundle built from other sources than the checkout is
// a failure that says what to do.
func TestStaleBundleSaysRunMakeSynth(t *testing.T) {
	t.Parallel()
	out, fns := copyStage(t)
	f := fns["Health"]
	tpl := filepath.Join(out, "assembly-dev", filepath.Base(f.Stack.TemplateFile))
	b, err := os.ReadFile(tpl)
	if err != nil {
		t.Fatal(err)
	}
	version, _ := f.Environment["BUILD_VERSION"].(string)
	if version == "" || !strings.Contains(string(b), version) {
		t.Fatalf("Health has no BUILD_VERSION in %s", tpl)
	}
	if err := os.WriteFile(tpl, []byte(strings.ReplaceAll(string(b), `"`+version+`"`, `"000000000000"`)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = artifact.Load(artifact.Options{CDKOut: out})
	if !errors.Is(err, artifact.ErrRunSynth) || !strings.Contains(err.Error(), "Health: cdk.out is stale") {
		t.Errorf("want a stale Health bundle reported with run make synth, got %v", err)
	}
}

// TestBrokenBundlesFail breaks one bundle of a copy of the stage at a time, the way real
// mistakes break it, and checks that loading the stage fails with a message that says what
// is wrong.
func TestBrokenBundlesFail(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		breakIt func(t *testing.T, dir string)
		want    []string
	}{
		{"missing bootstrap", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "bootstrap"))
		}, []string{"function Health", "the package is empty", "nothing to run"}},
		{"bootstrap under another name", func(t *testing.T, dir string) {
			os.Rename(filepath.Join(dir, "bootstrap"), filepath.Join(dir, "main"))
		}, []string{"no file named bootstrap", `"main" is a program: build it as bootstrap`}},
		{"bootstrap in other case", func(t *testing.T, dir string) {
			os.Rename(filepath.Join(dir, "bootstrap"), filepath.Join(dir, "Bootstrap"))
		}, []string{"no file named bootstrap", `"Bootstrap" differs only in case`}},
		{"bootstrap not executable", func(t *testing.T, dir string) {
			os.Chmod(filepath.Join(dir, "bootstrap"), 0o644)
		}, []string{"bootstrap is not executable"}},
		{"amd64 binary where the template says arm64", func(t *testing.T, dir string) {
			buildBootstrap(t, "test/artifact/testdata/health", dir, "amd64")
		}, []string{"bootstrap is built for x86_64 (amd64), but the template runs the function on arm64", "GOARCH=arm64"}},
		{"dynamically linked binary", func(t *testing.T, dir string) {
			buildBootstrap(t, "test/artifact/testdata/health", dir, "arm64", "-buildmode=pie")
		}, []string{"bootstrap is dynamically linked", "/lib/ld-linux-aarch64.so.1", "CGO_ENABLED=0"}},
		{"code reads another variable name than the template sets", func(t *testing.T, dir string) {
			buildBootstrap(t, "test/artifact/testdata/envmismatch", dir, "arm64")
		}, []string{"the template sets the environment variable ENV_NAME, but the bootstrap never mentions that name"}},
	}
	// The control: the stand-in built right passes, so each failure below is the break's.
	out, fns := copyStage(t)
	buildBootstrap(t, "test/artifact/testdata/health", fns["Health"].AssetDir, "arm64")
	if _, err := artifact.Load(artifact.Options{CDKOut: out}); err != nil {
		t.Fatalf("the correctly built stand-in of Health is refused: %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, fns := copyStage(t)
			c.breakIt(t, fns["Health"].AssetDir)
			_, err := artifact.Load(artifact.Options{CDKOut: out})
			if err == nil {
				t.Fatal("the broken bundle was accepted")
			}
			t.Logf("the failure reads:\n%v", err)
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the failure does not say %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "NotesRead") || strings.Contains(err.Error(), "NotesWrite") {
				t.Errorf("the failure blames functions that are not broken:\n%v", err)
			}
		})
	}
}

// TestPanicAtInitFailsTheFirstRequest: a bootstrap that panics before lambda.Start passes
// every static check, so only running it shows the problem, as the first request does.
func TestPanicAtInitFailsTheFirstRequest(t *testing.T) {
	emulatorTier(t)
	t.Parallel()
	out, fns := copyStage(t)
	buildBootstrap(t, "test/artifact/testdata/panicinit", fns["Health"].AssetDir, "arm64")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Only Health runs: the other functions' emulators are the shared stage's business.
	h, err := artifact.Start(ctx, artifact.Options{CDKOut: out, Log: logWriter(), Functions: []string{"Health"}})
	if err != nil {
		if reason := deferred(err); reason != "" {
			t.Skip(reason)
		}
		t.Fatalf("the stage with a panicking Health did not even start: %v", err)
	}
	defer h.Close()
	_, err = h.Do(ctx, artifact.Request{Method: "GET", Path: "/health"})
	var se *artifact.StartError
	if !errors.As(err, &se) {
		t.Fatalf("want a StartError for the first request, got %v", err)
	}
	t.Logf("the failure reads:\n%v", err)
	for _, w := range []string{"function Health did not start", "panicked during init", "assignment to entry in nil map", "Runtime exited with error: exit status 2", "502"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the failure does not say %q:\n%v", w, err)
		}
	}
}

// TestStaleOperationalBundleSaysRunMakeSynth: the pre-traffic check carries no build
// stamp, so its bundle is compared with a fresh build: another binary in its place is a
// stale cdk.out.
func TestStaleOperationalBundleSaysRunMakeSynth(t *testing.T) {
	t.Parallel()
	out, _ := copyStage(t)
	asm, err := artifact.LoadStage(out, "dev")
	if err != nil {
		t.Fatal(err)
	}
	ops, err := asm.OperationalFunctions()
	if err != nil || len(ops) != 1 {
		t.Fatalf("operational functions %v, %v: want the PreTrafficCheck", ops, err)
	}
	buildBootstrap(t, "test/artifact/testdata/health", ops[0].AssetDir, artifact.GoArch(ops[0].Architecture))
	_, err = artifact.Load(artifact.Options{CDKOut: out})
	if !errors.Is(err, artifact.ErrRunSynth) || !strings.Contains(err.Error(), "PreTrafficCheck: cdk.out is stale") {
		t.Errorf("want a stale PreTrafficCheck bundle reported with run make synth, got %v", err)
	}
}
