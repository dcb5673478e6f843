package notes

import (
	"crypto/rand"
	"errors"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// IDLen is the length of a note id.
const IDLen = ulid.EncodedSize

// IDs generates note ids: ULIDs (48 bits of milliseconds, then 80 random bits, in 26
// characters of Crockford's base32), so sorting the sort key NOTE#<id> descending lists
// notes newest first. Within one millisecond the random part is incremented
// (ulid.Monotonic), so the ids of one generator are strictly increasing even when two
// notes are created in the same millisecond, or when the clock steps back. The zero value
// is ready to use and safe for concurrent use.
type IDs struct {
	mu      sync.Mutex
	entropy *ulid.MonotonicEntropy // reads crypto/rand; not safe for concurrent use alone
	lastMs  uint64
}

// New returns an id for a note created at t.
func (g *IDs) New(t time.Time) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.entropy == nil {
		g.entropy = ulid.Monotonic(rand.Reader, 0)
	}
	// A clock that steps back keeps the last millisecond, so order is kept.
	ms := max(ulid.Timestamp(t), g.lastMs)
	for {
		id, err := ulid.New(ms, g.entropy)
		if errors.Is(err, ulid.ErrMonotonicOverflow) {
			ms++ // the random part ran out within this millisecond: use the next one
			continue
		}
		if err != nil {
			// crypto/rand does not fail on the platforms Go supports (it panics rather
			// than return an error since Go 1.24), nor does a timestamp before 10889.
			panic("notes: new id: " + err.Error())
		}
		g.lastMs = ms
		return id.String()
	}
}

// ValidID reports whether s is a note id as New writes it (a canonical, upper-case ULID),
// so malformed ids are 404s without a database round trip. ulid.ParseStrict also accepts
// lower case, which is another sort key: the round trip keeps only the canonical form.
func ValidID(s string) bool {
	id, err := ulid.ParseStrict(s)
	return err == nil && id.String() == s
}
