package artifact_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/example/notesplatform/internal/artifact"
	"github.com/example/notesplatform/internal/awscalls"
	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/internal/iamsim"
	"github.com/example/notesplatform/internal/repo"
)

var (
	replayOnce sync.Once
	replayed   *replay
	replayErr  error
)

// replay is the evaluation of every call the tests saw against each stage's roles: the
// dev stage, whose artifacts ran, and every other stage of cdk.out, which runs the same
// code against its own resources and roles (prod's functions run in the VPC, for one).
type replay struct {
	sim    *iamsim.Simulator
	stages []*stageReplay
}

// stageReplay is the replay against one stage.
type stageReplay struct {
	h        *artifact.Harness
	roles    map[string]*artifact.Role
	calls    []artifact.Call
	verdicts []artifact.Verdict
}

// replayedStages are the stages of cdk.out whose roles are replayed; the first runs.
var replayedStages = []string{"dev", "prod"}

// storeTestsPackage are the dynalite integration tests of the store code that NotesRead
// and NotesWrite run; they record each function's calls (see RecordEnv there).
const storeTestsPackage = "./lambdas/internal/store"

// replayStage drives the flows that make the calls (unless the tests before did), runs
// the store's integration tests to record theirs, and evaluates all of them, once.
func replayStage(t *testing.T) *replay {
	t.Helper()
	h := stage(t)
	ensureDriven(t, h)
	replayOnce.Do(func() { replayed, replayErr = newReplay(h) })
	if replayErr != nil {
		t.Fatal(replayErr)
	}
	return replayed
}

func newReplay(h *artifact.Harness) (*replay, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root, err := repo.Root()
	if err != nil {
		return nil, err
	}
	sim, err := iamsim.New(root)
	if err != nil {
		return nil, err
	}
	fromArtifacts, err := artifact.Recorded(h.Calls(), "artifact tests", nil)
	if err != nil {
		return nil, err
	}
	record, err := recordStoreTests(ctx, root)
	if err != nil {
		return nil, err
	}
	store, err := artifact.Recorded(record, "store integration tests", h.MapStoreTable)
	if err != nil {
		return nil, err
	}
	for i := range store { // the store tests' client signs for another region
		store[i].Context = map[string][]string{"aws:RequestedRegion": {h.Functions[0].Stack.Region}}
	}
	recorded := append(fromArtifacts, store...)
	rp := &replay{sim: sim}
	for _, name := range replayedStages {
		sh := h
		calls := recorded
		if name != h.Assembly.Stage {
			if sh, err = artifact.Load(artifact.Options{Stage: name}); err != nil {
				return nil, fmt.Errorf("stage %s: %w", name, err)
			}
			calls = h.CallsIn(sh, recorded)
		}
		sr, err := replayIn(ctx, sim, sh, calls)
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", name, err)
		}
		rp.stages = append(rp.stages, sr)
	}
	return rp, nil
}

// replayIn evaluates recorded calls, with the platform's calls they imply, against a
// stage's roles.
func replayIn(ctx context.Context, sim *iamsim.Simulator, h *artifact.Harness, recorded []artifact.Call) (*stageReplay, error) {
	sr := &stageReplay{h: h, roles: map[string]*artifact.Role{}, calls: slices.Clone(recorded)}
	var err error
	for _, f := range h.All() {
		if sr.roles[f.Name], err = h.Assembly.RoleOf(f, artifact.ManagedFrom(ctx, sim)); err != nil {
			return nil, err
		}
	}
	for _, f := range h.All() {
		implied, err := h.Implied(f, recorded)
		if err != nil {
			return nil, err
		}
		sr.calls = append(sr.calls, implied...)
	}
	sr.verdicts, err = h.Replay(ctx, sim, sr.roles, sr.calls)
	return sr, err
}

// recordStoreTests runs the store's integration tests with their recorder writing to a
// file, and reads it.
func recordStoreTests(ctx context.Context, root string) ([]awscalls.Call, error) {
	dir, err := os.MkdirTemp("", "store-calls-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "calls.json")
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", storeTestsPackage)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "AWSCALLS_RECORD="+file)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("the store's integration tests failed, so their calls cannot be replayed: %v\n%s", err, out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("the store's integration tests wrote no record of their calls (AWSCALLS_RECORD): %w", err)
	}
	var calls []awscalls.Call
	if err := json.Unmarshal(b, &calls); err != nil {
		return nil, err
	}
	if len(calls) == 0 {
		return nil, fmt.Errorf("the store's integration tests recorded no call")
	}
	return calls, nil
}

// ensureDriven runs the notes flow and the pre-traffic checks when the tests before did
// not (a run filtered with -run), so that the replay sees every function's calls.
func ensureDriven(t *testing.T, h *artifact.Harness) {
	t.Helper()
	if len(h.Recorder.CallsBy("NotesWrite")) == 0 || len(h.Recorder.CallsBy("NotesRead")) == 0 {
		notesFlow(t, h)
	}
	if len(h.Recorder.CallsBy("PreTrafficCheck")) == 0 {
		for _, f := range h.Functions {
			checkDeployment(t, h, f, cfn.LambdaVersion)
		}
	}
}

// TestLeastPrivilegeByReplay: every AWS call the functions made in the tests (and every
// call the platform makes with their roles) is one their synthesized policies allow,
// within the permissions boundary, by IAM's own evaluation logic, in every stage; and
// every action the policies grant is exercised by one of those calls, or is in the one
// reviewed list ReviewedGrants with its reason.
func TestLeastPrivilegeByReplay(t *testing.T) {
	rp := replayStage(t)
	used := make([]bool, len(artifact.ReviewedGrants))
	for _, sr := range rp.stages {
		t.Run(sr.h.Assembly.Stage, func(t *testing.T) {
			byFunction := map[string]int{}
			for _, v := range sr.verdicts {
				byFunction[v.Call.Function]++
				if p := v.Problem(sr.roles[v.Call.Function]); p != "" {
					t.Errorf("stage %s: %s", sr.h.Assembly.Stage, p)
				}
			}
			for _, fn := range slices.Sorted(maps.Keys(sr.roles)) {
				role := sr.roles[fn]
				t.Logf("%s: %d distinct calls replayed against role %s (boundary %s, AWS managed policies %v)", fn, byFunction[fn], role.LogicalID, role.Boundary.Name, role.AWSManaged)
				if byFunction[fn] == 0 {
					t.Errorf("%s made no call at all: nothing was replayed against its role", fn)
				}
			}
			for _, v := range sr.verdicts {
				if v.Result.Unvalidated {
					d, _ := artifact.Disagreement(v.Call.Action)
					t.Logf("evaluated without catalog validation (CatalogDisagreements): %s on %s: %s", v.Call.Action, v.Call.Resource, d.Evidence)
				}
			}
			for _, g := range artifact.Unexercised(sr.roles, sr.verdicts) {
				i := slices.IndexFunc(artifact.ReviewedGrants, func(r artifact.ReviewedGrant) bool { return r.Matches(g) })
				if i < 0 {
					t.Errorf("stage %s: %s, and no test exercises it: take it out of the role, or add a test that makes the call, or list it in ReviewedGrants (test/artifact/grants.go) with the reason it must stay", sr.h.Assembly.Stage, g)
					continue
				}
				used[i] = true
				t.Logf("unexercised, kept (ReviewedGrants): %s: %s", g, artifact.ReviewedGrants[i].Reason)
			}
		})
	}
	for i, r := range artifact.ReviewedGrants {
		if !used[i] {
			t.Errorf("ReviewedGrants lists %+v, which is no unexercised grant in any stage (a test exercises it now, or no role grants it): remove the entry", r)
		}
		if strings.TrimSpace(r.Reason) == "" {
			t.Errorf("ReviewedGrants: %s %s has no reason", r.Function, r.Action)
		}
	}
}

// TestReplayCatchesEveryRemovedGrant is the negative test of the replay, on copies of the
// policies: for each action of each statement that allowed a call, a copy of the role
// without that action must make the replay fail, with a message that names the function,
// the call's action and the missing statement.
func TestReplayCatchesEveryRemovedGrant(t *testing.T) {
	rp := replayStage(t).stages[0] // the stage whose artifacts ran
	type mutation struct {
		grant artifact.Grant
		role  *artifact.Role
	}
	var muts []mutation
	seen := map[string]bool{}
	for _, v := range rp.verdicts {
		for _, st := range v.Granted {
			for _, a := range st.Actions {
				key := v.Call.Function + st.String() + a
				if !artifact.MatchAny([]string{a}, v.Call.Action, true) || seen[key] {
					continue
				}
				seen[key] = true
				role, err := rp.roles[v.Call.Function].WithoutGrant(st, a)
				if err != nil {
					t.Fatal(err)
				}
				muts = append(muts, mutation{artifact.Grant{Function: v.Call.Function, Action: a, Statement: st}, role})
			}
		}
	}
	if len(muts) < 5 {
		t.Fatalf("only %d exercised grants to remove: the replay saw too few calls", len(muts))
	}
	// One batch: every mutation with every call of its function.
	var calls []artifact.Call
	var owner []int
	roles := map[string]*artifact.Role{}
	for i, m := range muts {
		name := fmt.Sprintf("%s#%d", m.grant.Function, i)
		r := *m.role
		r.Function = name
		roles[name] = &r
		for _, c := range rp.calls {
			if c.Function == m.grant.Function {
				c.Function = name
				calls = append(calls, c)
				owner = append(owner, i)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	verdicts, err := rp.h.Replay(ctx, replayed.sim, roles, calls)
	if err != nil {
		t.Fatal(err)
	}
	caught := make([]string, len(muts))
	for i, v := range verdicts {
		m := muts[owner[i]]
		if p := v.Problem(roles[v.Call.Function]); p != "" && caught[owner[i]] == "" {
			caught[owner[i]] = strings.ReplaceAll(p, v.Call.Function, m.grant.Function)
		}
	}
	for i, m := range muts {
		msg := caught[i]
		switch {
		case msg == "":
			t.Errorf("without %s the replay still allows every call: the grant is not needed, or a wider one covers it", m.grant)
		case !strings.Contains(msg, m.grant.Function) || !strings.Contains(msg, "Missing statement") || !artifact.MatchAny([]string{m.grant.Action}, actionOf(msg), true):
			t.Errorf("without %s the failure does not name the function, the call's action and the missing statement:\n%s", m.grant, msg)
		default:
			t.Logf("without %s:\n%s", m.grant, msg)
		}
	}
}

// actionOf finds the action in a Problem message ("F calls service:Action on ...").
func actionOf(msg string) string {
	_, rest, _ := strings.Cut(msg, " calls ")
	action, _, _ := strings.Cut(rest, " ")
	return action
}
