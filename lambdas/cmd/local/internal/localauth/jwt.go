package localauth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/example/notesplatform/internal/apigateway"
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
// a Lambda proxy integration in requestContext.authorizer.claims (apigateway.IDToken's
// Claims: every value a string, iat and exp as dates).
func (c Claims) AuthorizerClaims() map[string]interface{} {
	return apigateway.IDToken{
		Subject: c.Subject, Username: c.Username, Email: c.Email, EmailVerified: true,
		Issuer: c.Issuer, Audience: c.Audience, TokenUse: c.TokenUse,
		AuthTime: c.AuthTime, IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt,
	}.Claims()
}

var b64 = base64.RawURLEncoding

// sign returns a compact HS256 JWS of claims, with this issuer's key id in the header.
// golang-jwt does the encoding and the MAC.
func (i *Issuer) sign(claims map[string]any) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(claims))
	tok.Header["kid"] = i.kid
	return tok.SignedString(i.key)
}

// Verify checks an ID token the way the Cognito authorizer would: the signature (HS256 with
// this issuer's key; any other algorithm, "none" included, is refused), the issuer, the
// audience (the client id), token_use=id, and the expiry. The token may carry a "Bearer "
// prefix. golang-jwt checks the signature, the algorithm, exp, iss and aud; the checks
// that are ours are the key id, token_use, sub, a required iat, and iat at most 5 minutes
// in the future (jwt.WithLeeway would also stretch exp).
func (i *Issuer) Verify(token string) (Claims, error) {
	token = strings.TrimSpace(token)
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	if token == "" || len(token) > maxTokenBytes {
		return Claims{}, ErrMalformed
	}
	raw := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, raw, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != i.kid {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		return i.key, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(i.cfg.Issuer),
		jwt.WithAudience(i.cfg.ClientID),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(i.now),
	)
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenMalformed):
		return Claims{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return Claims{}, fmt.Errorf("%w: %v", ErrSignature, err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, ErrExpired
	default:
		return Claims{}, fmt.Errorf("%w: %v", ErrClaims, err)
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
	exp, _ := raw.GetExpirationTime() // required and checked by the parser
	iat, err := raw.GetIssuedAt()
	if err != nil || iat == nil {
		return Claims{}, fmt.Errorf("%w: iat is required", ErrClaims)
	}
	c.ExpiresAt, c.IssuedAt = exp.Time, iat.Time
	if at, ok := raw["auth_time"].(float64); ok {
		c.AuthTime = time.Unix(int64(at), 0)
	}
	switch {
	case tokenUse(c.TokenUse) != tokenUseID:
		return Claims{}, fmt.Errorf("%w: token_use %q, want id", ErrClaims, c.TokenUse)
	case c.Subject == "":
		return Claims{}, fmt.Errorf("%w: no sub", ErrClaims)
	case c.IssuedAt.After(i.now().Add(5 * time.Minute)):
		return Claims{}, fmt.Errorf("%w: issued in the future", ErrClaims)
	}
	return c, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
