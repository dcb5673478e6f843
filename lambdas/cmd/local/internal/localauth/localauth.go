// Package localauth is a local, development-only OAuth 2.0 authorization server: the
// authorization-code flow with PKCE (S256), the shape of Cognito managed login
// (/oauth2/authorize, /oauth2/token, /oauth2/revoke, /logout), and signed JWT ID tokens
// (HS256 through golang-jwt, key generated at start-up) that Verify checks like API
// Gateway's Cognito authorizer would.
//
// Anyone can sign in as any user name: each name is a distinct user with a stable sub.
// It exists only for `go run ./lambdas/cmd/local` and the browser tests. It lives under
// lambdas/cmd/local/internal, so the compiler refuses it to anything outside the local
// server (a Lambda function cannot import it), and the local server refuses to listen on
// anything but loopback.
package localauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config configures an Issuer.
type Config struct {
	// Issuer is the iss claim of the tokens, e.g. "http://127.0.0.1:8080".
	Issuer string
	// ClientID is the only OAuth client, and the aud claim of the ID tokens.
	ClientID string
	// RedirectURIs are the registered callback and sign-out URLs: redirect_uri and
	// logout_uri must equal one of them exactly.
	RedirectURIs []string
	// TokenTTL is the lifetime of ID and access tokens. Default: 1 hour (as Cognito).
	TokenTTL time.Duration
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

const (
	codeTTL          = 5 * time.Minute
	refreshTTL       = 30 * 24 * time.Hour
	sessionTTL       = 12 * time.Hour
	sessionCookie    = "localauth_session"
	maxFormBytes     = 16 * 1024
	emailDomain      = "local.test"
	pageCSP          = "default-src 'none'; style-src 'self'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	subjectNamespace = "notesplatform-localauth-v1:"
)

// tokenUse is the token_use claim, as Cognito sets it: what a token is for.
type tokenUse string

const (
	tokenUseID     tokenUse = "id"
	tokenUseAccess tokenUse = "access"
)

// grantType is a grant_type of the token endpoint.
type grantType string

const (
	grantAuthorizationCode grantType = "authorization_code"
	grantRefreshToken      grantType = "refresh_token"
)

// usernamePattern is what a local user name may look like (after lower-casing).
var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Issuer is the local authorization server. Its methods are safe for concurrent use.
type Issuer struct {
	cfg        Config
	key        []byte // signs ID and access tokens
	sessionKey []byte // signs the sign-in session cookie
	kid        string

	mu      sync.Mutex
	codes   map[string]grant
	refresh map[string]refreshGrant
}

type grant struct {
	clientID, redirectURI, challenge, nonce, username string
	authTime, expires                                 time.Time
}

type refreshGrant struct {
	username string
	authTime time.Time
	expires  time.Time
}

// New returns an Issuer with fresh random keys: tokens of an earlier run are not accepted.
func New(cfg Config) (*Issuer, error) {
	var errs []error
	if cfg.Issuer == "" {
		errs = append(errs, errors.New("localauth: Issuer is required"))
	}
	if cfg.ClientID == "" {
		errs = append(errs, errors.New("localauth: ClientID is required"))
	}
	if len(cfg.RedirectURIs) == 0 {
		errs = append(errs, errors.New("localauth: at least one RedirectURI is required"))
	}
	for _, u := range cfg.RedirectURIs {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.Fragment != "" {
			errs = append(errs, fmt.Errorf("localauth: redirect URI %q: must be an absolute http(s) URL without fragment", u))
		}
	}
	if cfg.TokenTTL < 0 {
		errs = append(errs, fmt.Errorf("localauth: TokenTTL %s: must not be negative", cfg.TokenTTL))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	i := &Issuer{
		cfg:        cfg,
		key:        randomBytes(32),
		sessionKey: randomBytes(32),
		kid:        "local-" + hex.EncodeToString(randomBytes(4)),
		codes:      map[string]grant{},
		refresh:    map[string]refreshGrant{},
	}
	return i, nil
}

func (i *Issuer) now() time.Time { return i.cfg.Now() }

// Subject is the stable sub of a local user name: the same name gives the same sub in
// every run (so notes kept in the local table stay theirs), different names differ.
func Subject(username string) string {
	sum := sha256.Sum256([]byte(subjectNamespace + normalize(username)))
	b := sum[:16]
	b[6] = (b[6] & 0x0f) | 0x50 // version 5 (name-based, SHA)
	b[8] = (b[8] & 0x3f) | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func normalize(username string) string {
	return strings.ToLower(strings.TrimSpace(username))
}

// ValidUsername reports whether name (trimmed, lower-cased) can sign in.
func ValidUsername(name string) bool {
	return usernamePattern.MatchString(normalize(name))
}

// IDToken issues an ID token for a user name directly, without the browser flow
// (for tests and tools).
func (i *Issuer) IDToken(username, nonce string) (string, error) {
	if !ValidUsername(username) {
		return "", fmt.Errorf("localauth: user name %q: use 1-64 of a-z 0-9 . _ - starting with a letter or digit", username)
	}
	return i.idToken(normalize(username), nonce, i.now())
}

func (i *Issuer) idToken(username, nonce string, authTime time.Time) (string, error) {
	now := i.now()
	claims := map[string]any{
		"sub":              Subject(username),
		"cognito:username": username,
		"email":            username + "@" + emailDomain,
		"email_verified":   true,
		"iss":              i.cfg.Issuer,
		"aud":              i.cfg.ClientID,
		"token_use":        tokenUseID,
		"auth_time":        authTime.Unix(),
		"iat":              now.Unix(),
		"exp":              now.Add(i.cfg.TokenTTL).Unix(),
		"jti":              randomToken(16),
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	return i.sign(claims)
}

func (i *Issuer) accessToken(username string) (string, error) {
	now := i.now()
	return i.sign(map[string]any{
		"sub":       Subject(username),
		"username":  username,
		"iss":       i.cfg.Issuer,
		"client_id": i.cfg.ClientID,
		"token_use": tokenUseAccess,
		"scope":     "openid email",
		"iat":       now.Unix(),
		"exp":       now.Add(i.cfg.TokenTTL).Unix(),
		"jti":       randomToken(16),
	})
}

// Handler serves /oauth2/authorize, /oauth2/token, /oauth2/revoke, /oauth2/local.css and
// /logout. Mount it at the root of the origin given to the app as its authDomain.
func (i *Issuer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth2/authorize", i.authorize)
	mux.HandleFunc("POST /oauth2/authorize", i.authorize)
	mux.HandleFunc("POST /oauth2/token", i.token)
	mux.HandleFunc("POST /oauth2/revoke", i.revoke)
	mux.HandleFunc("GET /oauth2/local.css", serveCSS)
	mux.HandleFunc("GET /logout", i.logout)
	return mux
}

// ---------------------------------------------------------------- authorize

type authRequest struct {
	ClientID, RedirectURI, State, Challenge, Method, Nonce, Scope, ResponseType, Prompt string
}

func (i *Issuer) authorize(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		i.errorPage(w, http.StatusBadRequest, "The request could not be read.")
		return
	}
	f := r.Form
	if r.Method == http.MethodPost {
		f = r.PostForm
	}
	ar := authRequest{
		ClientID: f.Get("client_id"), RedirectURI: f.Get("redirect_uri"), State: f.Get("state"),
		Challenge: f.Get("code_challenge"), Method: f.Get("code_challenge_method"), Nonce: f.Get("nonce"),
		Scope: f.Get("scope"), ResponseType: f.Get("response_type"), Prompt: f.Get("prompt"),
	}
	// Without a known client and a registered redirect URI there is nowhere safe to send
	// an error: show it here (RFC 6749 4.1.2.1).
	if ar.ClientID != i.cfg.ClientID {
		i.errorPage(w, http.StatusBadRequest, "Unknown client_id.")
		return
	}
	if !slices.Contains(i.cfg.RedirectURIs, ar.RedirectURI) {
		i.errorPage(w, http.StatusBadRequest, "The redirect_uri is not registered for this client.")
		return
	}
	switch {
	case ar.ResponseType != "code":
		redirectError(w, r, ar, "unsupported_response_type", "only response_type=code is supported")
		return
	case ar.Challenge == "":
		redirectError(w, r, ar, "invalid_request", "code_challenge is required (PKCE)")
		return
	case ar.Method != "S256":
		redirectError(w, r, ar, "invalid_request", "code_challenge_method must be S256")
		return
	case !validChallenge(ar.Challenge):
		redirectError(w, r, ar, "invalid_request", "code_challenge must be a base64url SHA-256")
		return
	case !slices.Contains(strings.Fields(ar.Scope), "openid"):
		redirectError(w, r, ar, "invalid_scope", "the openid scope is required")
		return
	}

	if r.Method == http.MethodGet {
		if user, authTime, ok := i.session(r); ok && ar.Prompt != "login" {
			i.issueCode(w, r, ar, user, authTime)
			return
		}
		i.loginPage(w, ar, "", "")
		return
	}
	username := normalize(f.Get("username"))
	if !usernamePattern.MatchString(username) {
		i.loginPage(w, ar, f.Get("username"),
			"Enter a user name of 1 to 64 characters: letters, digits, dot, dash or underscore, starting with a letter or digit.")
		return
	}
	authTime := i.now()
	i.setSession(w, username, authTime)
	i.issueCode(w, r, ar, username, authTime)
}

func (i *Issuer) issueCode(w http.ResponseWriter, r *http.Request, ar authRequest, username string, authTime time.Time) {
	code := randomToken(32)
	i.mu.Lock()
	now := i.now()
	for k, g := range i.codes { // codes are few and short-lived: sweep on write
		if now.After(g.expires) {
			delete(i.codes, k)
		}
	}
	i.codes[code] = grant{
		clientID: ar.ClientID, redirectURI: ar.RedirectURI, challenge: ar.Challenge, nonce: ar.Nonce,
		username: username, authTime: authTime, expires: now.Add(codeTTL),
	}
	i.mu.Unlock()
	q := url.Values{"code": {code}}
	if ar.State != "" {
		q.Set("state", ar.State)
	}
	redirect(w, r, ar.RedirectURI, q)
}

func redirectError(w http.ResponseWriter, r *http.Request, ar authRequest, code, description string) {
	q := url.Values{"error": {code}, "error_description": {description}}
	if ar.State != "" {
		q.Set("state", ar.State)
	}
	redirect(w, r, ar.RedirectURI, q)
}

func redirect(w http.ResponseWriter, r *http.Request, target string, q url.Values) {
	u, _ := url.Parse(target) // registered URIs were parsed in New
	merged := u.Query()
	for k, v := range q {
		merged[k] = v
	}
	u.RawQuery = merged.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// validChallenge: a base64url (no padding) SHA-256 digest is 43 characters.
func validChallenge(c string) bool {
	b, err := b64.DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// validVerifier: RFC 7636 4.1, 43-128 characters of [A-Za-z0-9-._~].
var verifierPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// VerifyPKCE reports whether verifier matches an S256 code challenge.
func VerifyPKCE(verifier, challenge string) bool {
	if !verifierPattern.MatchString(verifier) {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return hmac.Equal([]byte(b64.EncodeToString(sum[:])), []byte(challenge))
}

// ---------------------------------------------------------------- token, revoke

type tokenResponse struct {
	IDToken      string `json:"id_token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
	TokenType    string `json:"token_type"`
}

func (i *Issuer) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the form could not be read")
		return
	}
	f := r.PostForm
	if f.Get("client_id") != i.cfg.ClientID {
		oauthError(w, http.StatusBadRequest, "invalid_client", "unknown client_id")
		return
	}
	switch grantType(f.Get("grant_type")) {
	case grantAuthorizationCode:
		code := f.Get("code")
		i.mu.Lock()
		g, ok := i.codes[code]
		delete(i.codes, code) // one use only, whatever happens next
		i.mu.Unlock()
		switch {
		case !ok || i.now().After(g.expires):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "the code is unknown, used or expired")
		case g.clientID != f.Get("client_id") || g.redirectURI != f.Get("redirect_uri"):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "client_id or redirect_uri differ from the authorization request")
		case !VerifyPKCE(f.Get("code_verifier"), g.challenge):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge")
		default:
			i.writeTokens(w, g.username, g.nonce, g.authTime, true)
		}
	case grantRefreshToken:
		rt := f.Get("refresh_token")
		i.mu.Lock()
		g, ok := i.refresh[rt]
		i.mu.Unlock()
		if !ok || i.now().After(g.expires) {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "the refresh token is unknown, revoked or expired")
			return
		}
		i.writeTokens(w, g.username, "", g.authTime, false)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "use authorization_code or refresh_token")
	}
}

func (i *Issuer) writeTokens(w http.ResponseWriter, username, nonce string, authTime time.Time, withRefresh bool) {
	id, err := i.idToken(username, nonce, authTime)
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", "could not sign the token")
		return
	}
	access, err := i.accessToken(username)
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", "could not sign the token")
		return
	}
	resp := tokenResponse{IDToken: id, AccessToken: access, ExpiresIn: int(i.cfg.TokenTTL / time.Second), TokenType: "Bearer"}
	if withRefresh {
		resp.RefreshToken = randomToken(32)
		i.mu.Lock()
		i.refresh[resp.RefreshToken] = refreshGrant{username: username, authTime: authTime, expires: i.now().Add(refreshTTL)}
		i.mu.Unlock()
	}
	writeJSON(w, http.StatusOK, resp)
}

// revoke implements RFC 7009 for refresh tokens: always 200 for a known client.
func (i *Issuer) revoke(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the form could not be read")
		return
	}
	if r.PostForm.Get("client_id") != i.cfg.ClientID {
		oauthError(w, http.StatusBadRequest, "invalid_client", "unknown client_id")
		return
	}
	i.mu.Lock()
	delete(i.refresh, r.PostForm.Get("token"))
	i.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// ---------------------------------------------------------------- logout

func (i *Issuer) logout(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != i.cfg.ClientID {
		i.errorPage(w, http.StatusBadRequest, "Unknown client_id.")
		return
	}
	target := q.Get("logout_uri")
	if !slices.Contains(i.cfg.RedirectURIs, target) {
		i.errorPage(w, http.StatusBadRequest, "The logout_uri is not registered for this client.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	redirect(w, r, target, nil)
}

// ---------------------------------------------------------------- session cookie

// The session cookie lets a second sign-in (a reload, another tab) skip the form, as
// Cognito managed login does. Value: base64url(user) "." unix-auth-time "." unix-expiry "." mac.
func (i *Issuer) setSession(w http.ResponseWriter, username string, authTime time.Time) {
	exp := i.now().Add(sessionTTL).Unix()
	payload := b64.EncodeToString([]byte(username)) + "." + strconv.FormatInt(authTime.Unix(), 10) + "." + strconv.FormatInt(exp, 10)
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: payload + "." + b64.EncodeToString(i.sessionMAC(payload)),
		Path: "/", MaxAge: int(sessionTTL / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

func (i *Issuer) session(r *http.Request) (string, time.Time, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", time.Time{}, false
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 4 {
		return "", time.Time{}, false
	}
	payload := strings.Join(parts[:3], ".")
	mac, err := b64.DecodeString(parts[3])
	if err != nil || !hmac.Equal(mac, i.sessionMAC(payload)) {
		return "", time.Time{}, false
	}
	user, err := b64.DecodeString(parts[0])
	authTime, err2 := strconv.ParseInt(parts[1], 10, 64)
	exp, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || err2 != nil || err3 != nil || i.now().Unix() >= exp || !usernamePattern.Match(user) {
		return "", time.Time{}, false
	}
	return string(user), time.Unix(authTime, 0), true
}

func (i *Issuer) sessionMAC(payload string) []byte {
	m := hmac.New(sha256.New, i.sessionKey)
	m.Write([]byte("session|" + payload))
	return m.Sum(nil)
}

// ---------------------------------------------------------------- helpers

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("localauth: no randomness: " + err.Error())
	}
	return b
}

func randomToken(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }
