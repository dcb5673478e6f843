package notes

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
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

func TestValidID(t *testing.T) {
	for _, bad := range []string{"", "01ARZ3NDEKTSV4RRFFQ69G5FA", "01ARZ3NDEKTSV4RRFFQ69G5FAVX", "81ARZ3NDEKTSV4RRFFQ69G5FAV",
		"01ARZ3NDEKTSV4RRFFQ69G5FAI", "01arz3ndektsv4rrffq69g5fav", "01ARZ3NDEKTSV4RRFFQ69G5FA/"} {
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
