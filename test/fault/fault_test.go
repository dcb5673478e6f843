// Package fault_test is the fault-injection run: the dev stage's real NotesWrite and
// NotesRead bundles under the Lambda emulator (internal/artifact), with a real fault
// proxy (toxiproxy, embedded) between them and DynamoDB (dynalite) and the Secrets
// Manager stand-in, and AWS-shaped errors injected where a TCP proxy cannot fake them.
// Clients that retry like real ones run a randomized mix of operations, and the run is
// checked against a model of what the API acknowledged. See docs/resilience.md,
// "Fault-injection run".
package fault_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/rs/zerolog"

	"github.com/example/notesplatform/internal/artifact"
)

// The run's size and the faults' timing.
const (
	// operations is how many client operations the run makes (each with its retries).
	operations = 1000
	// workers run side by side, each with its own NotesWrite and NotesRead execution
	// environments, proxies and users, like that many concurrent Lambda environments.
	workers = 8
	// usersPerWorker are the users each worker's client acts for.
	usersPerWorker = 2
	// minTimeout is the functions' shortest timeout in the fault run, in seconds: the
	// emulator's AWS_LAMBDA_FUNCTION_TIMEOUT, instead of the template's 10 s, so that a
	// request that runs into its deadline costs 2 s (3 s less httpapi.DeadlineMargin)
	// rather than 9. The deadline logic is the same; only the budget is shorter. The
	// emulator counts a function's init against its first invocation's timeout (Lambda
	// does not), and an init under qemu on a busy machine takes seconds, so the run
	// measures one init first and lengthens the timeout to fit (runTimeout).
	minTimeout = 3
	// slowLatency delays answers well within the deadline; dropAfter closes a
	// connection whose answers are dropped. The latency past the deadline is the
	// function's timeout (faultLatency).
	slowLatency = 100 * time.Millisecond
	dropAfter   = 300 * time.Millisecond
	// retryAfterScale scales a 503's or 504's Retry-After down (1 s becomes 20 ms): the
	// client honours it, in proportion. A 409's Retry-After is the end of another
	// attempt's lock, which is real time, so the client waits it out unscaled.
	retryAfterScale = 50
	// maxTries bounds a client's tries of one operation.
	maxTries = 8
)

var seedFlag = flag.Uint64("fault.seed", 0, "seed of the fault-injection run (or FAULT_SEED); 0 picks one")

// seed returns the run's seed: the flag, FAULT_SEED, or the clock.
func seed(t *testing.T) uint64 {
	if *seedFlag != 0 {
		return *seedFlag
	}
	if s := os.Getenv("FAULT_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("FAULT_SEED=%q is not a number", s)
		}
		return v
	}
	return uint64(time.Now().UnixNano())
}

// quietLog drops the proxies' and injectors' own logs: a dropped connection is the point.
var quietLog = log.New(io.Discard, "", 0)

// The checks, in the order of the table.
const (
	checkPresent   = "every acknowledged write present"
	checkDuplicate = "no duplicated note"
	checkLost      = "no lost update (no acknowledged version overwritten)"
	checkContent   = "a success carries what was written"
	checkDeletes   = "an acknowledged delete sticks"
	checkShape     = "every answer a success or in the error shape"
	checkGateway   = "no bare 502/504 from the gateway"
	checkRetry     = "Retry-After on every 503 and 504"
	checkNo500     = "no 500 for a dependency's failure"
	check4xx       = "no 4xx the model does not explain"
	checkTimeout   = "the function never times out"
)

// run is what the workers share: the harness, the counts and the checks.
type run struct {
	t        *testing.T
	h        *artifact.Harness
	seed     uint64
	timeout  int // the functions' timeout, seconds
	checks   *checks
	statuses counter // answers by status (and code)
	faults   counter // operations by the fault of their first try
	armed    counter // tries a fault was armed for, by kind
	hits     counter // requests the injector answered with a fault, by kind
	armedMs  counter // milliseconds of tries with a fault armed, by kind
	tries    counter // operations by how many tries they took
	ops      counter // operations by kind and outcome
}

// TestFaultInjection runs at least 1,000 operations (create with an Idempotency-Key,
// update with If-Match, delete, list with paging) for several users, from workers side by
// side, under a random mix of faults, and checks what the API answered and what it
// stored against a model of what it acknowledged.
func TestFaultInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("full tier: make test (the fault-injection run boots the real bundles under the Lambda emulator)")
	}
	seed := seed(t)
	t.Logf("seed %d (reproduce: FAULT_SEED=%d go test -count=1 -run TestFaultInjection ./test/fault)", seed, seed)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("FAILED with seed %d: reproduce with FAULT_SEED=%d go test -count=1 -run TestFaultInjection ./test/fault", seed, seed)
		}
	})
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	h, err := artifact.Start(ctx, artifact.Options{Functions: []string{}, Log: logWriter()})
	if err != nil {
		t.Fatalf("the dev stage's artifacts did not start: %v", err)
	}
	defer h.Close()
	timeout, initTook, err := runTimeout(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	r := &run{t: t, h: h, seed: seed, timeout: timeout, checks: newChecks(checkPresent, checkDuplicate, checkLost, checkContent, checkDeletes,
		checkShape, checkGateway, checkRetry, checkNo500, check4xx, checkTimeout)}

	ws := make([]*worker, workers)
	for i := range ws {
		w, err := newWorker(r, srv, i)
		if err != nil {
			t.Fatal(err)
		}
		defer w.close()
		ws[i] = w
	}
	ready := time.Now()

	// The workers' environments go through their init one worker after the other (its
	// two side by side, see artifact.Harness.Warm), and each worker starts as soon as its
	// own are ready, while the next ones warm up.
	warmed := make([]chan error, len(ws))
	for i := range warmed {
		warmed[i] = make(chan error, 1)
	}
	go func() {
		for i, w := range ws {
			warmed[i] <- h.Warm(ctx, w.write, w.read)
		}
	}()
	hands, left := deal(ws, seed)
	more := &pool{}
	more.left.Store(int64(left))
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Go(func() {
			if err := <-warmed[i]; err != nil {
				t.Errorf("worker %d: %v", w.id, err)
				return
			}
			w.started = time.Since(began)
			w.run(ctx, hands[i], more)
			w.took = time.Since(began) - w.started
		})
	}
	wg.Wait()
	ran := time.Now()
	for _, w := range ws {
		w.final(ctx)
	}
	done := time.Now()

	var firstStart, lastStart, slowest, fastest, faulted time.Duration
	for i, w := range ws {
		if i == 0 || w.took < fastest {
			fastest = w.took
		}
		if i == 0 || w.started < firstStart {
			firstStart = w.started
		}
		lastStart, slowest = max(lastStart, w.started), max(slowest, w.took)
		faulted += w.faulted
	}
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	t.Logf("%d operations by %d workers for %d users, functions' timeout %d s (one init took %s): dynalite, proxies and %d emulators started in %s; workers warmed up and started from %s to %s, took %s to %s (%s of all their time in tries with a fault armed); final check %s; total %s",
		operations, workers, workers*usersPerWorker, timeout, ms(initTook), 2*workers, ms(ready.Sub(began)),
		ms(firstStart), ms(lastStart), ms(fastest), ms(slowest), ms(faulted), ms(done.Sub(ran)), ms(done.Sub(began)))
	t.Log("\n" + r.tables())
	for _, name := range r.checks.order {
		ch := r.checks.by[name]
		for i, b := range ch.broken {
			if i == 10 {
				t.Errorf("%s: and %d more", name, len(ch.broken)-10)
				break
			}
			t.Errorf("%s: %s", name, b)
		}
	}
	if r.checks.by[checkPresent].checked == 0 || r.checks.by[checkLost].checked == 0 {
		t.Error("the model checked nothing: no acknowledged note")
	}
}

// initReport is the emulator's line with an init's duration.
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// runTimeout measures one init of NotesWrite (with the template's timeout) and returns
// the functions' timeout for the run: minTimeout, or longer where twice that init and a
// second would not fit (inits run side by side in the warm-up, and the emulator counts
// init against the first invocation's time).
func runTimeout(ctx context.Context, h *artifact.Harness) (int, time.Duration, error) {
	var probe *artifact.Instance
	for _, f := range h.Functions {
		if f.Name == "NotesWrite" {
			in, err := h.StartInstanceWith(f, nil)
			if err != nil {
				return 0, 0, err
			}
			defer in.Stop()
			probe = in
		}
	}
	if probe == nil {
		return 0, 0, errors.New("the stage has no NotesWrite function")
	}
	if err := h.Warm(ctx, probe); err != nil {
		return 0, 0, fmt.Errorf("measuring an init: %w", err)
	}
	m := initReport.FindStringSubmatch(probe.Output())
	if m == nil {
		return 0, 0, fmt.Errorf("the emulator reported no init duration:\n%s", probe.Output())
	}
	ms, _ := strconv.ParseFloat(m[1], 64)
	took := time.Duration(ms * float64(time.Millisecond))
	return max(minTimeout, int(math.Ceil((2*took + time.Second).Seconds()))), took, nil
}

func logWriter() io.Writer {
	if os.Getenv("ARTIFACT_LOG") == "1" {
		return os.Stderr
	}
	return nil
}

// tables renders the fault mix, the answers by status and the checks.
func (r *run) tables() string {
	var b strings.Builder
	b.WriteString("| fault | operations (follow-ups included) | tries armed | requests it answered | time of those tries |\n|---|---|---|---|---|\n")
	for _, k := range r.faults.sorted() {
		hits := strconv.Itoa(r.hits.get(k))
		if (fault{kind: kind(k)}).tcp() || k == string(none) {
			hits = "(TCP)"
			if k == string(none) {
				hits = ""
			}
		}
		took := ""
		if k != string(none) {
			took = (time.Duration(r.armedMs.get(k)) * time.Millisecond).Round(100 * time.Millisecond).String()
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s |\n", k, r.faults.get(k), r.armed.get(k), hits, took)
	}
	b.WriteString("\n| operation | outcome | count |\n|---|---|---|\n")
	for _, k := range r.ops.sorted() {
		op, outcome, _ := strings.Cut(k, "\x00")
		fmt.Fprintf(&b, "| %s | %s | %d |\n", op, outcome, r.ops.get(k))
	}
	b.WriteString("\n| answer | count |\n|---|---|\n")
	for _, k := range r.statuses.sorted() {
		fmt.Fprintf(&b, "| %s | %d |\n", k, r.statuses.get(k))
	}
	b.WriteString("\n| tries of an operation | operations |\n|---|---|\n")
	for _, k := range r.tries.sorted() {
		fmt.Fprintf(&b, "| %s | %d |\n", k, r.tries.get(k))
	}
	b.WriteString("\n| check | checked | broken |\n|---|---|---|\n")
	for _, name := range r.checks.order {
		ch := r.checks.by[name]
		verdict := "0"
		if len(ch.broken) > 0 {
			verdict = fmt.Sprintf("**%d**", len(ch.broken))
		}
		fmt.Fprintf(&b, "| %s | %d | %s |\n", name, ch.checked, verdict)
	}
	return b.String()
}

// worker is one client with its own execution environments and network path.
type worker struct {
	r           *run
	id          int
	rng         *rand.Rand
	net         network
	write, read *artifact.Instance
	users       []*user
	seq         int
	// keyFetched is set once a list of this worker's NotesRead signed or checked a
	// cursor: its environment holds the cursor key from then on.
	keyFetched bool
	// started is when the worker started, from the test's start; took how long its
	// operations took; faulted how much of that went to tries with a fault armed.
	started, took, faulted time.Duration
}

func newWorker(r *run, srv *toxiproxy.ApiServer, id int) (*worker, error) {
	w := &worker{r: r, id: id, rng: rand.New(rand.NewPCG(r.seed, uint64(id)))}
	var err error
	if w.net.dynamodb, err = newPath(srv, fmt.Sprintf("dynamodb-%d", id), r.h.Recorder); err != nil {
		return nil, err
	}
	if w.net.secrets, err = newPath(srv, fmt.Sprintf("secretsmanager-%d", id), r.h.Recorder); err != nil {
		w.net.dynamodb.close()
		return nil, err
	}
	endpoints := map[string]string{dynamodb.ServiceID: w.net.dynamodb.URL(), secretsmanager.ServiceID: w.net.secrets.URL()}
	for _, f := range r.h.Functions {
		var into **artifact.Instance
		switch f.Name {
		case "NotesWrite":
			into = &w.write
		case "NotesRead":
			into = &w.read
		default:
			continue
		}
		short := *f
		short.TimeoutSeconds = r.timeout
		if *into, err = r.h.StartInstanceWith(&short, endpoints); err != nil {
			w.close()
			return nil, err
		}
	}
	if w.write == nil || w.read == nil {
		w.close()
		return nil, errors.New("the stage has no NotesWrite or NotesRead function")
	}
	for u := range usersPerWorker {
		w.users = append(w.users, newUser(fmt.Sprintf("fa017000-%04x-4000-8000-%012x", id, uint64(u)<<32|r.seed&0xffffffff)))
	}
	return w, nil
}

func (w *worker) close() {
	for _, in := range []*artifact.Instance{w.write, w.read} {
		if in != nil {
			in.Stop()
		}
	}
	for _, p := range []*path{w.net.dynamodb, w.net.secrets} {
		if p != nil {
			p.close()
		}
	}
}

// run makes one operation per fault of its hand (none included), then operations without
// a fault from the pool while any are left, one at a time, each on a random user.
func (w *worker) run(ctx context.Context, hand []fault, more *pool) {
	for i := 0; i < len(hand) || more.take(); i++ {
		if ctx.Err() != nil {
			return
		}
		f := fault{kind: none}
		if i < len(hand) {
			f = hand[i]
		}
		u := w.users[w.rng.IntN(len(w.users))]
		live := u.live()
		roll := w.rng.IntN(100)
		switch {
		case roll < 35 || len(live) == 0:
			w.create(ctx, u, f)
		case roll < 65:
			w.update(ctx, u, live[w.rng.IntN(len(live))], f)
		case roll < 75:
			w.delete(ctx, u, live[w.rng.IntN(len(live))], f)
		default:
			w.list(ctx, u, w.forList(f))
		}
	}
}

// mix is how many of the run's operations meet each fault on their first try; the rest
// meet none. The faults that cost the most time (a deadline, the SDK's throttling
// backoff) are the rarest, listed first.
var mix = []struct {
	kind  kind
	count int
}{
	{latency, 5},
	{timeout, 6},
	{throttle, 10},
	{provisioned, 6},
	{slow, 20},
	{internal, 50},
	{afterWrite500, 50},
	{afterWriteDrop, 40},
	{reset, 40},
}

// pooled is the share of the operations (all without a fault) that no worker is dealt:
// the workers that finish their hands first make them, so that a worker whose
// environments finished init last does not finish long after the others.
const pooled = 0.4

// deal gives each worker its hand of operations' faults: the mix's faults dealt round
// the workers in the mix's order (so that each gets its share of the costly ones),
// padded with none to the worker's share of the dealt operations, and shuffled by the
// worker. It returns the hands and how many operations are left in the pool.
func deal(ws []*worker, seed uint64) ([][]fault, int) {
	rng := rand.New(rand.NewPCG(seed, uint64(len(ws))))
	hands := make([][]fault, len(ws))
	i := rng.IntN(len(ws))
	for _, m := range mix {
		for range m.count * operations / 1000 {
			hands[i%len(ws)] = append(hands[i%len(ws)], fault{kind: m.kind, n: 1 + rng.IntN(3)})
			i++
		}
	}
	dealt := int(float64(operations) * (1 - pooled))
	for i, w := range ws {
		quota := dealt / len(ws)
		if i < dealt%len(ws) {
			quota++
		}
		for len(hands[i]) < quota {
			hands[i] = append(hands[i], fault{kind: none})
		}
		w.rng.Shuffle(len(hands[i]), func(a, b int) { hands[i][a], hands[i][b] = hands[i][b], hands[i][a] })
	}
	total := 0
	for _, h := range hands {
		total += len(h)
	}
	return hands, operations - total
}

// pool is the operations left for the workers that are done with their hands.
type pool struct{ left atomic.Int64 }

func (p *pool) take() bool { return p.left.Add(-1) >= 0 }

// forList adapts an operation's fault to a list: a fault after a write becomes a 500
// (a list writes nothing), and while the worker's NotesRead has no cursor key yet, a
// list meets a Secrets Manager fault half of the time instead.
func (w *worker) forList(f fault) fault {
	if !w.keyFetched && w.rng.IntN(2) == 0 {
		k := []kind{secretsThrottle, secretsInternal, secretsReset}[w.rng.IntN(3)]
		return fault{kind: k, n: 1 + w.rng.IntN(3)}
	}
	if f.kind == afterWrite500 || f.kind == afterWriteDrop {
		f.kind = internal
	}
	return f
}

// send tries req until it gets an answer that is not worth retrying, as a client does:
// the same request again (same Idempotency-Key, same If-Match) after a 5xx, or a 409 that
// says when to come back, honouring Retry-After. f is armed for the first try, and with
// a chance for the second too.
func (w *worker) send(ctx context.Context, op string, req artifact.Request, f fault) (artifact.Response, int) {
	w.r.faults.add(string(f.kind), 1)
	sticky := w.rng.IntN(4) == 0
	for try := 1; ; try++ {
		armed := f.kind != none && (try == 1 || (try == 2 && sticky))
		p := w.net.dynamodb
		if f.secrets() {
			p = w.net.secrets
		}
		if armed {
			if err := p.set(f, time.Duration(w.r.timeout)*time.Second); err != nil {
				w.r.t.Errorf("arming %s: %v", f.kind, err)
			}
		}
		sent := time.Now()
		resp := w.do(ctx, req)
		if armed {
			w.faulted += time.Since(sent)
			w.r.armedMs.add(string(f.kind), int(time.Since(sent).Milliseconds()))
			w.r.armed.add(string(f.kind), 1)
			w.r.hits.add(string(f.kind), p.injector.hit())
			p.clear()
		}
		if resp.Status == 409 {
			// Another attempt with this Idempotency-Key may still run: only an earlier
			// try of this create can be that attempt.
			if try == 1 || req.Method != "POST" {
				w.unexplained(op, resp)
			} else {
				w.r.checks.ok(check4xx)
			}
		}
		wait, again := retryable(resp)
		if !again || try == maxTries || ctx.Err() != nil {
			w.r.tries.add(fmt.Sprintf("%d", try), 1)
			w.r.ops.add(op+"\x00"+outcome(resp), 1)
			return resp, try
		}
		time.Sleep(wait)
	}
}

// outcome names an operation's last answer for the table.
func outcome(resp artifact.Response) string {
	if code := errorCode(resp); code != "" {
		return fmt.Sprintf("%d %s", resp.Status, code)
	}
	return strconv.Itoa(resp.Status)
}

// retryable says whether a client retries an answer, and after how long.
func retryable(resp artifact.Response) (time.Duration, bool) {
	ra, _ := strconv.Atoi(resp.Get("Retry-After"))
	switch {
	case resp.Status >= 500:
		return max(time.Duration(ra)*time.Second/retryAfterScale, 10*time.Millisecond), true
	case resp.Status == 409 && ra > 0:
		return time.Duration(ra) * time.Second, true
	}
	return 0, false
}

// do sends one request through the API to the worker's instance of the route's function
// and checks the answer's form. A function that fails or times out gets the answer API
// Gateway would give (its DEFAULT_5XX gateway response), which the checks count against
// it.
func (w *worker) do(ctx context.Context, req artifact.Request) artifact.Response {
	in := w.write
	if req.Method == "GET" {
		in = w.read
	}
	r := w.r
	resp, err := r.h.DoOn(ctx, in, req)
	if err != nil {
		var te *artifact.TimeoutError
		var fe *artifact.FunctionError
		var se *artifact.StartError
		switch {
		case errors.As(err, &te):
			r.checks.fail(checkTimeout, "%s %s: %v", req.Method, req.Path, err)
		case errors.As(err, &fe), errors.As(err, &se):
			r.checks.fail(checkGateway, "%s %s: the function failed the invocation: %v", req.Method, req.Path, err)
		default:
			r.t.Errorf("%s %s: the harness failed: %v", req.Method, req.Path, err)
		}
		resp = r.h.Gateway.Responses().Answer("DEFAULT_5XX", 502, "Internal server error", "")
	} else {
		r.checks.ok(checkTimeout)
	}
	r.statuses.add(outcome(resp), 1)
	switch {
	case resp.FromGateway && resp.Status >= 500:
		r.checks.fail(checkGateway, "%s %s: %d from the gateway itself: %s", req.Method, req.Path, resp.Status, resp.Body)
	default:
		r.checks.ok(checkGateway)
	}
	if resp.Status < 300 {
		if resp.Status != 204 && !json.Valid(resp.Body) {
			r.checks.fail(checkShape, "%s %s: %d with a body that is not JSON: %q", req.Method, req.Path, resp.Status, resp.Body)
		} else {
			r.checks.ok(checkShape)
		}
	} else if errorCode(resp) == "" {
		r.checks.fail(checkShape, "%s %s: %d not in the error shape: %s", req.Method, req.Path, resp.Status, resp.Body)
	} else {
		r.checks.ok(checkShape)
	}
	if resp.Status == 503 || resp.Status == 504 {
		if ra, err := strconv.Atoi(resp.Get("Retry-After")); err != nil || ra < 1 {
			r.checks.fail(checkRetry, "%s %s: %d with Retry-After %q", req.Method, req.Path, resp.Status, resp.Get("Retry-After"))
		} else {
			r.checks.ok(checkRetry)
		}
	}
	if resp.Status == 500 {
		r.checks.fail(checkNo500, "%s %s: 500 %s (every failure here is a dependency's)", req.Method, req.Path, resp.Body)
	} else if resp.Status > 500 {
		r.checks.ok(checkNo500)
	}
	return resp
}

// errorCode returns the code of an answer in the app's error shape, "" for anything else.
func errorCode(resp artifact.Response) string {
	var e struct {
		Error struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			RequestID string `json:"requestId"`
		} `json:"error"`
	}
	if resp.Get("Content-Type") != "application/json" || json.Unmarshal(resp.Body, &e) != nil ||
		e.Error.Code == "" || e.Error.Message == "" || e.Error.RequestID == "" {
		return ""
	}
	return e.Error.Code
}

// unexplained records a 4xx that the model has no reason for.
func (w *worker) unexplained(op string, resp artifact.Response) {
	w.r.checks.fail(check4xx, "%s: %d %s", op, resp.Status, resp.Body)
}

var words = []string{"milk", "eggs", "plan", "books", "call", "trip", "bill", "gift", "seeds", "paint"}

func (w *worker) content(nonce string) state {
	var body []string
	for range 1 + w.rng.IntN(4) {
		body = append(body, words[w.rng.IntN(len(words))])
	}
	tags := []string{}
	if w.rng.IntN(2) == 0 {
		tags = append(tags, words[w.rng.IntN(len(words))])
	}
	w.seq++
	return state{Title: "note " + nonce, Body: strings.Join(body, " ") + fmt.Sprintf(" #%d", w.seq), Tags: tags}
}

func jsonHeader(extra ...string) map[string][]string {
	h := map[string][]string{"content-type": {"application/json"}, "accept": {"application/json"}}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = []string{extra[i+1]}
	}
	return h
}

func input(s state) string {
	b, _ := json.Marshal(map[string]any{"title": s.Title, "body": s.Body, "tags": s.Tags})
	return string(b)
}

// decode reads a note from a 200 or 201.
func decode(resp artifact.Response) (string, state, error) {
	var n struct {
		ID string `json:"id"`
		state
	}
	err := json.Unmarshal(resp.Body, &n)
	return n.ID, n.state, err
}

// create posts a new note with an Idempotency-Key, retrying with the same key.
func (w *worker) create(ctx context.Context, u *user, f fault) {
	w.seq++
	nonce := fmt.Sprintf("%x-%d-%d", w.r.seed&0xffff, w.id, w.seq)
	want := w.content(nonce)
	want.Version = 1
	key := fmt.Sprintf("key-%d-%d-%x", w.id, w.seq, w.rng.Uint64())
	req := artifact.Request{Method: "POST", Path: "/notes", User: u.sub, Body: input(want), Header: jsonHeader("idempotency-key", key)}
	resp, _ := w.send(ctx, "create", req, f)
	switch {
	case resp.Status == 201:
		id, got, err := decode(resp)
		if err != nil || !got.same(want) {
			w.r.checks.fail(checkContent, "create %s: 201 with %s, sent %s (%v)", nonce, got, want, err)
			return
		}
		w.r.checks.ok(checkContent)
		w.acknowledgeCreate(u, key, id, nonce, want)
		// Sometimes the client sends the same create again (a retry after a lost 201):
		// the same note, replayed.
		if w.rng.IntN(10) == 0 {
			again, _ := w.send(ctx, "create again (same key)", req, fault{kind: none})
			if again.Status == 201 {
				id2, _, _ := decode(again)
				if id2 != id || again.Get("Idempotent-Replayed") != "true" {
					w.r.checks.fail(checkDuplicate, "create %s: the same Idempotency-Key gave %s (replayed %q) after %s", nonce, id2, again.Get("Idempotent-Replayed"), id)
				} else {
					w.r.checks.ok(checkDuplicate)
				}
			}
		}
	case resp.Status >= 500 || resp.Status == 409:
		u.unresolved[nonce] = want // it may exist, once
	default:
		w.unexplained("create "+nonce, resp)
		u.unresolved[nonce] = want
	}
}

// acknowledgeCreate adds a note the API acknowledged (or the client found) to the model.
func (w *worker) acknowledgeCreate(u *user, key, id, nonce string, s state) *modelNote {
	if key != "" {
		if prev, ok := u.keys[key]; ok && prev != id {
			w.r.checks.fail(checkDuplicate, "create %s: Idempotency-Key %s named %s, then %s", nonce, key, prev, id)
		}
		u.keys[key] = id
	}
	if n := u.byID[id]; n != nil {
		return n
	}
	for _, n := range u.notes {
		if n.nonce == nonce {
			w.r.checks.fail(checkDuplicate, "create %s made two notes: %s and %s", nonce, n.id, id)
		}
	}
	delete(u.unresolved, nonce)
	n := &modelNote{id: id, nonce: nonce, acked: s}
	u.notes = append(u.notes, n)
	u.byID[id] = n
	return n
}

// resync reads a note whose state is unknown (a try without an answer) and checks it is
// one the model allows; it reports whether the note exists.
func (w *worker) resync(ctx context.Context, u *user, n *modelNote) bool {
	resp, _ := w.send(ctx, "read", artifact.Request{Method: "GET", Path: "/notes/" + n.id, User: u.sub}, fault{kind: none})
	switch resp.Status {
	case 200:
		_, got, err := decode(resp)
		if err != nil || !n.allowed(got) {
			w.r.checks.fail(checkLost, "note %s reads %s: neither acknowledged (%s) nor tried since (%v)", n.id, got, n.acked, n.maybe)
		} else {
			w.r.checks.ok(checkLost)
		}
		n.acked, n.maybe, n.maybeDeleted = got, nil, false
		return true
	case 404:
		if !n.maybeDeleted {
			w.r.checks.fail(checkPresent, "note %s (acknowledged %s) is gone without a delete", n.id, n.acked)
		} else {
			w.r.checks.ok(checkPresent)
		}
		n.deleted = true
		return false
	}
	return false // unknown still; the final check decides
}

// update puts new content with If-Match of the version the client knows.
func (w *worker) update(ctx context.Context, u *user, n *modelNote, f fault) {
	if len(n.maybe) > 0 || n.maybeDeleted {
		if !w.resync(ctx, u, n) || len(n.maybe) > 0 {
			return
		}
	}
	want := w.content(n.nonce)
	want.Title, want.Version = n.acked.Title, n.acked.Version+1
	req := artifact.Request{Method: "PUT", Path: "/notes/" + n.id, User: u.sub, Body: input(want),
		Header: jsonHeader("if-match", fmt.Sprintf(`"%d"`, n.acked.Version))}
	resp, tries := w.send(ctx, "update", req, f)
	switch {
	case resp.Status == 200:
		_, got, err := decode(resp)
		if err != nil || !got.same(want) {
			w.r.checks.fail(checkContent, "update of %s: 200 with %s, sent %s (%v)", n.id, got, want, err)
		} else {
			w.r.checks.ok(checkContent)
		}
		n.acked, n.maybe = got, nil
	case resp.Status == 412:
		// Only after a try without an answer: that try may have applied this update. The
		// current version must then be exactly this update's.
		n.maybe = append(n.maybe, want)
		if tries == 1 || resp.Get("ETag") != fmt.Sprintf(`"%d"`, want.Version) {
			w.r.checks.fail(checkLost, "update of %s to %s: 412 with ETag %s after %d tries: the version moved by something else than this update", n.id, want, resp.Get("ETag"), tries)
		} else {
			w.r.checks.ok(check4xx)
		}
		w.resync(ctx, u, n)
	case resp.Status == 404:
		if n.maybeDeleted {
			w.r.checks.ok(check4xx)
			n.deleted = true
			return
		}
		w.r.checks.fail(checkPresent, "update of %s: 404 for a note acknowledged as %s", n.id, n.acked)
		n.deleted = true
	case resp.Status >= 500:
		n.maybe = append(n.maybe, want)
	default:
		w.unexplained("update of "+n.id, resp)
	}
}

// delete removes a note; a retried delete is fine (204 either way).
func (w *worker) delete(ctx context.Context, u *user, n *modelNote, f fault) {
	resp, _ := w.send(ctx, "delete", artifact.Request{Method: "DELETE", Path: "/notes/" + n.id, User: u.sub}, f)
	switch {
	case resp.Status == 204:
		n.deleted = true
	case resp.Status >= 500:
		n.maybeDeleted = true
	default:
		w.unexplained("delete of "+n.id, resp)
		n.maybeDeleted = true
	}
}

// list pages through the user's notes (up to two pages of up to eight) and checks each
// against the model.
func (w *worker) list(ctx context.Context, u *user, f fault) {
	limit := 1 + w.rng.IntN(8)
	seen := map[string]bool{}
	cursor := ""
	for range 2 {
		q := url.Values{"limit": {strconv.Itoa(limit)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		resp, _ := w.send(ctx, "list", artifact.Request{Method: "GET", Path: "/notes", User: u.sub, Query: q}, f)
		f = fault{kind: none}
		if resp.Status != 200 {
			if resp.Status < 500 {
				w.unexplained("list", resp)
			}
			return
		}
		var p struct {
			Items []struct {
				ID string `json:"id"`
				state
			} `json:"items"`
			NextCursor string `json:"nextCursor"`
		}
		if err := json.Unmarshal(resp.Body, &p); err != nil {
			w.r.checks.fail(checkShape, "list: %v: %s", err, resp.Body)
			return
		}
		if cursor != "" || p.NextCursor != "" {
			w.keyFetched = true
		}
		for _, it := range p.Items {
			if seen[it.ID] {
				w.r.checks.fail(checkDuplicate, "list: %s twice in one listing", it.ID)
			}
			seen[it.ID] = true
			w.observe(u, it.ID, it.state)
		}
		if p.NextCursor == "" {
			return
		}
		cursor = p.NextCursor
	}
}

// observe checks a note the API listed against the model.
func (w *worker) observe(u *user, id string, s state) {
	n := u.byID[id]
	if n == nil {
		nonce := nonceOf(s.Title)
		want, ok := u.unresolved[nonce]
		if !ok {
			w.r.checks.fail(checkDuplicate, "note %s (%s) is no create's that the model has not seen yet: a second note for one create", id, s)
			return
		}
		if !want.same(s) {
			w.r.checks.fail(checkContent, "note %s of an unanswered create reads %s, the create sent %s", id, s, want)
		}
		w.acknowledgeCreate(u, "", id, nonce, s)
		w.r.checks.ok(checkDuplicate)
		return
	}
	if n.deleted {
		w.r.checks.fail(checkDeletes, "note %s was deleted (acknowledged) and is listed as %s", id, s)
		return
	}
	if !n.allowed(s) {
		w.r.checks.fail(checkLost, "note %s is listed as %s: neither acknowledged (%s) nor tried since (%v)", id, s, n.acked, n.maybe)
		return
	}
	w.r.checks.ok(checkLost)
}

// final lists every note of the worker's users with the faults off and checks the whole
// model: every acknowledged note there in an allowed state, every acknowledged delete
// gone, no create twice.
func (w *worker) final(ctx context.Context) {
	for _, u := range w.users {
		listed := map[string]state{}
		nonces := map[string]string{}
		cursor := ""
		for {
			q := url.Values{"limit": {"100"}}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			resp, _ := w.send(ctx, "final list", artifact.Request{Method: "GET", Path: "/notes", User: u.sub, Query: q}, fault{kind: none})
			if resp.Status != 200 {
				w.r.t.Errorf("final list of %s: %d %s", u.sub, resp.Status, resp.Body)
				return
			}
			var p struct {
				Items []struct {
					ID string `json:"id"`
					state
				} `json:"items"`
				NextCursor string `json:"nextCursor"`
			}
			if err := json.Unmarshal(resp.Body, &p); err != nil {
				w.r.t.Errorf("final list: %v", err)
				return
			}
			for _, it := range p.Items {
				nonce := nonceOf(it.Title)
				if other, ok := nonces[nonce]; ok {
					w.r.checks.fail(checkDuplicate, "create %s made two notes: %s and %s", nonce, other, it.ID)
				} else {
					w.r.checks.ok(checkDuplicate)
				}
				nonces[nonce] = it.ID
				listed[it.ID] = it.state
				w.observe(u, it.ID, it.state)
			}
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
		}
		for _, n := range u.notes {
			_, there := listed[n.id]
			switch {
			case n.deleted && there:
				// observe reported it
			case n.deleted:
				w.r.checks.ok(checkDeletes)
			case there:
				w.r.checks.ok(checkPresent)
			case n.maybeDeleted:
				w.r.checks.ok(checkPresent) // a delete was tried: gone is allowed
			default:
				w.r.checks.fail(checkPresent, "note %s of %s (acknowledged %s) is missing", n.id, u.sub, n.acked)
			}
		}
	}
}
