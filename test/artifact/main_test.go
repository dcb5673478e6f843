// Package artifact_test runs the dev stage's Lambda bundles from cdk.out the way Lambda
// runs them (internal/artifact): the API flows through the template's routes, the
// pre-traffic check, gateway parity, and least privilege by replaying every AWS call.
package artifact_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/example/notesplatform/internal/artifact"
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

// TestMain stops the shared stage after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	os.Exit(code)
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

// stage starts the dev stage once for the package (dynalite, the stand-ins, every
// function under the emulator) and returns it, or fails the test with the reason it did
// not start (skips only as deferred() allows).
func stage(t *testing.T) *artifact.Harness {
	t.Helper()
	sharedOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		start := time.Now()
		shared, sharedErr = artifact.Start(ctx, artifact.Options{Log: logWriter()})
		if sharedErr == nil {
			t.Logf("stage %s: %d API functions and %d operational (%s) under %s (emulation: %v), started in %s",
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
