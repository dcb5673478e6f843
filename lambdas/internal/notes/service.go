package notes

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/jsonenc"
)

// List limits.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Idempotency timing.
const (
	// IdempotencyTTL is how long a retry with the same Idempotency-Key returns the first
	// result. After it the table's TTL removes the record and the key is free again.
	IdempotencyTTL = 24 * time.Hour
	// PendingTimeout is how long a pending record blocks other attempts when it names no
	// deadline of its own: written by an attempt whose context had none (tests, direct
	// callers), or before records named their attempt. Attempts served by the functions
	// always have one (the invocation's), and their records block only until it.
	PendingTimeout = 60 * time.Second
	// ReleaseTimeout bounds the call with which a failed attempt releases the key it
	// holds. It runs after the request's own deadline may have passed, inside the margin
	// that httpapi.DeadlineMargin keeps for answering, so it must stay well below it.
	ReleaseTimeout = 250 * time.Millisecond
	// MaxIdempotencyKeyLen bounds the Idempotency-Key header.
	MaxIdempotencyKeyLen = 255
)

// ListQuery asks a store for one page of an owner's notes, newest first.
type ListQuery struct {
	// After is the id to continue after (exclusive); empty for the first page.
	After string
	// Limit is the most notes to return.
	Limit int
	// Tag keeps only notes carrying this tag; empty for all.
	Tag string
}

// Idempotency is the record of a create made with an Idempotency-Key.
type Idempotency struct {
	Key string
	// RequestHash identifies the request body; a retry must match it.
	RequestHash string
	// Note is the note the first request created, returned again to retries.
	Note Note
	// Done is set once the note is written; until then the record is pending.
	Done      bool
	CreatedAt time.Time
	// ExpiresAt is when the record stops counting (the table's TTL attribute).
	ExpiresAt time.Time
	// Attempt names the attempt that wrote the record: random, one per call of
	// Writer.Create. The SDK's retry of that attempt's own write carries the same name,
	// so it is recognized as itself instead of meeting "its" pending record as another's.
	Attempt string
	// LockedUntil is when a pending record stops blocking other attempts: the deadline
	// of the attempt that wrote it, or the moment it gave up and released the key. Zero
	// on records written before attempts had deadlines: CreatedAt + PendingTimeout.
	LockedUntil time.Time
}

// lockEnd is when rec stops blocking other attempts.
func (rec Idempotency) lockEnd() time.Time {
	if rec.LockedUntil.IsZero() {
		return rec.CreatedAt.Add(PendingTimeout)
	}
	return rec.LockedUntil
}

// ReadStore is what reading notes needs from storage. NotesRead is built on it alone, so
// its code cannot write.
type ReadStore interface {
	// GetNote returns the owner's note or ErrNotFound.
	GetNote(ctx context.Context, owner, id string) (Note, error)
	// ListNotes returns up to q.Limit notes newest first, and the id to continue after
	// ("" when there are no more).
	ListNotes(ctx context.Context, owner string, q ListQuery) ([]Note, string, error)
}

// Store is what writing notes needs from storage.
type Store interface {
	ReadStore
	// PutNote writes a new note; ErrConflict if the id exists.
	PutNote(ctx context.Context, owner string, n Note) error
	// UpdateNote replaces title, body and tags, sets UpdatedAt and increments the
	// version, if the note exists and (ifVersion > 0) has that version. It returns the
	// new note, ErrNotFound or ErrVersionMismatch.
	UpdateNote(ctx context.Context, owner, id string, in Input, updatedAt time.Time, ifVersion int64) (Note, error)
	// DeleteNote removes a note; deleting a missing note is not an error.
	DeleteNote(ctx context.Context, owner, id string) error
	// GetIdempotency returns the owner's record for key or ErrNotFound. Expired records
	// may still be returned; the caller checks ExpiresAt.
	GetIdempotency(ctx context.Context, owner, key string) (Idempotency, error)
	// PutIdempotency writes a pending record unless a live (unexpired at now) record
	// for the key exists, in which case it returns ErrConflict. A pending record of the
	// same (non-empty) Attempt does not count: writing it again is the retry of a write
	// whose answer was lost, and succeeds.
	PutIdempotency(ctx context.Context, owner string, rec Idempotency, now time.Time) error
	// CompleteIdempotency marks the record done.
	CompleteIdempotency(ctx context.Context, owner, key string) error
	// ReleaseIdempotency ends the lock of the key's record at `at`, if the record is
	// still pending and was written by attempt; otherwise it changes nothing and returns
	// ErrConflict.
	ReleaseIdempotency(ctx context.Context, owner, key, attempt string, at time.Time) error
}

// KeyFunc returns the cursor-signing key; it may fetch it lazily and cache it.
type KeyFunc func(ctx context.Context) ([]byte, error)

// Reader serves the read side: get and list.
type Reader struct {
	store ReadStore
	key   KeyFunc
}

// NewReader returns the read side over store, signing cursors with key.
func NewReader(store ReadStore, key KeyFunc) *Reader {
	return &Reader{store: store, key: key}
}

// Get returns the owner's note.
func (r *Reader) Get(ctx context.Context, owner, id string) (Note, error) {
	if !ValidID(id) {
		return Note{}, ErrNotFound
	}
	return r.store.GetNote(ctx, owner, id)
}

// ListParams is a list request as the client gave it.
type ListParams struct {
	// Limit is the page size; 0 means DefaultLimit.
	Limit  int
	Cursor string
	Tag    string
}

// Page is one page of a list.
type Page struct {
	Items []Note `json:"items"`
	// NextCursor continues the list; absent on the last page.
	NextCursor string `json:"nextCursor,omitempty"`
}

// List returns one page of the owner's notes, newest first. A page may hold fewer notes
// than the limit and still have a NextCursor: a tag filter that ran out of its read
// budget, or notes too large to fit api.ListPageBudgetBytes (so the Lambda response stays
// under its 6 MB limit).
func (r *Reader) List(ctx context.Context, owner string, p ListParams) (Page, error) {
	var problems []string
	if p.Limit == 0 {
		p.Limit = DefaultLimit
	}
	if p.Limit < 1 || p.Limit > MaxLimit {
		problems = append(problems, fmt.Sprintf("limit: must be 1 to %d", MaxLimit))
	}
	if p.Tag != "" {
		if err := ValidateTag(p.Tag); err != nil {
			problems = append(problems, fmt.Sprintf("tag: %v", err))
		}
	}
	if problems != nil {
		return Page{}, &ValidationError{Problems: problems}
	}
	var key []byte
	getKey := func() error {
		if key != nil {
			return nil
		}
		k, err := r.key(ctx)
		if err != nil {
			return fmt.Errorf("cursor key: %w", err)
		}
		if len(k) < MinCursorKeyBytes {
			return fmt.Errorf("cursor key: %d bytes, need at least %d", len(k), MinCursorKeyBytes)
		}
		key = k
		return nil
	}
	q := ListQuery{Limit: p.Limit, Tag: p.Tag}
	if p.Cursor != "" {
		if err := getKey(); err != nil {
			return Page{}, err
		}
		after, err := verifyCursor(key, owner, p.Tag, p.Cursor)
		if err != nil {
			return Page{}, err
		}
		q.After = after
	}
	items, next, err := r.store.ListNotes(ctx, owner, q)
	if err != nil {
		return Page{}, err
	}
	if items == nil {
		items = []Note{}
	}
	if n := fitting(items, api.ListPageBudgetBytes); n < len(items) {
		items, next = items[:n], items[n-1].ID
	}
	page := Page{Items: items}
	if next != "" {
		// The key is only needed when there is a next page, so small lists never touch
		// the secret.
		if err := getKey(); err != nil {
			return Page{}, err
		}
		page.NextCursor = signCursor(key, owner, p.Tag, next)
	}
	return page, nil
}

// fitting returns how many notes, from the first, stay within budget bytes of a list
// page's items as Lambda counts them: each note's JSON escaped again inside the proxy
// response's body string (api.ListPageBudgetBytes), with the comma between items. It is
// at least one, so a page always makes progress. Pages that are surely small (the usual
// case) are not measured: no byte grows to more than 7 (a control character becomes
// \\u0001), so 7 bytes per byte of text plus 512 per note for the rest is an upper
// bound.
func fitting(items []Note, budget int) int {
	bound := 0
	for _, n := range items {
		bound += 512 + 7*(len(n.Title)+len(n.Body))
		for _, t := range n.Tags {
			bound += 7 * (len(t) + 3)
		}
	}
	if bound <= budget {
		return len(items)
	}
	used := 0
	for i, n := range items {
		b, err := jsonenc.Marshal(n)
		if err != nil {
			return max(i, 1)
		}
		used += jsonenc.StringLen(b) - 2 + 1 // without the quotes, with a comma
		if used > budget {
			return max(i, 1)
		}
	}
	return len(items)
}

// Writer serves the write side: create, update, delete.
type Writer struct {
	store Store
	now   func() time.Time
	ids   IDs
	log   *slog.Logger
}

// NewWriter returns the write side over store. now is the clock; log receives warnings
// about self-healing steps (never note contents).
func NewWriter(store Store, now func() time.Time, log *slog.Logger) *Writer {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Writer{store: store, now: now, log: log}
}

// ValidIdempotencyKey reports whether k is an acceptable Idempotency-Key: 1 to 255
// visible ASCII characters.
func ValidIdempotencyKey(k string) bool {
	if len(k) < 1 || len(k) > MaxIdempotencyKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

func (w *Writer) clock() time.Time { return w.now().UTC().Truncate(time.Millisecond) }

func (w *Writer) newNote(in Input, now time.Time) Note {
	return Note{ID: w.ids.New(now), Title: in.Title, Body: in.Body, Tags: in.Tags,
		CreatedAt: At(now), UpdatedAt: At(now), Version: 1}
}

// Create makes a note. With an idempotency key, a retry of the same request returns the
// first result (replayed is true) and creates nothing; the same key with another request
// is ErrKeyReused.
//
// Without DynamoDB transactions (which dynalite, our test server, lacks), the create is
// made safe by ordering: (1) a pending idempotency record holding the complete note is
// written conditionally, so only one attempt per key proceeds; (2) the note is written;
// (3) the record is marked done. A retry that finds a done record replays it. A pending
// record is locked until the deadline of the attempt that wrote it (ctx's deadline: the
// invocation's, less the margin in which it answers) and then blocks nobody: a retry that
// finds it locked gets an *InProgressError (how long to wait), one that finds it unlocked
// knows its attempt is over and performs (2) and (3) itself with the same note. Every
// crash point thus ends in exactly one note.
//
// Lost answers are safe too. The pending record names its attempt, so the SDK's retry of
// a write (1) that DynamoDB applied but whose answer was lost overwrites its own record
// instead of conflicting with it; a retried write (2) that finds its note already there
// counts as written. An attempt that fails after (1) releases the key before it answers,
// so the client's retry can finish the create at once, rather than wait for the lock.
func (w *Writer) Create(ctx context.Context, owner string, in Input, key string) (n Note, replayed bool, err error) {
	if err := in.Validate(); err != nil {
		return Note{}, false, err
	}
	in = in.normalized()
	now := w.clock()
	if key == "" {
		n := w.newNote(in, now)
		return n, false, w.putNote(ctx, owner, n)
	}
	hash := in.Hash()
	mine := Idempotency{Key: key, RequestHash: hash, Note: w.newNote(in, now), CreatedAt: now,
		ExpiresAt: now.Add(IdempotencyTTL), Attempt: newAttemptID(), LockedUntil: w.lockEnd(ctx, now)}
	for range 2 {
		rec, err := w.store.GetIdempotency(ctx, owner, key)
		switch {
		case err == nil && now.Before(rec.ExpiresAt):
			return w.replay(ctx, owner, rec, hash, now)
		case err != nil && !errors.Is(err, ErrNotFound):
			return Note{}, false, err
		}
		err = w.store.PutIdempotency(ctx, owner, mine, now)
		if errors.Is(err, ErrConflict) {
			continue // a concurrent attempt with this key won; look at its record
		}
		if err == nil {
			err = w.putNote(ctx, owner, mine.Note)
		}
		if err != nil {
			// The record may be written even if the call failed (its answer lost).
			w.release(ctx, owner, mine)
			return Note{}, false, err
		}
		if err := w.store.CompleteIdempotency(ctx, owner, key); err != nil {
			// The note exists; the next retry finds the record unlocked and finishes.
			w.log.Warn("idempotency record left pending", slog.String("error", err.Error()))
			w.release(ctx, owner, mine)
		}
		return mine.Note, false, nil
	}
	return Note{}, false, &InProgressError{RetryAfter: api.RetryAfterSeconds * time.Second}
}

// lockEnd is when the pending record of an attempt that starts at now stops blocking
// others: at ctx's deadline, after which the attempt makes no call. The deadline is on
// the real clock and now on the writer's, so the remaining time carries over.
func (w *Writer) lockEnd(ctx context.Context, now time.Time) time.Time {
	if deadline, ok := ctx.Deadline(); ok {
		return now.Add(time.Until(deadline))
	}
	return now.Add(PendingTimeout)
}

// putNote writes a new note. ErrConflict means that an item with its id exists; ids are
// new for each note (80 random bits), so that item is this note: written by an earlier
// try whose answer was lost (the SDK's retry of PutItem then fails its condition), or by
// a retry that finished an abandoned create with the same note.
func (w *Writer) putNote(ctx context.Context, owner string, n Note) error {
	if err := w.store.PutNote(ctx, owner, n); err != nil && !errors.Is(err, ErrConflict) {
		return err
	}
	return nil
}

// release gives up the key held by a failed attempt, so that the client's retry need not
// wait for the lock. It is best effort (when DynamoDB is failing, it fails too, and the
// lock ends at the attempt's deadline anyway) and gets its own ReleaseTimeout, since the
// request's context may be the reason the attempt failed.
func (w *Writer) release(ctx context.Context, owner string, mine Idempotency) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ReleaseTimeout)
	defer cancel()
	err := w.store.ReleaseIdempotency(ctx, owner, mine.Key, mine.Attempt, w.clock())
	if err != nil && !errors.Is(err, ErrConflict) {
		w.log.Warn("idempotency key not released; it frees itself at the attempt's deadline", slog.String("error", err.Error()))
	}
}

func (w *Writer) replay(ctx context.Context, owner string, rec Idempotency, hash string, now time.Time) (Note, bool, error) {
	if rec.RequestHash != hash {
		return Note{}, false, ErrKeyReused
	}
	if rec.Done {
		return rec.Note, true, nil
	}
	if end := rec.lockEnd(); now.Before(end) {
		return Note{}, false, &InProgressError{RetryAfter: end.Sub(now)}
	}
	w.log.Warn("finishing an idempotent create whose first attempt did not complete")
	if err := w.putNote(ctx, owner, rec.Note); err != nil {
		return Note{}, false, err
	}
	if err := w.store.CompleteIdempotency(ctx, owner, rec.Key); err != nil {
		return Note{}, false, err
	}
	return rec.Note, true, nil
}

// Update replaces a note's content if its version is still ifVersion (0: any version).
// It applies at most once per version: an update conditioned on ifVersion that DynamoDB
// applied but whose answer was lost fails its condition when the SDK retries it; if the
// note is then exactly what this update wrote (version ifVersion+1, this content, this
// update's time), that retry was this update, and it succeeded. Anything else is a
// *VersionMismatchError with the note as it is now: a newer version is never overwritten.
func (w *Writer) Update(ctx context.Context, owner, id string, in Input, ifVersion int64) (Note, error) {
	if !ValidID(id) {
		return Note{}, ErrNotFound
	}
	if err := in.Validate(); err != nil {
		return Note{}, err
	}
	in, now := in.normalized(), w.clock()
	n, err := w.store.UpdateNote(ctx, owner, id, in, now, ifVersion)
	var mismatch *VersionMismatchError
	if errors.As(err, &mismatch) && ifVersion > 0 && mismatch.Current.wrote(in, now, ifVersion) {
		w.log.Warn("an update's answer was lost and its retry found it applied")
		return mismatch.Current, nil
	}
	return n, err
}

// wrote reports whether n is what an update of version ifVersion with in at updatedAt
// made of its note.
func (n Note) wrote(in Input, updatedAt time.Time, ifVersion int64) bool {
	return n.Version == ifVersion+1 && n.UpdatedAt.Equal(updatedAt) &&
		n.Title == in.Title && n.Body == in.Body && slices.Equal(n.Tags, in.Tags)
}

// Delete removes a note. It is idempotent: deleting a missing note succeeds.
func (w *Writer) Delete(ctx context.Context, owner, id string) error {
	if !ValidID(id) {
		return nil
	}
	return w.store.DeleteNote(ctx, owner, id)
}

// newAttemptID names one attempt at a create: at least 128 random bits (rand.Text), so no
// two attempts (two invocations, or two concurrent requests in one process) share a name.
func newAttemptID() string {
	return rand.Text()
}
