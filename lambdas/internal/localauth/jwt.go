package localauth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Errors returned by Verify. Every one of them means "401 Unauthorized" to the caller.
var (
	ErrMalformed = errors.New("localauth: malformed token")
	ErrSignature = errors.New("localauth: bad token signature")
	ErrExpired   = errors.New("localauth: token expired")
	ErrClaims    = errors.New("localauth: token claims not accepted")
)

// maxTokenBytes bounds the work done on an untrusted Authorization header.
const maxTokenBytes = 8 * 1024

// Claims are the verified claims of an ID token.
type Claims struct {
	Subject   string
	Username  string
	Email     string
	Issuer    string
	Audience  string
	TokenUse  string
	Nonce     string
	IssuedAt  time.Time
	AuthTime  time.Time
	ExpiresAt time.Time
}

// AuthorizerClaims returns the claims the way API Gateway's Cognito authorizer hands them to
// a Lambda proxy integration in requestContext.authorizer.claims: every value a string, the
// times of exp and iat in the "Mon Jan 2 15:04:05 UTC 2006" form.
func (c Claims) AuthorizerClaims() map[string]interface{} {
	const gatewayTime = "Mon Jan 2 15:04:05 UTC 2006"
	return map[string]interface{}{
		"sub":              c.Subject,
		"cognito:username": c.Username,
		"email":            c.Email,
		"email_verified":   "true",
		"iss":              c.Issuer,
		"aud":              c.Audience,
		"token_use":        c.TokenUse,
		"auth_time":        strconv.FormatInt(c.AuthTime.Unix(), 10),
		"iat":              c.IssuedAt.UTC().Format(gatewayTime),
		"exp":              c.ExpiresAt.UTC().Format(gatewayTime),
	}
}

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ,omitempty"`
}

var b64 = base64.RawURLEncoding

// sign returns a compact HS256 JWS of claims.
func (i *Issuer) sign(claims map[string]any) (string, error) {
	header, err := json.Marshal(jwtHeader{Alg: "HS256", Kid: i.kid, Typ: "JWT"})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signingInput := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	return signingInput + "." + b64.EncodeToString(i.mac([]byte(signingInput))), nil
}

func (i *Issuer) mac(data []byte) []byte {
	m := hmac.New(sha256.New, i.key)
	m.Write(data)
	return m.Sum(nil)
}

// Verify checks an ID token the way the Cognito authorizer would: the signature (HS256 with
// this issuer's key; any other algorithm, "none" included, is refused), the issuer, the
// audience (the client id), token_use=id, and the expiry. The token may carry a "Bearer "
// prefix.
func (i *Issuer) Verify(token string) (Claims, error) {
	token = strings.TrimSpace(token)
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	if token == "" || len(token) > maxTokenBytes {
		return Claims{}, ErrMalformed
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Claims{}, ErrMalformed
	}
	headerJSON, err := b64.DecodeString(parts[0])
	if err != nil {
		return Claims{}, ErrMalformed
	}
	var header jwtHeader
	if err := json.Unmarshal(headerJSON, &header); err != nil {
		return Claims{}, ErrMalformed
	}
	if header.Alg != "HS256" || header.Kid != i.kid {
		return Claims{}, fmt.Errorf("%w: alg %q kid %q", ErrSignature, header.Alg, header.Kid)
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return Claims{}, ErrMalformed
	}
	if !hmac.Equal(sig, i.mac([]byte(parts[0]+"."+parts[1]))) {
		return Claims{}, ErrSignature
	}
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		return Claims{}, ErrMalformed
	}
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return Claims{}, ErrMalformed
	}
	c := Claims{
		Subject:  str(raw["sub"]),
		Username: str(raw["cognito:username"]),
		Email:    str(raw["email"]),
		Issuer:   str(raw["iss"]),
		Audience: str(raw["aud"]),
		TokenUse: str(raw["token_use"]),
		Nonce:    str(raw["nonce"]),
	}
	exp, okExp := unix(raw["exp"])
	iat, okIat := unix(raw["iat"])
	authTime, _ := unix(raw["auth_time"])
	c.ExpiresAt, c.IssuedAt, c.AuthTime = exp, iat, authTime
	switch {
	case c.Issuer != i.cfg.Issuer:
		return Claims{}, fmt.Errorf("%w: issuer %q", ErrClaims, c.Issuer)
	case c.Audience != i.cfg.ClientID:
		return Claims{}, fmt.Errorf("%w: audience %q", ErrClaims, c.Audience)
	case c.TokenUse != "id":
		return Claims{}, fmt.Errorf("%w: token_use %q, want id", ErrClaims, c.TokenUse)
	case c.Subject == "":
		return Claims{}, fmt.Errorf("%w: no sub", ErrClaims)
	case !okExp || !okIat:
		return Claims{}, fmt.Errorf("%w: exp and iat are required", ErrClaims)
	}
	now := i.now()
	if !now.Before(c.ExpiresAt) {
		return Claims{}, ErrExpired
	}
	if c.IssuedAt.After(now.Add(5 * time.Minute)) {
		return Claims{}, fmt.Errorf("%w: issued in the future", ErrClaims)
	}
	return c, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func unix(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	secs, err := n.Int64()
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(secs, 0), true
}
