package notes

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// IDLen is the length of a note id.
const IDLen = 26

// crockford is Crockford's base32 alphabet: ids sort as strings in time order and avoid
// letters that are easy to misread (I, L, O, U).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// IDs generates ULID-style ids: 48 bits of milliseconds then 80 random bits, in 26
// characters. Sorting the sort key NOTE#<id> descending lists notes newest first. Within
// one millisecond the random part is incremented, so ids made by one process are strictly
// increasing even when two notes are created in the same millisecond.
type IDs struct {
	mu     sync.Mutex
	lastMs uint64
	last   [10]byte
}

// New returns an id for a note created at t.
func (g *IDs) New(t time.Time) string {
	ms := uint64(t.UnixMilli())
	g.mu.Lock()
	var r [10]byte
	if ms <= g.lastMs {
		// Same (or earlier: clock stepped back) millisecond: keep order by incrementing.
		ms = g.lastMs
		r = g.last
		for i := len(r) - 1; i >= 0; i-- {
			r[i]++
			if r[i] != 0 {
				break
			}
		}
	} else {
		_, _ = rand.Read(r[:])
		r[0] &= 0x7f // leave room to increment without overflowing into the time
	}
	g.lastMs, g.last = ms, r
	g.mu.Unlock()

	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], ms<<16)
	copy(b[6:], r[:])
	return encode(b)
}

func encode(b [16]byte) string {
	hi := binary.BigEndian.Uint64(b[0:8])
	lo := binary.BigEndian.Uint64(b[8:16])
	var out [IDLen]byte
	for i := IDLen - 1; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// ValidID reports whether s has the shape of a note id, so malformed ids are 404s
// without a database round trip.
func ValidID(s string) bool {
	if len(s) != IDLen || s[0] > '7' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U') {
			return false
		}
	}
	return true
}
