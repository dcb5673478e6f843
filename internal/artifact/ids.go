package artifact

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/example/notesplatform/internal/cfn"
)

// hashOf is the hex SHA-256 of s: the seed of the ids the harness makes up itself
// (credentials, request ids, log streams), the same on every run.
func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// uuidOf is a UUID-shaped id derived from s, as internal/cfn derives its placeholders.
func uuidOf(s string) string { return cfn.UUID(s) }
