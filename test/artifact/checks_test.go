package artifact_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/example/notesplatform/internal/artifact"
	"github.com/example/notesplatform/lambdas/api"
)

// checkCalls: every AWS call went through the recorder, was signed by a function with its
// own credentials, in the stage's region, and named only resources that function is given
// in its environment. Whether the IAM policies allow each call, and grant nothing more, is
// the replay's (TestLeastPrivilegeByReplay) on the same record.
func checkCalls(t *testing.T, h *artifact.Harness) {
	calls := h.Calls()
	if len(calls) == 0 {
		t.Fatal("no AWS call was recorded: the functions did not reach the recorder")
	}
	for _, c := range calls {
		if c.Principal == "" || c.ErrorType == "NotEmulated" {
			t.Errorf("unexpected call: %s", c)
		}
	}
	for _, f := range h.Functions {
		env := h.Environments[f.Name]
		resources := map[string]bool{}
		if table := env[api.EnvTableName]; table != "" {
			resources["arn:aws:dynamodb:"+f.Stack.Region+":"+f.Stack.Account+":table/"+table] = true
		}
		if f.API.CursorKey {
			resources[env[api.EnvCursorSecretArn]] = true
		}
		secretFetches := 0
		for _, c := range h.Recorder.CallsBy(f.Name) {
			for _, r := range c.Resources {
				if !resources[r] {
					t.Errorf("%s called %s on %s, which its environment does not name", f.Name, c.Action, r)
				}
			}
			if c.Region != f.Stack.Region {
				t.Errorf("%s signed for region %q, want the stack's %q", f.Name, c.Region, f.Stack.Region)
			}
			if c.Action == "secretsmanager:GetSecretValue" {
				secretFetches++
			}
		}
		if f.API.CursorKey && secretFetches != 1 {
			t.Errorf("%s fetched the cursor key %d times, want exactly once per execution environment", f.Name, secretFetches)
		}
		t.Logf("%s: %d AWS calls", f.Name, len(h.Recorder.CallsBy(f.Name)))
	}
}

// checkLogs: everything a function writes is one JSON object per line (what the
// template's JSON log format expects), request lines with the request id and route.
func checkLogs(t *testing.T, h *artifact.Harness) {
	for _, name := range h.FunctionNames() {
		out := strings.TrimSpace(h.Instances[name].FunctionOutput())
		if out == "" {
			t.Errorf("%s wrote no log line", name)
			continue
		}
		for _, line := range strings.Split(out, "\n") {
			var entry map[string]any
			if err := json.Unmarshal([]byte(line), &entry); err != nil {
				t.Errorf("%s wrote a line that is not JSON: %q", name, line)
				continue
			}
			if entry["level"] == nil || entry["msg"] == nil {
				t.Errorf("%s log line without level or msg: %s", name, line)
			}
			if entry["msg"] == "request" && (entry["requestId"] == nil || entry["route"] == nil || entry["status"] == nil) {
				t.Errorf("%s request log line without requestId, route or status: %s", name, line)
			}
		}
	}
}

// checkMemory: after the flows, no bootstrap used more memory than its template's
// MemorySize (Lambda kills an environment that does). Under qemu the figure includes
// the emulator's own memory, so it errs high; bench_test.go measures the native figure.
func checkMemory(t *testing.T, h *artifact.Harness) {
	for _, f := range h.Functions {
		in := h.Instances[f.Name]
		rss, err := in.PeakRSS()
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		how := "native"
		if h.Emulator.QEMU[f.Architecture] != "" {
			how = "under qemu, emulator included"
		}
		t.Logf("%s: peak RSS %.1f MB (%s), MemorySize %d MB", f.Name, float64(rss)/(1<<20), how, f.MemoryMB)
		if rss > int64(f.MemoryMB)<<20 {
			t.Errorf("%s peaked at %d MB resident, over its MemorySize of %d MB: Lambda would stop it (Runtime.OutOfMemory)", f.Name, rss>>20, f.MemoryMB)
		}
	}
}
