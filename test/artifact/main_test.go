// Package artifact_test runs the dev stage's Lambda bundles from cdk.out the way Lambda
// runs them (internal/artifact): the API flows through the template's routes, the
// pre-traffic check, gateway parity, and least privilege by replaying every AWS call.
package artifact_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/example/notesplatform/internal/artifact"
	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/internal/synthstamp"
)

// deferredEnv names where the artifact tests run instead when this machine cannot run
// them: the pipeline's x86 synth step sets it to the ARM step that runs them natively.
// Set, and only on a machine that lacks the emulator for the functions' architecture,
// the tests that need to run a function skip with that reason; never silently, and never
// when the machine could run them.
const deferredEnv = "ARTIFACT_TESTS_RUN_IN"

var (
	sharedOnce sync.Once
	shared     *artifact.Harness
	sharedErr  error
)

// parallelism is how many of the package's tests run at once when -parallel is not
// given: they mostly wait on other processes (the emulators, qemu, dynalite, Node, go
// build), so more than GOMAXPROCS (the default) of them overlap usefully.
const parallelism = 16

// minParallelism is the fewest tests that must run at once: the two replay tests, which
// wait for the drivers, and one driver.
const minParallelism = 3

// TestMain runs the tests and stops the shared stage after them. How they run:
//
//   - Every test that can is parallel; the two that set environment variables
//     (t.Setenv) run first, alone, as the testing package runs sequential tests before
//     the parallel ones.
//   - One stage (dynalite, the stand-ins, one emulator per function) serves every test
//     that runs the dev stage's functions (stage); each function's emulator is booted
//     once and reused. The tests that drive different functions run side by side.
//   - The replay reads the record of calls only after every test that drives the
//     functions is done (drivers), and prepares everything else meanwhile (the store
//     tests' record, the roles of each stage).
//   - Work that several tests repeat is done once per test binary: the source hashes of
//     the functions (artifact.CheckFresh), the fresh build of the operational function,
//     the emulator's path, the test programs (buildBootstrap), the AWS managed policies.
func TestMain(m *testing.M) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if p := flag.Lookup("test.parallel"); !given {
		_ = flag.Set("test.parallel", strconv.Itoa(parallelism))
	} else if n, _ := strconv.Atoi(p.Value.String()); n < minParallelism {
		// The two replay tests wait, in their slots, for the tests that drive the stage:
		// with fewer slots than that plus one, nothing would move.
		fmt.Fprintf(os.Stderr, "artifact tests: -parallel %d raised to %d: the replay tests wait for the tests that drive the stage\n", n, minParallelism)
		_ = flag.Set("test.parallel", strconv.Itoa(minParallelism))
	}
	var err error
	if buildDir, err = os.MkdirTemp("", "artifact-test-builds-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	os.RemoveAll(buildDir)
	os.Exit(code)
}

// drivers counts the tests that make the dev stage's functions call AWS (the flows, the
// pre-traffic check, the parity corpus) and have not finished. Each registers (driver)
// before it turns parallel, and every test's code before t.Parallel runs before any
// parallel test resumes, so the replay, which waits for them in its parallel part, reads
// a complete record of calls.
var drivers sync.WaitGroup

// driver registers t as a test that drives the shared stage, then makes it parallel.
func driver(t *testing.T) {
	drivers.Add(1)
	t.Cleanup(drivers.Done)
	t.Parallel()
}

// logWriter is where the functions' output goes live: ARTIFACT_LOG=1 shows it.
func logWriter() io.Writer {
	if os.Getenv("ARTIFACT_LOG") == "1" {
		return os.Stderr
	}
	return nil
}

// deferred returns why a test may skip: the emulator is missing here and deferredEnv
// names where the tests run instead; "" otherwise.
func deferred(err error) string {
	var missing *artifact.MissingQEMUError
	where := os.Getenv(deferredEnv)
	if where == "" || !errors.As(err, &missing) {
		return ""
	}
	return fmt.Sprintf("%v. %s=%q: they run there instead", missing, deferredEnv, where)
}

// emulatorTier skips a test in the inner loop (-short): booting the functions under the
// emulator (through qemu on x86) is the full tier, run by make test.
func emulatorTier(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("full tier (make test): boots the functions under the Lambda Runtime Interface Emulator")
	}
}

// shippedTier skips a test in the inner loop (-short) when the repository's cdk.out is
// missing or stale: only a whole-app synth (make synth) would bring the bundles it reads.
// In the full tier the test runs and says run make synth.
func shippedTier(t *testing.T) {
	t.Helper()
	if !testing.Short() {
		return
	}
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := synthstamp.Shipped(root); err != nil {
		t.Skipf("full tier (make test): %v", err)
	}
}

// stage starts the dev stage once for the package (dynalite, the stand-ins, every
// function under the emulator, each API function's init done: Harness.Warm) and returns
// it, or fails the test with the reason it did not start (skips only as deferred()
// allows).
func stage(t *testing.T) *artifact.Harness {
	t.Helper()
	emulatorTier(t)
	sharedOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		start := time.Now()
		shared, sharedErr = artifact.Start(ctx, artifact.Options{Log: logWriter()})
		if sharedErr == nil {
			sharedErr = shared.Warm(ctx)
		}
		if sharedErr == nil {
			t.Logf("stage %s: %d API functions and %d operational (%s) under %s (emulation: %v), started and warmed in %s",
				shared.Assembly.Stage, len(shared.Functions), len(shared.Operational), strings.Join(names(shared.Operational), ", "),
				shared.Emulator.RIE, shared.Emulator.QEMU, time.Since(start).Round(time.Millisecond))
		}
	})
	if sharedErr != nil {
		if reason := deferred(sharedErr); reason != "" {
			t.Skip("NOT RUN on this machine: " + reason)
		}
		t.Fatalf("the dev stage's artifacts did not start:\n%v", sharedErr)
	}
	return shared
}

func names(fns []*artifact.Function) []string {
	out := make([]string, len(fns))
	for i, f := range fns {
		out[i] = f.Name
	}
	return out
}
