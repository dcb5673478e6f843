package notes

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/jsonenc"
)

func TestIDsAreValidUniqueAndTimeOrdered(t *testing.T) {
	var g IDs
	base := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	var ids []string
	for i := range 2000 {
		// Many ids per millisecond, and a clock that steps back once.
		at := base.Add(time.Duration(i/100) * time.Millisecond)
		if i == 1500 {
			at = base
		}
		id := g.New(at)
		if !ValidID(id) {
			t.Fatalf("invalid id %q", id)
		}
		ids = append(ids, id)
	}
	if !slices.IsSorted(ids) {
		t.Error("ids of one generator are not increasing")
	}
	if len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Error("duplicate ids")
	}
	later := (&IDs{}).New(base.Add(time.Second))
	if later <= ids[0] {
		t.Errorf("an id of a later time sorts first: %s <= %s", later, ids[0])
	}
}

// Ids made by many goroutines at once are all distinct, and each goroutine's ids keep
// increasing (the generator is shared, its monotonic entropy guarded).
func TestIDsAreSafeForConcurrentUse(t *testing.T) {
	var g IDs
	at := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	const workers, each = 8, 500
	out := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				out[w] = append(out[w], g.New(at)) // one millisecond for all: only the increment orders them
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, ids := range out {
		if !slices.IsSorted(ids) {
			t.Error("one goroutine's ids are not increasing")
		}
		for _, id := range ids {
			if seen[id] || !ValidID(id) {
				t.Fatalf("duplicate or invalid id %q", id)
			}
			seen[id] = true
		}
	}
}

// Ids stay compatible with the ones already stored: 26 upper-case Crockford characters
// whose first 10 are the millisecond, so old and new ids sort together by time.
func TestIDsKeepTheStoredFormat(t *testing.T) {
	const stored = "01JGJFGR49ADJ87HPXKWF75HN4" // written by the hand-made generator at 2025-01-02T03:04:05.001Z
	if !ValidID(stored) {
		t.Fatal("an id written before the move to oklog/ulid is not valid")
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 1_000_000, time.UTC)
	id := (&IDs{}).New(at)
	if len(id) != IDLen || id[:10] != stored[:10] {
		t.Errorf("id %s of the same millisecond does not share the time prefix of %s", id, stored)
	}
	if later := (&IDs{}).New(at.Add(time.Millisecond)); later <= stored {
		t.Errorf("an id of a later millisecond %s sorts before %s", later, stored)
	}
}

func TestValidID(t *testing.T) {
	for _, bad := range []string{"", "01ARZ3NDEKTSV4RRFFQ69G5FA", "01ARZ3NDEKTSV4RRFFQ69G5FAVX", "81ARZ3NDEKTSV4RRFFQ69G5FAV",
		"01ARZ3NDEKTSV4RRFFQ69G5FAI", "01arz3ndektsv4rrffq69g5fav", "01ARZ3NDEKTSV4RRFFQ69G5FA/", "..", "01ARZ3NDEKTSV4RRFFQ69G5FAu"} {
		if ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
	if !ValidID("01ARZ3NDEKTSV4RRFFQ69G5FAV") {
		t.Error("a ULID is not valid")
	}
}

func TestCursorIsBoundToKeyOwnerAndTag(t *testing.T) {
	key := []byte("0123456789abcdef")
	id := (&IDs{}).New(time.Now())
	c := signCursor(key, "alice", "", id)
	got, err := verifyCursor(key, "alice", "", c)
	if err != nil || got != id {
		t.Fatalf("verify(sign) = %q, %v", got, err)
	}
	raw := []byte(c)
	for i := range raw {
		tampered := slices.Clone(raw)
		tampered[i] ^= 0x01
		if _, err := verifyCursor(key, "alice", "", string(tampered)); err == nil && string(tampered) != c {
			// Flipping a low bit of the last base64 character may not change the bytes.
			if i != len(raw)-1 {
				t.Errorf("tampered cursor (byte %d) accepted", i)
			}
		}
	}
	for name, check := range map[string]func() error{
		"other owner": func() error { _, err := verifyCursor(key, "bob", "", c); return err },
		"other tag":   func() error { _, err := verifyCursor(key, "alice", "x", c); return err },
		"other key":   func() error { _, err := verifyCursor([]byte("fedcba9876543210"), "alice", "", c); return err },
		"empty":       func() error { _, err := verifyCursor(key, "alice", "", ""); return err },
		"not base64":  func() error { _, err := verifyCursor(key, "alice", "", "!!!"); return err },
		"too long":    func() error { _, err := verifyCursor(key, "alice", "", c+c); return err },
	} {
		if err := check(); !errors.Is(err, ErrInvalidCursor) {
			t.Errorf("%s: want ErrInvalidCursor, got %v", name, err)
		}
	}
	// Owner and tag are length-prefixed: ("ab","c") and ("a","bc") differ.
	if _, err := verifyCursor(key, "ali", "ce", signCursor(key, "alic", "e", id)); err == nil {
		t.Error("field boundaries are ambiguous")
	}
}

func TestInputValidate(t *testing.T) {
	ok := []Input{
		{Title: "t"},
		{Title: strings.Repeat("é", 200), Body: strings.Repeat("b", 10*1024), Tags: []string{"a", "b-c", "d_9", strings.Repeat("z", 32)}},
	}
	for _, in := range ok {
		if err := in.Validate(); err != nil {
			t.Errorf("valid input rejected: %v", err)
		}
	}
	bad := map[string]Input{
		"empty title":     {},
		"long title":      {Title: strings.Repeat("x", 201)},
		"long body":       {Title: "t", Body: strings.Repeat("b", 10*1024+1)},
		"too many tags":   {Title: "t", Tags: strings.Split("a b c d e f g h i j k", " ")},
		"tag pattern":     {Title: "t", Tags: []string{"-a"}},
		"tag too long":    {Title: "t", Tags: []string{strings.Repeat("z", 33)}},
		"duplicate tags":  {Title: "t", Tags: []string{"a", "a"}},
		"invalid UTF-8":   {Title: "\xff"},
		"non-ASCII tag":   {Title: "t", Tags: []string{"é"}},
		"upper-case tag":  {Title: "t", Tags: []string{"A"}},
		"whitespace tag":  {Title: "t", Tags: []string{"a b"}},
		"empty tag":       {Title: "t", Tags: []string{""}},
		"blank title":     {Title: " \t\n"},
		"Unicode spaces":  {Title: "\u00a0\u2003\u3000"},
		"every violation": {Title: "", Body: strings.Repeat("b", 10*1024+1), Tags: []string{"A"}},
	}
	for name, in := range bad {
		var ve *ValidationError
		if err := in.Validate(); !errors.As(err, &ve) {
			t.Errorf("%s: want a ValidationError, got %v", name, err)
		}
	}
	var ve *ValidationError
	errors.As(bad["every violation"].Validate(), &ve)
	if len(ve.Problems) != 3 {
		t.Errorf("want every problem reported, got %q", ve.Problems)
	}
}

func TestTimesAreFixedWidthAndOldOnesStillRead(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC):                           "2026-11-26T12:00:00.000Z",
		time.Date(2026, 11, 26, 12, 0, 0, 10_000_000, time.UTC):                  "2026-11-26T12:00:00.010Z",
		time.Date(2026, 11, 26, 13, 0, 0, 999_000_000, time.FixedZone("", 3600)): "2026-11-26T12:00:00.999Z",
	} {
		if got := FormatTime(in); got != want {
			t.Errorf("FormatTime(%v) = %s, want %s", in, got, want)
		}
		back, err := ParseTime(want)
		if err != nil || !back.Equal(in) || back.Location() != time.UTC {
			t.Errorf("ParseTime(%s) = %v, %v", want, back, err)
		}
	}
	for _, old := range []string{"2025-01-02T03:04:05Z", "2025-01-02T03:04:05.01Z", "2025-01-02T04:04:05.010+01:00"} {
		if _, err := ParseTime(old); err != nil {
			t.Errorf("a stored time %s no longer reads: %v", old, err)
		}
	}
	a, b := FormatTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)), FormatTime(time.Date(2025, 1, 2, 3, 4, 5, 500_000_000, time.UTC))
	if !(a < b) {
		t.Errorf("%s does not sort before %s", a, b)
	}
	n := Note{ID: "x", Title: "<&>", Tags: []string{}, CreatedAt: At(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), UpdatedAt: At(time.Date(2026, 1, 1, 1, 0, 1, 0, time.FixedZone("", 3600))), Version: 2}
	b2, err := jsonenc.Marshal(n)
	if err != nil || string(b2) != `{"id":"x","title":"<&>","body":"","tags":[],"createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:01.000Z","version":2}` {
		t.Errorf("Note JSON = %s, %v", b2, err)
	}
	var back Note
	if err := json.Unmarshal(b2, &back); err != nil || !back.CreatedAt.Equal(n.CreatedAt.Time) || !back.UpdatedAt.Equal(n.UpdatedAt.Time) || back.Title != n.Title {
		t.Errorf("round trip %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"createdAt":"2025-01-02T03:04:05Z","updatedAt":"2025-01-02T03:04:05.01Z"}`), &back); err != nil ||
		back.UpdatedAt.Sub(back.CreatedAt.Time) != 10*time.Millisecond {
		t.Errorf("a note in the old format: %+v, %v", back, err)
	}
}

// fitting keeps a page's items within the budget as Lambda counts them, measuring only
// pages that might pass it.
func TestFittingKeepsPagesWithinTheBudget(t *testing.T) {
	note := func(body string) Note {
		return Note{ID: (&IDs{}).New(time.Now()), Title: "t", Body: body, Tags: []string{"a"}}
	}
	var plain, heavy []Note
	for range MaxLimit {
		plain = append(plain, note(strings.Repeat("p", api.MaxBodyBytes)))
		heavy = append(heavy, note(strings.Repeat("\x01", api.MaxBodyBytes)))
	}
	if got := fitting(plain, api.ListPageBudgetBytes); got != len(plain) {
		t.Errorf("100 notes of 10 KiB of plain text (about 1 MiB): %d fit, want all", got)
	}
	got := fitting(heavy, api.ListPageBudgetBytes)
	size := 0
	for _, n := range heavy[:got] {
		b, _ := jsonenc.Marshal(n)
		size += jsonenc.StringLen(b) - 1
	}
	if got == len(heavy) || size > api.ListPageBudgetBytes {
		t.Errorf("%d notes of 10 KiB of control characters fit in %d bytes (budget %d)", got, size, api.ListPageBudgetBytes)
	}
	b, _ := jsonenc.Marshal(heavy[got])
	if size+jsonenc.StringLen(b)-1 <= api.ListPageBudgetBytes {
		t.Errorf("the page stopped at %d notes with room for another", got)
	}
	if got := fitting(heavy, 10); got != 1 {
		t.Errorf("a note larger than the budget: %d fit, want 1 (a page always makes progress)", got)
	}
	if got := fitting(nil, 10); got != 0 {
		t.Errorf("no notes: %d", got)
	}
}

func TestHashIgnoresNilVersusEmptyTags(t *testing.T) {
	if (Input{Title: "t"}).Hash() != (Input{Title: "t", Tags: []string{}}).Hash() {
		t.Error("nil and empty tags hash differently")
	}
	if (Input{Title: "t"}).Hash() == (Input{Title: "t", Body: " "}).Hash() {
		t.Error("different bodies hash the same")
	}
}

func TestValidIdempotencyKey(t *testing.T) {
	for k, want := range map[string]bool{"a": true, "550e8400-e29b-41d4-a716-446655440000": true, strings.Repeat("k", 255): true,
		"": false, strings.Repeat("k", 256): false, "a b": false, "é": false, "a\tb": false} {
		if got := ValidIdempotencyKey(k); got != want {
			t.Errorf("ValidIdempotencyKey(%q) = %v", k, got)
		}
	}
}

// keyStore is a ReadStore whose pages always continue, to exercise key handling.
type keyStore struct{ next string }

func (keyStore) GetNote(context.Context, string, string) (Note, error) { return Note{}, ErrNotFound }
func (s keyStore) ListNotes(context.Context, string, ListQuery) ([]Note, string, error) {
	return nil, s.next, nil
}

func TestListNeedsTheKeyOnlyForCursors(t *testing.T) {
	calls := 0
	failing := func(context.Context) ([]byte, error) { calls++; return nil, errors.New("secrets manager down") }
	r := NewReader(keyStore{}, failing)
	if _, err := r.List(context.Background(), "alice", ListParams{}); err != nil || calls != 0 {
		t.Errorf("a single page needed the key: err=%v calls=%d", err, calls)
	}
	r = NewReader(keyStore{next: (&IDs{}).New(time.Now())}, failing)
	if _, err := r.List(context.Background(), "alice", ListParams{}); err == nil {
		t.Error("a next page was signed without a key")
	}
	short := func(context.Context) ([]byte, error) { return []byte("short"), nil }
	r = NewReader(keyStore{next: (&IDs{}).New(time.Now())}, short)
	if _, err := r.List(context.Background(), "alice", ListParams{}); err == nil || !strings.Contains(err.Error(), "at least") {
		t.Errorf("a short key was accepted: %v", err)
	}
}

// FuzzCursor checks that arbitrary cursors never panic the verifier and that only a
// cursor signed for this key, owner and tag is accepted.
func FuzzCursor(f *testing.F) {
	key := []byte("0123456789abcdef")
	id := (&IDs{}).New(time.Unix(1700000000, 0))
	f.Add(signCursor(key, "alice", "", id), "alice", "")
	f.Add(signCursor(key, "alice", "t", id), "alice", "t")
	f.Add("AQ", "bob", "")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, cursor, owner, tag string) {
		got, err := verifyCursor(key, owner, tag, cursor)
		if err != nil {
			if !errors.Is(err, ErrInvalidCursor) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !ValidID(got) || signCursor(key, owner, tag, got) == "" {
			t.Fatalf("accepted cursor yields id %q", got)
		}
		if _, err := verifyCursor(key, owner+"x", tag, cursor); err == nil {
			t.Fatal("cursor accepted for another owner")
		}
	})
}
