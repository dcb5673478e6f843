package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/lambdas/internal/memstore"
	"github.com/example/notesplatform/lambdas/internal/notes"
	"github.com/example/notesplatform/lambdas/internal/store"
)

// TestStoreContract runs the same checks against the DynamoDB store (on dynalite) and the
// in-memory store, so that handler tests on memstore mean what they say about DynamoDB.
func TestStoreContract(t *testing.T) {
	impls := map[string]func(t *testing.T) notes.Store{
		"dynamodb": func(t *testing.T) notes.Store { return store.New(client, newTable(t)) },
		"memory":   func(*testing.T) notes.Store { return memstore.New() },
	}
	for name, mk := range impls {
		t.Run(name, func(t *testing.T) {
			st := mk(t)
			ctx := context.Background()
			at := time.Date(2031, 2, 3, 4, 5, 6, 7_000_000, time.UTC)
			ids := &notes.IDs{}
			var made []notes.Note
			for i := range 5 {
				tags := []string{}
				if i%2 == 0 {
					tags = []string{"even", "x"}
				}
				n := notes.Note{ID: ids.New(at), Title: "t", Body: "b", Tags: tags, CreatedAt: notes.At(at), UpdatedAt: notes.At(at), Version: 1}
				require.NoError(t, st.PutNote(ctx, "alice", n))
				made = append(made, n)
			}
			assert.ErrorIs(t, st.PutNote(ctx, "alice", made[0]), notes.ErrConflict)
			got, err := st.GetNote(ctx, "alice", made[1].ID)
			require.NoError(t, err)
			assert.Equal(t, made[1], got)
			_, err = st.GetNote(ctx, "bob", made[1].ID)
			assert.ErrorIs(t, err, notes.ErrNotFound)

			page, next, err := st.ListNotes(ctx, "alice", notes.ListQuery{Limit: 2})
			require.NoError(t, err)
			assert.Equal(t, []string{made[4].ID, made[3].ID}, idsOf(page))
			assert.Equal(t, made[3].ID, next)
			page, next, err = st.ListNotes(ctx, "alice", notes.ListQuery{Limit: 2, After: next})
			require.NoError(t, err)
			assert.Equal(t, []string{made[2].ID, made[1].ID}, idsOf(page))
			page, next, err = st.ListNotes(ctx, "alice", notes.ListQuery{Limit: 2, After: next})
			require.NoError(t, err)
			assert.Equal(t, []string{made[0].ID}, idsOf(page))
			assert.Empty(t, next)
			page, next, err = st.ListNotes(ctx, "alice", notes.ListQuery{Limit: 3, Tag: "even"})
			require.NoError(t, err)
			assert.Equal(t, []string{made[4].ID, made[2].ID, made[0].ID}, idsOf(page))
			assert.Empty(t, next)
			page, _, err = st.ListNotes(ctx, "bob", notes.ListQuery{Limit: 3})
			require.NoError(t, err)
			assert.Empty(t, page)

			later := at.Add(time.Second)
			upd, err := st.UpdateNote(ctx, "alice", made[0].ID, notes.Input{Title: "u", Tags: []string{"y"}}, later, 1)
			require.NoError(t, err)
			assert.Equal(t, notes.Note{ID: made[0].ID, Title: "u", Body: "", Tags: []string{"y"}, CreatedAt: notes.At(at), UpdatedAt: notes.At(later), Version: 2}, upd)
			_, err = st.UpdateNote(ctx, "alice", made[0].ID, notes.Input{Title: "v"}, later, 1)
			assert.ErrorIs(t, err, notes.ErrVersionMismatch)
			var mismatch *notes.VersionMismatchError
			require.ErrorAs(t, err, &mismatch, "a mismatch carries the current note")
			assert.Equal(t, upd, mismatch.Current)
			_, err = st.UpdateNote(ctx, "bob", made[0].ID, notes.Input{Title: "v"}, later, 0)
			assert.ErrorIs(t, err, notes.ErrNotFound)
			upd, err = st.UpdateNote(ctx, "alice", made[0].ID, notes.Input{Title: "v"}, later, 0)
			require.NoError(t, err)
			assert.EqualValues(t, 3, upd.Version)

			require.NoError(t, st.DeleteNote(ctx, "alice", made[0].ID))
			require.NoError(t, st.DeleteNote(ctx, "alice", made[0].ID))
			_, err = st.GetNote(ctx, "alice", made[0].ID)
			assert.ErrorIs(t, err, notes.ErrNotFound)

			_, err = st.GetIdempotency(ctx, "alice", "k")
			assert.ErrorIs(t, err, notes.ErrNotFound)
			rec := notes.Idempotency{Key: "k", RequestHash: "h", Note: made[1], CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
			require.NoError(t, st.PutIdempotency(ctx, "alice", rec, at))
			assert.ErrorIs(t, st.PutIdempotency(ctx, "alice", rec, at.Add(59*time.Minute)), notes.ErrConflict)
			require.NoError(t, st.PutIdempotency(ctx, "bob", rec, at), "keys are per user")
			got2, err := st.GetIdempotency(ctx, "alice", "k")
			require.NoError(t, err)
			assert.False(t, got2.Done)
			assert.Equal(t, rec.RequestHash, got2.RequestHash)
			assert.Equal(t, made[1], got2.Note)
			assert.True(t, rec.ExpiresAt.Truncate(time.Second).Equal(got2.ExpiresAt), "TTL is kept in whole seconds")
			require.NoError(t, st.CompleteIdempotency(ctx, "alice", "k"))
			got2, err = st.GetIdempotency(ctx, "alice", "k")
			require.NoError(t, err)
			assert.True(t, got2.Done)
			assert.Error(t, st.CompleteIdempotency(ctx, "alice", "missing"))
			// A pending record names its attempt: the same attempt may write it again (the
			// SDK's retry of a write whose answer was lost), another may not, and only its
			// attempt can release it.
			mine := notes.Idempotency{Key: "a", RequestHash: "h", Note: made[1], CreatedAt: at, ExpiresAt: at.Add(time.Hour),
				Attempt: "attempt-1", LockedUntil: at.Add(9 * time.Second)}
			require.NoError(t, st.PutIdempotency(ctx, "alice", mine, at))
			require.NoError(t, st.PutIdempotency(ctx, "alice", mine, at), "the same attempt again")
			other := mine
			other.Attempt = "attempt-2"
			assert.ErrorIs(t, st.PutIdempotency(ctx, "alice", other, at), notes.ErrConflict)
			got2, err = st.GetIdempotency(ctx, "alice", "a")
			require.NoError(t, err)
			assert.Equal(t, "attempt-1", got2.Attempt)
			assert.True(t, mine.LockedUntil.Equal(got2.LockedUntil), "%s", got2.LockedUntil)
			assert.ErrorIs(t, st.ReleaseIdempotency(ctx, "alice", "a", "attempt-2", at), notes.ErrConflict)
			released := at.Add(time.Second)
			require.NoError(t, st.ReleaseIdempotency(ctx, "alice", "a", "attempt-1", released))
			require.NoError(t, st.ReleaseIdempotency(ctx, "alice", "a", "attempt-1", released), "a retried release")
			got2, err = st.GetIdempotency(ctx, "alice", "a")
			require.NoError(t, err)
			assert.True(t, released.Equal(got2.LockedUntil), "%s", got2.LockedUntil)
			assert.ErrorIs(t, st.ReleaseIdempotency(ctx, "alice", "missing", "attempt-1", at), notes.ErrConflict)
			assert.ErrorIs(t, st.ReleaseIdempotency(ctx, "alice", "k", "", at), notes.ErrConflict, "records without an attempt belong to no one")
			require.NoError(t, st.CompleteIdempotency(ctx, "alice", "a"))
			assert.ErrorIs(t, st.PutIdempotency(ctx, "alice", mine, at), notes.ErrConflict, "a done record is never pending again")
			assert.ErrorIs(t, st.ReleaseIdempotency(ctx, "alice", "a", "attempt-1", at), notes.ErrConflict, "nor released")

			// An expired record may be replaced.
			rec.RequestHash = "h2"
			require.NoError(t, st.PutIdempotency(ctx, "alice", rec, at.Add(2*time.Hour)))
			got2, err = st.GetIdempotency(ctx, "alice", "k")
			require.NoError(t, err)
			assert.Equal(t, "h2", got2.RequestHash)
			assert.False(t, got2.Done)
		})
	}
}

func idsOf(ns []notes.Note) []string {
	out := []string{}
	for _, n := range ns {
		out = append(out, n.ID)
	}
	return out
}
