package notes

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

const cursorVersion = 1

// MinCursorKeyBytes is the least key material accepted for signing cursors.
const MinCursorKeyBytes = 16

// signCursor makes the opaque cursor that continues a list after note id. The HMAC binds
// it to the owner and the tag filter, so a cursor cannot be forged, edited, replayed by
// another user (whose ids it would otherwise let them probe) or reused with another query.
func signCursor(key []byte, owner, tag, afterID string) string {
	buf := make([]byte, 0, 1+IDLen+sha256.Size)
	buf = append(buf, cursorVersion)
	buf = append(buf, afterID...)
	buf = append(buf, cursorMAC(key, owner, tag, afterID)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// verifyCursor returns the note id a cursor continues after, or ErrInvalidCursor.
func verifyCursor(key []byte, owner, tag, cursor string) (string, error) {
	if len(cursor) > 2*(1+IDLen+sha256.Size) {
		return "", ErrInvalidCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(raw) != 1+IDLen+sha256.Size || raw[0] != cursorVersion {
		return "", ErrInvalidCursor
	}
	id := string(raw[1 : 1+IDLen])
	if !hmac.Equal(raw[1+IDLen:], cursorMAC(key, owner, tag, id)) || !ValidID(id) {
		return "", ErrInvalidCursor
	}
	return id, nil
}

func cursorMAC(key []byte, owner, tag, afterID string) []byte {
	m := hmac.New(sha256.New, key)
	// Length-prefixed fields: no two (owner, tag, id) triples hash the same input.
	for _, s := range []string{"notes-cursor-v1", owner, tag, afterID} {
		n := len(s)
		m.Write([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
		m.Write([]byte(s))
	}
	return m.Sum(nil)
}
