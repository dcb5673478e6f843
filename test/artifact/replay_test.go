package artifact_test

import (
	"context"
	"encoding/json"
	"errors"
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

	prepareOnce sync.Once
	prepared    *replayPrep
)

// replay is the evaluation of every call the tests saw against each stage's roles: the
// dev stage, whose artifacts ran, and every other stage of cdk.out, which runs the same
// code against its own resources and roles (prod's functions run in the VPC, for one).
type replay struct {
	sim    *iamsim.Simulator
	stages []*stageReplay
	// timing says where the replay's time went, for the log.
	timing string
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

// replayStage prepares what the replay needs that the tests' calls do not change (the
// store tests' record, the stages and their roles) while the tests that drive the
// functions run, waits for them (drivers), drives the flows that make the calls if no
// test did (a run filtered with -run), and evaluates every call, once.
func replayStage(t *testing.T) *replay {
	t.Helper()
	emulatorTier(t) // before the background preparation starts
	prepareOnce.Do(func() { prepared = prepareReplay() })
	h := stage(t)
	drivers.Wait()
	ensureDriven(t, h)
	replayOnce.Do(func() { replayed, replayErr = prepared.finish(h) })
	if replayErr != nil {
		t.Fatal(replayErr)
	}
	return replayed
}

// replayPrep is the part of the replay that does not depend on the dev stage's calls,
// under way in the background from before the stage starts: it reads the stages from
// cdk.out (artifact.Load), whose resolvers give every resource the same names as the
// running stage's.
type replayPrep struct {
	done   chan struct{}
	sim    *iamsim.Simulator
	store  []artifact.Call
	stages []*stageReplay // harness and roles only
	err    error
	// start is when the preparation started; recorded and ready how long the store tests'
	// record and the whole preparation took.
	start           time.Time
	recorded, ready time.Duration
}

// prepareReplay starts, in the background, the store's integration tests with their
// recorder and the reading of every replayed stage's roles.
func prepareReplay() *replayPrep {
	p := &replayPrep{done: make(chan struct{}), start: time.Now()}
	go func() {
		defer close(p.done)
		defer func() { p.ready = time.Since(p.start) }()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		root, err := repo.Root()
		if err != nil {
			p.err = err
			return
		}
		p.sim, err = iamsim.New(root)
		if err != nil {
			p.err = err
			return
		}
		dev, err := artifact.Load(artifact.Options{Stage: replayedStages[0]})
		if err != nil {
			p.err = err
			return
		}
		var storeErr error
		recorded := make(chan struct{})
		go func() {
			defer close(recorded)
			defer func() { p.recorded = time.Since(p.start) }()
			record, err := recordStoreTests(ctx, root)
			if err != nil {
				storeErr = err
				return
			}
			store, err := artifact.Recorded(record, "store integration tests", dev.MapStoreTable)
			if err != nil {
				storeErr = err
				return
			}
			for i := range store { // the store tests' client signs for another region
				store[i].Context = map[string][]string{"aws:RequestedRegion": {dev.Functions[0].Stack.Region}}
			}
			p.store = store
		}()
		managed := artifact.ManagedFrom(ctx, p.sim) // one source: each AWS managed policy is read once
		var errs []error
		for _, name := range replayedStages {
			sh := dev
			if name != dev.Assembly.Stage {
				if sh, err = artifact.Load(artifact.Options{Stage: name}); err != nil {
					errs = append(errs, fmt.Errorf("stage %s: %w", name, err))
					continue
				}
			}
			sr := &stageReplay{h: sh, roles: map[string]*artifact.Role{}}
			for _, f := range sh.All() {
				if sr.roles[f.Name], err = sh.Assembly.RoleOf(f, managed); err != nil {
					errs = append(errs, fmt.Errorf("stage %s: %w", name, err))
				}
			}
			p.stages = append(p.stages, sr)
		}
		<-recorded
		p.err = errors.Join(append(errs, storeErr)...)
	}()
	return p
}

// finish evaluates the calls of the running stage h and the store tests' against every
// stage's roles, once the preparation is done.
func (p *replayPrep) finish(h *artifact.Harness) (*replay, error) {
	waited := time.Now()
	<-p.done
	if p.err != nil {
		return nil, p.err
	}
	evaluated := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	fromArtifacts, err := artifact.Recorded(h.Calls(), "artifact tests", nil)
	if err != nil {
		return nil, err
	}
	recorded := append(fromArtifacts, p.store...)
	rp := &replay{sim: p.sim}
	for _, sr := range p.stages {
		calls := recorded
		if sr.h.Assembly.Stage != h.Assembly.Stage {
			calls = h.CallsIn(sr.h, recorded)
		}
		if err := replayIn(ctx, p.sim, sr, calls); err != nil {
			return nil, fmt.Errorf("stage %s: %w", sr.h.Assembly.Stage, err)
		}
		rp.stages = append(rp.stages, sr)
	}
	rp.timing = fmt.Sprintf("prepared in %s (the store tests' record in %s), the drivers done %s after it started; evaluated in %s",
		p.ready.Round(time.Millisecond), p.recorded.Round(time.Millisecond), waited.Sub(p.start).Round(time.Millisecond), time.Since(evaluated).Round(time.Millisecond))
	return rp, nil
}

// replayIn evaluates recorded calls, with the platform's calls they imply, against a
// stage's roles (read by prepareReplay).
func replayIn(ctx context.Context, sim *iamsim.Simulator, sr *stageReplay, recorded []artifact.Call) error {
	h := sr.h
	sr.calls = slices.Clone(recorded)
	for _, f := range h.All() {
		implied, err := h.Implied(f, recorded)
		if err != nil {
			return err
		}
		sr.calls = append(sr.calls, implied...)
	}
	var err error
	sr.verdicts, err = h.Replay(ctx, sim, sr.roles, sr.calls)
	return err
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
	t.Parallel()
	rp := replayStage(t)
	t.Log("replay: " + rp.timing)
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
	t.Parallel()
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
