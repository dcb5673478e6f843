// Package notes is the domain of the notes API: what a note is, its limits, time-sortable
// ids, signed list cursors and the rules for creating (idempotently), reading, updating
// (with optimistic concurrency) and deleting a user's notes. It depends only on the
// narrow store interfaces declared here; internal/store implements them on DynamoDB and
// internal/memstore in memory.
package notes

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/example/notesplatform/lambdas/api"
)

// Note is a user's note as the API returns it.
type Note struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Tags      []string  `json:"tags"`
	CreatedAt Timestamp `json:"createdAt"`
	UpdatedAt Timestamp `json:"updatedAt"`
	// Version starts at 1 and grows by one on every update; the ETag is its quoted value.
	Version int64 `json:"version"`
}

// ETag is the HTTP entity tag of this version of the note.
func (n Note) ETag() string { return fmt.Sprintf(`"%d"`, n.Version) }

// TimeLayout is RFC 3339 in UTC with exactly three fractional digits
// (2026-11-26T12:00:00.000Z): fixed width, so timestamps sort as strings, in the API and
// in the table. time.RFC3339Nano trims trailing zeros, and "…:05Z" sorts after "…:05.5Z".
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// FormatTime writes t as TimeLayout. Times are kept to the millisecond, so nothing is
// lost.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime reads a time written by FormatTime, and also any RFC 3339 time, such as the
// ones written before timestamps had a fixed width.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC(), err
}

// Timestamp is a time that JSON writes as TimeLayout (time.Time writes RFC 3339 with
// trailing zeros trimmed). It reads any RFC 3339 time, as time.Time does, so notes kept in
// idempotency records before timestamps had a fixed width still read.
type Timestamp struct{ time.Time }

// At is the Timestamp of t.
func At(t time.Time) Timestamp { return Timestamp{t} }

// MarshalJSON writes the time as a TimeLayout string.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(TimeLayout)+2)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, TimeLayout)
	return append(b, '"'), nil
}

// Input is what a client sends to create or replace a note (api.Models["NoteInput"]).
type Input struct {
	Title string
	Body  string
	Tags  []string
}

// Errors the domain reports; handlers map each to one HTTP status.
var (
	// ErrNotFound: no such note for this owner (another owner's note is not found too).
	ErrNotFound = errors.New("notes: not found")
	// ErrVersionMismatch: the note changed since the version the client named.
	ErrVersionMismatch = errors.New("notes: version mismatch")
	// ErrConflict: a conditional write found an item that must not exist. The store
	// returns it; the domain decides what it means.
	ErrConflict = errors.New("notes: conflicting write")
	// ErrKeyReused: an idempotency key was used again with a different request.
	ErrKeyReused = errors.New("notes: idempotency key reused with a different request")
	// ErrInProgress: a request with the same idempotency key is still being processed.
	ErrInProgress = errors.New("notes: request with this idempotency key in progress")
	// ErrInvalidCursor: the cursor was not issued by us, for this caller and query.
	ErrInvalidCursor = errors.New("notes: invalid cursor")
)

// VersionMismatchError is ErrVersionMismatch with the note as it is now, so the client's
// 412 can name the current version (its ETag).
type VersionMismatchError struct {
	Current Note
}

func (e *VersionMismatchError) Error() string { return ErrVersionMismatch.Error() }

// Unwrap makes errors.Is(err, ErrVersionMismatch) hold.
func (e *VersionMismatchError) Unwrap() error { return ErrVersionMismatch }

// InProgressError is ErrInProgress with how long the attempt that holds the key may
// still run: the client's Retry-After.
type InProgressError struct {
	RetryAfter time.Duration
}

func (e *InProgressError) Error() string { return ErrInProgress.Error() }

// Unwrap makes errors.Is(err, ErrInProgress) hold.
func (e *InProgressError) Unwrap() error { return ErrInProgress }

// ValidationError lists every broken limit of a request, so a client fixes them all at
// once instead of one per round trip.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string { return strings.Join(e.Problems, "; ") }

var tagPattern = regexp.MustCompile(api.TagPattern)

// Validate checks the limits of api (the same ones the gateway model enforces, checked
// again here because the local server and direct invocations have no gateway).
func (in Input) Validate() error {
	var p []string
	if n := utf8.RuneCountInString(in.Title); n < 1 || n > api.MaxTitleChars {
		p = append(p, fmt.Sprintf("title: must be 1 to %d characters, got %d", api.MaxTitleChars, n))
	} else if strings.TrimFunc(in.Title, unicode.IsSpace) == "" {
		p = append(p, "title: must not be only white space")
	}
	if !utf8.ValidString(in.Title) || !utf8.ValidString(in.Body) {
		p = append(p, "title and body must be valid UTF-8")
	}
	if len(in.Body) > api.MaxBodyBytes {
		p = append(p, fmt.Sprintf("body: must be at most %d bytes, got %d", api.MaxBodyBytes, len(in.Body)))
	}
	if len(in.Tags) > api.MaxTags {
		p = append(p, fmt.Sprintf("tags: at most %d, got %d", api.MaxTags, len(in.Tags)))
	}
	seen := make(map[string]bool, len(in.Tags))
	for i, t := range in.Tags {
		if err := ValidateTag(t); err != nil {
			p = append(p, fmt.Sprintf("tags[%d]: %v", i, err))
		} else if seen[t] {
			p = append(p, fmt.Sprintf("tags[%d]: %q is given twice", i, t))
		}
		seen[t] = true
	}
	if len(p) > 0 {
		return &ValidationError{Problems: p}
	}
	return nil
}

// ValidateTag checks one tag against the tag limits.
func ValidateTag(t string) error {
	if n := utf8.RuneCountInString(t); n < 1 || n > api.MaxTagChars {
		return fmt.Errorf("must be 1 to %d characters", api.MaxTagChars)
	}
	if !tagPattern.MatchString(t) {
		return fmt.Errorf("must match %s", api.TagPattern)
	}
	return nil
}

// normalized returns the input with nil tags as an empty list, so that stored notes and
// request hashes do not depend on whether a client sent "tags": [] or nothing.
func (in Input) normalized() Input {
	if in.Tags == nil {
		in.Tags = []string{}
	}
	return in
}

// Hash identifies the request for idempotency: the SHA-256 of the canonical JSON of the
// decoded input, so insignificant whitespace or key order in the body does not count as
// another request. It keeps encoding/json's HTML escaping: the hashes of records already
// stored must not change.
func (in Input) Hash() string {
	in = in.normalized()
	b, _ := json.Marshal(struct {
		T string   `json:"t"`
		B string   `json:"b"`
		G []string `json:"g"`
	}{in.Title, in.Body, in.Tags})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
