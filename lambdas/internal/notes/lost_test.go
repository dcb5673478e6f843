package notes_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/lambdas/internal/memstore"
	"github.com/example/notesplatform/lambdas/internal/notes"
)

// errLost is what the caller sees of a write whose answer was lost: DynamoDB applied
// it, and then answered 500 (or not at all).
var errLost = errors.New("InternalServerError: the answer was lost")

// fault is what the lossy store does to one call.
type fault int

const (
	// lostThenRetried applies the call, loses its answer, and retries it once, as the
	// SDK does after a 500: the caller sees the retry's result.
	lostThenRetried fault = iota + 1
	// lost applies the call and loses every answer: the SDK gave up, the caller sees
	// errLost.
	lost
	// refused does not apply the call: throttled on every try.
	refused
)

// lossy is a notes.Store over memstore that injects faults into the named methods, one
// fault per call, in order.
type lossy struct {
	*memstore.Store
	mu     sync.Mutex
	faults map[string][]fault
}

func newLossy() *lossy { return &lossy{Store: memstore.New(), faults: map[string][]fault{}} }

func (l *lossy) inject(method string, f ...fault) { l.faults[method] = append(l.faults[method], f...) }

// call runs op under the next fault planned for method.
func (l *lossy) call(method string, op func() error) error {
	l.mu.Lock()
	var f fault
	if q := l.faults[method]; len(q) > 0 {
		f, l.faults[method] = q[0], q[1:]
	}
	l.mu.Unlock()
	switch f {
	case lostThenRetried:
		_ = op()
		return op()
	case lost:
		_ = op()
		return errLost
	case refused:
		return errLost
	}
	return op()
}

func (l *lossy) PutNote(ctx context.Context, owner string, n notes.Note) error {
	return l.call("PutNote", func() error { return l.Store.PutNote(ctx, owner, n) })
}

func (l *lossy) UpdateNote(ctx context.Context, owner, id string, in notes.Input, at time.Time, v int64) (notes.Note, error) {
	var n notes.Note
	err := l.call("UpdateNote", func() (err error) { n, err = l.Store.UpdateNote(ctx, owner, id, in, at, v); return err })
	return n, err
}

func (l *lossy) DeleteNote(ctx context.Context, owner, id string) error {
	return l.call("DeleteNote", func() error { return l.Store.DeleteNote(ctx, owner, id) })
}

func (l *lossy) PutIdempotency(ctx context.Context, owner string, rec notes.Idempotency, now time.Time) error {
	return l.call("PutIdempotency", func() error { return l.Store.PutIdempotency(ctx, owner, rec, now) })
}

func (l *lossy) CompleteIdempotency(ctx context.Context, owner, key string) error {
	return l.call("CompleteIdempotency", func() error { return l.Store.CompleteIdempotency(ctx, owner, key) })
}

func (l *lossy) ReleaseIdempotency(ctx context.Context, owner, key, attempt string, at time.Time) error {
	return l.call("ReleaseIdempotency", func() error { return l.Store.ReleaseIdempotency(ctx, owner, key, attempt, at) })
}

// fakeClock moves a millisecond per reading.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// invocation is the context the router gives a handler: a deadline, as in Lambda.
func invocation(t *testing.T, left time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), left)
	t.Cleanup(cancel)
	return ctx
}

func countNotes(t *testing.T, st notes.Store, owner string) int {
	t.Helper()
	got, _, err := st.ListNotes(context.Background(), owner, notes.ListQuery{Limit: 100})
	require.NoError(t, err)
	return len(got)
}

// The SDK's retry of a write that DynamoDB applied but whose answer was lost is
// recognised as itself: the create succeeds at once, with one note and a done record.
func TestCreateRecognisesTheSDKsRetryOfItsOwnWrites(t *testing.T) {
	for _, method := range []string{"PutIdempotency", "PutNote"} {
		t.Run(method, func(t *testing.T) {
			st := newLossy()
			st.inject(method, lostThenRetried)
			w := notes.NewWriter(st, (&fakeClock{t: time.Unix(1_800_000_000, 0)}).now, nil)
			n, replayed, err := w.Create(invocation(t, 9*time.Second), "alice", notes.Input{Title: "once"}, "key-1")
			require.NoError(t, err, "the SDK's retry met its own write")
			assert.False(t, replayed)
			assert.Equal(t, 1, countNotes(t, st, "alice"))
			rec, err := st.GetIdempotency(context.Background(), "alice", "key-1")
			require.NoError(t, err)
			assert.True(t, rec.Done)
			assert.Equal(t, n, rec.Note)
		})
	}
	// Without a key, the retried PutNote that finds its note is a success too.
	st := newLossy()
	st.inject("PutNote", lostThenRetried)
	_, _, err := notes.NewWriter(st, nil, nil).Create(context.Background(), "alice", notes.Input{Title: "t"}, "")
	require.NoError(t, err)
	assert.Equal(t, 1, countNotes(t, st, "alice"))
}

// A create whose writes were applied but whose answers stayed lost fails (the caller
// answers 503), never with "in progress" about itself; it releases the key, so the
// client's retry with the same key finishes the create at once: exactly one note.
func TestLostCreateIsFinishedByTheClientsRetryAtOnce(t *testing.T) {
	for _, method := range []string{"PutIdempotency", "PutNote", "CompleteIdempotency"} {
		t.Run(method, func(t *testing.T) {
			st := newLossy()
			st.inject(method, lost)
			clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
			w := notes.NewWriter(st, clock.now, nil)
			in := notes.Input{Title: "once", Tags: []string{"a"}}
			first, _, err := w.Create(invocation(t, 9*time.Second), "alice", in, "key-1")
			if method == "CompleteIdempotency" {
				require.NoError(t, err, "the note is written: the create succeeded")
			} else {
				require.ErrorIs(t, err, errLost)
				assert.NotErrorIs(t, err, notes.ErrInProgress)
			}
			n, replayed, err := w.Create(invocation(t, 9*time.Second), "alice", in, "key-1")
			require.NoError(t, err, "the retry waits for no lock: the first attempt released it")
			assert.True(t, replayed)
			if method == "CompleteIdempotency" {
				assert.Equal(t, first, n)
			}
			assert.Equal(t, 1, countNotes(t, st, "alice"))
			again, replayed, err := w.Create(invocation(t, 9*time.Second), "alice", in, "key-1")
			require.NoError(t, err)
			assert.True(t, replayed)
			assert.Equal(t, n, again)
			assert.Equal(t, 1, countNotes(t, st, "alice"))
		})
	}
}

// When even the release fails, the key is locked until the first attempt's deadline,
// not for a fixed minute: a retry before it is told how long to wait, one after it
// finishes the create.
func TestLockEndsAtTheAttemptsDeadline(t *testing.T) {
	st := newLossy()
	st.inject("PutNote", lost)
	st.inject("ReleaseIdempotency", refused)
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	w := notes.NewWriter(st, clock.now, nil)
	in := notes.Input{Title: "once"}
	_, _, err := w.Create(invocation(t, 3*time.Second), "alice", in, "key-1")
	require.ErrorIs(t, err, errLost)

	_, _, err = w.Create(context.Background(), "alice", in, "key-1")
	var busy *notes.InProgressError
	require.ErrorAs(t, err, &busy)
	assert.InDelta(t, 3*time.Second, busy.RetryAfter, float64(500*time.Millisecond), "the rest of the first attempt's time")
	assert.Less(t, busy.RetryAfter, notes.PendingTimeout)

	clock.advance(busy.RetryAfter)
	n, replayed, err := w.Create(context.Background(), "alice", in, "key-1")
	require.NoError(t, err)
	assert.True(t, replayed)
	assert.Equal(t, 1, countNotes(t, st, "alice"))
	got, err := st.GetNote(context.Background(), "alice", n.ID)
	require.NoError(t, err)
	assert.Equal(t, n, got)
}

// Two attempts alive at once still exclude each other: the second is in progress until
// the first's deadline.
func TestConcurrentAttemptIsInProgress(t *testing.T) {
	st := memstore.New()
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	w := notes.NewWriter(st, clock.now, nil)
	now := clock.now()
	// The first attempt has written its record (deadline in 5 s) and not yet its note.
	require.NoError(t, st.PutIdempotency(context.Background(), "alice", notes.Idempotency{
		Key: "k", RequestHash: notes.Input{Title: "t"}.Hash(), Note: notes.Note{ID: (&notes.IDs{}).New(now), Title: "t", Version: 1},
		CreatedAt: now, ExpiresAt: now.Add(notes.IdempotencyTTL), Attempt: "first", LockedUntil: now.Add(5 * time.Second),
	}, now))
	_, _, err := w.Create(invocation(t, 9*time.Second), "alice", notes.Input{Title: "t"}, "k")
	var busy *notes.InProgressError
	require.ErrorAs(t, err, &busy)
	assert.InDelta(t, 5*time.Second, busy.RetryAfter, float64(10*time.Millisecond))
	assert.Equal(t, 0, countNotes(t, st, "alice"))
}

// An update whose answer was lost either applies once (the SDK's retry recognises it) or
// is refused with the current version; a newer version is never overwritten.
func TestLostUpdateAppliesOnceOrIsAMismatch(t *testing.T) {
	st := newLossy()
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	w := notes.NewWriter(st, clock.now, nil)
	n, _, err := w.Create(context.Background(), "alice", notes.Input{Title: "v1"}, "")
	require.NoError(t, err)

	// The SDK retried an applied update: the retry is this update, a success.
	st.inject("UpdateNote", lostThenRetried)
	v2, err := w.Update(context.Background(), "alice", n.ID, notes.Input{Title: "v2"}, 1)
	require.NoError(t, err)
	assert.EqualValues(t, 2, v2.Version)
	assert.Equal(t, "v2", v2.Title)
	stored, _ := st.GetNote(context.Background(), "alice", n.ID)
	assert.EqualValues(t, 2, stored.Version, "applied once")

	// Every answer lost: the client's retry with its If-Match finds its update applied
	// and is told the current version (a 412 with its ETag), which holds its content.
	st.inject("UpdateNote", lost)
	_, err = w.Update(context.Background(), "alice", n.ID, notes.Input{Title: "v3"}, 2)
	require.ErrorIs(t, err, errLost)
	_, err = w.Update(context.Background(), "alice", n.ID, notes.Input{Title: "v3"}, 2)
	var mismatch *notes.VersionMismatchError
	require.ErrorAs(t, err, &mismatch)
	assert.EqualValues(t, 3, mismatch.Current.Version)
	assert.Equal(t, "v3", mismatch.Current.Title)

	// Someone else writes version 4; the stale retry cannot overwrite it.
	_, err = w.Update(context.Background(), "alice", n.ID, notes.Input{Title: "someone else's"}, 3)
	require.NoError(t, err)
	_, err = w.Update(context.Background(), "alice", n.ID, notes.Input{Title: "v3"}, 2)
	require.ErrorAs(t, err, &mismatch)
	assert.EqualValues(t, 4, mismatch.Current.Version)
	stored, _ = st.GetNote(context.Background(), "alice", n.ID)
	assert.Equal(t, "someone else's", stored.Title)
	assert.ErrorIs(t, err, notes.ErrVersionMismatch)
}

// A delete whose answer was lost is safe to retry.
func TestLostDeleteIsSafeToRetry(t *testing.T) {
	st := newLossy()
	w := notes.NewWriter(st, nil, nil)
	n, _, err := w.Create(context.Background(), "alice", notes.Input{Title: "t"}, "")
	require.NoError(t, err)
	st.inject("DeleteNote", lost)
	require.ErrorIs(t, w.Delete(context.Background(), "alice", n.ID), errLost)
	require.NoError(t, w.Delete(context.Background(), "alice", n.ID))
	assert.Equal(t, 0, countNotes(t, st, "alice"))
}
