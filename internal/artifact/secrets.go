package artifact

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

// SecretsManager is a loopback stand-in for the part of AWS Secrets Manager the functions
// use: GetSecretValue of the current version, by ARN, partial ARN or name, answered and
// refused the way the service does (JSON 1.1 protocol). Everything else is refused with
// an error that names the action, so a new call shows up in the tests.
type SecretsManager struct {
	mu      sync.Mutex
	secrets []storedSecret
}

type storedSecret struct {
	arn, name, value, versionID string
	created                     time.Time
}

// Add stores a secret under its full ARN (…:secret:<name>-<6 characters>).
func (sm *SecretsManager) Add(arn, value string) error {
	i := strings.Index(arn, ":secret:")
	if i < 0 || len(arn) < i+8+8 || arn[len(arn)-7] != '-' {
		return fmt.Errorf("secrets stand-in: %q is not a secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)", arn)
	}
	sm.mu.Lock()
	defer sm.mu.Unlock()
	sm.secrets = append(sm.secrets, storedSecret{arn: arn, name: arn[i+8 : len(arn)-7], value: value,
		versionID: uuidOf(arn), created: time.Now()})
	return nil
}

func (sm *SecretsManager) find(id string) (storedSecret, bool) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	for _, s := range sm.secrets {
		// Secrets Manager accepts the ARN, the ARN without its random suffix, or the name.
		if id == s.arn || id == s.name || id == s.arn[:len(s.arn)-7] {
			return s, true
		}
	}
	return storedSecret{}, false
}

// ServeHTTP answers the JSON 1.1 protocol.
func (sm *SecretsManager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	var in struct {
		SecretID     string `json:"SecretId"`
		VersionID    string `json:"VersionId"`
		VersionStage string `json:"VersionStage"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		smError(w, "InvalidRequestException", "the request body is not JSON: "+err.Error())
		return
	}
	if target != "secretsmanager.GetSecretValue" {
		smError(w, "InvalidRequestException", "the Secrets Manager stand-in of the artifact tests does not implement "+target+": add it to test/artifact/secrets.go if a function needs it")
		return
	}
	s, ok := sm.find(in.SecretID)
	if !ok {
		smError(w, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	if (in.VersionStage != "" && in.VersionStage != "AWSCURRENT") || (in.VersionID != "" && in.VersionID != s.versionID) {
		smError(w, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: "+in.VersionStage)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"ARN": s.arn, "Name": s.name, "VersionId": s.versionID, "SecretString": s.value,
		"VersionStages": []string{"AWSCURRENT"}, "CreatedDate": float64(s.created.Unix()),
	})
}

func smError(w http.ResponseWriter, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "Message": message})
}

// generateSecret makes a value as GenerateSecretString would: PasswordLength characters
// (default 32), letters and digits, plus punctuation unless ExcludePunctuation.
func generateSecret(spec map[string]any) (string, error) {
	length := 32
	if n, ok := spec["PasswordLength"].(float64); ok {
		length = int(n)
	}
	chars := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	if ex, _ := spec["ExcludePunctuation"].(bool); !ex {
		chars += "!#$%&()*+,-./:;<=>?@[]^_`{|}~"
	}
	out := make([]byte, length)
	for i := range out {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
		if err != nil {
			return "", err
		}
		out[i] = chars[n.Int64()]
	}
	return string(out), nil
}
