// Package memstore is an in-memory notes.Store with the same semantics as the DynamoDB
// store (conditional writes, newest-first pages, tag filter), for handler tests, fuzzing
// and benchmarks that must not depend on a database.
package memstore

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/example/notesplatform/lambdas/internal/notes"
)

// Store is safe for concurrent use.
type Store struct {
	mu      sync.Mutex
	items   map[string]map[string]notes.Note        // owner -> id -> note
	records map[string]map[string]notes.Idempotency // owner -> key -> record
	// Calls counts calls by method name, so tests can assert what a path did.
	Calls map[string]int
}

// New returns an empty store.
func New() *Store {
	return &Store{items: map[string]map[string]notes.Note{}, records: map[string]map[string]notes.Idempotency{}, Calls: map[string]int{}}
}

var _ notes.Store = (*Store)(nil)

func clone(n notes.Note) notes.Note {
	n.Tags = slices.Clone(n.Tags)
	if n.Tags == nil {
		n.Tags = []string{}
	}
	return n
}

// GetNote implements notes.ReadStore.
func (s *Store) GetNote(_ context.Context, owner, id string) (notes.Note, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Calls["GetNote"]++
	n, ok := s.items[owner][id]
	if !ok {
		return notes.Note{}, notes.ErrNotFound
	}
	return clone(n), nil
}

// ListNotes implements notes.ReadStore.
func (s *Store) ListNotes(_ context.Context, owner string, q notes.ListQuery) ([]notes.Note, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Calls["ListNotes"]++
	ids := make([]string, 0, len(s.items[owner]))
	for id := range s.items[owner] {
		if q.After == "" || id < q.After {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int { return strings.Compare(b, a) })
	var out []notes.Note
	for _, id := range ids {
		n := s.items[owner][id]
		if q.Tag != "" && !slices.Contains(n.Tags, q.Tag) {
			continue
		}
		if len(out) == q.Limit {
			return out, out[len(out)-1].ID, nil
		}
		out = append(out, clone(n))
	}
	return out, "", nil
}

// PutNote implements notes.Store.
func (s *Store) PutNote(_ context.Context, owner string, n notes.Note) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Calls["PutNote"]++
	if _, ok := s.items[owner][n.ID]; ok {
		return notes.ErrConflict
	}
	if s.items[owner] == nil {
		s.items[owner] = map[string]notes.Note{}
	}
	s.items[owner][n.ID] = clone(n)
	return nil
}

// UpdateNote implements notes.Store.
func (s *Store) UpdateNote(_ context.Context, owner, id string, in notes.Input, updatedAt time.Time, ifVersion int64) (notes.Note, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Calls["UpdateNote"]++
	n, ok := s.items[owner][id]
	if !ok {
		return notes.Note{}, notes.ErrNotFound
	}
	if ifVersion > 0 && n.Version != ifVersion {
		return notes.Note{}, &notes.VersionMismatchError{Current: clone(n)}
	}
	n.Title, n.Body, n.Tags, n.UpdatedAt = in.Title, in.Body, slices.Clone(in.Tags), notes.At(updatedAt)
	n.Version++
	s.items[owner][id] = n
	return clone(n), nil
}

// DeleteNote implements notes.Store.
func (s *Store) DeleteNote(_ context.Context, owner, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Calls["DeleteNote"]++
	delete(s.items[owner], id)
	return nil
}

// GetIdempotency implements notes.Store.
func (s *Store) GetIdempotency(_ context.Context, owner, key string) (notes.Idempotency, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Calls["GetIdempotency"]++
	r, ok := s.records[owner][key]
	if !ok {
		return notes.Idempotency{}, notes.ErrNotFound
	}
	return r, nil
}

// PutIdempotency implements notes.Store.
func (s *Store) PutIdempotency(_ context.Context, owner string, rec notes.Idempotency, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Calls["PutIdempotency"]++
	if old, ok := s.records[owner][rec.Key]; ok && now.Before(old.ExpiresAt) &&
		!(rec.Attempt != "" && old.Attempt == rec.Attempt && !old.Done) {
		return notes.ErrConflict
	}
	if s.records[owner] == nil {
		s.records[owner] = map[string]notes.Idempotency{}
	}
	rec.Done = false
	rec.Note = clone(rec.Note)
	rec.ExpiresAt = rec.ExpiresAt.Truncate(time.Second) // like the TTL attribute: epoch seconds
	rec.LockedUntil = rec.LockedUntil.Truncate(time.Millisecond)
	s.records[owner][rec.Key] = rec
	return nil
}

// CompleteIdempotency implements notes.Store.
func (s *Store) CompleteIdempotency(_ context.Context, owner, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Calls["CompleteIdempotency"]++
	r, ok := s.records[owner][key]
	if !ok {
		return notes.ErrNotFound
	}
	r.Done = true
	s.records[owner][key] = r
	return nil
}

// ReleaseIdempotency implements notes.Store.
func (s *Store) ReleaseIdempotency(_ context.Context, owner, key, attempt string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Calls["ReleaseIdempotency"]++
	r, ok := s.records[owner][key]
	if !ok || r.Done || attempt == "" || r.Attempt != attempt {
		return notes.ErrConflict
	}
	r.LockedUntil = at.Truncate(time.Millisecond)
	s.records[owner][key] = r
	return nil
}
