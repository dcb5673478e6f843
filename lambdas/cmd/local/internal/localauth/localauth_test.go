package localauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	testIssuer    = "http://127.0.0.1:8080"
	testClient    = "local-spa"
	testRedirect  = "http://127.0.0.1:8080/"
	testVerifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B
	testChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newIssuer(t *testing.T) (*Issuer, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	i, err := New(Config{Issuer: testIssuer, ClientID: testClient, RedirectURIs: []string{testRedirect}, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return i, c
}

func authorizeQuery(overrides map[string]string) url.Values {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {testClient},
		"redirect_uri":          {testRedirect},
		"scope":                 {"openid email"},
		"state":                 {"st-1"},
		"nonce":                 {"n-1"},
		"code_challenge":        {testChallenge},
		"code_challenge_method": {"S256"},
	}
	for k, v := range overrides {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
	}
	return q
}

// signIn posts the login form and returns the redirect URL.
func signIn(t *testing.T, h http.Handler, username string, overrides map[string]string) (*url.URL, *httptest.ResponseRecorder) {
	t.Helper()
	form := authorizeQuery(overrides)
	form.Set("username", username)
	req := httptest.NewRequest(http.MethodPost, "/oauth2/authorize", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusFound {
		return nil, rec
	}
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc, rec
}

func exchange(h http.Handler, form url.Values) (*httptest.ResponseRecorder, map[string]any) {
	req := httptest.NewRequest(http.MethodPost, "/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var body map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	return rec, body
}

func codeForm(code, verifier string) url.Values {
	return url.Values{
		"grant_type": {"authorization_code"}, "client_id": {testClient}, "code": {code},
		"redirect_uri": {testRedirect}, "code_verifier": {verifier},
	}
}

func TestVerifyPKCE(t *testing.T) {
	if !VerifyPKCE(testVerifier, testChallenge) {
		t.Error("RFC 7636 appendix B example: verifier does not match its challenge")
	}
	for name, v := range map[string]string{
		"other verifier": strings.Repeat("a", 43),
		"too short":      "abc",
		"too long":       strings.Repeat("a", 129),
		"bad characters": strings.Repeat("a", 42) + "+",
		"empty":          "",
	} {
		if VerifyPKCE(v, testChallenge) {
			t.Errorf("%s: accepted %q", name, v)
		}
	}
}

func TestCodeFlowIssuesVerifiableIDToken(t *testing.T) {
	i, _ := newIssuer(t)
	h := i.Handler()
	loc, rec := signIn(t, h, "  Alice ", nil)
	if loc == nil {
		t.Fatalf("sign-in: status %d, body %s", rec.Code, rec.Body)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != testRedirect {
		t.Errorf("redirected to %s, want %s", got, testRedirect)
	}
	if loc.Query().Get("state") != "st-1" || loc.Query().Get("code") == "" {
		t.Fatalf("redirect query %q: want code and state=st-1", loc.RawQuery)
	}
	res, body := exchange(h, codeForm(loc.Query().Get("code"), testVerifier))
	if res.Code != http.StatusOK {
		t.Fatalf("token: status %d, body %s", res.Code, res.Body)
	}
	if res.Header().Get("Cache-Control") != "no-store" {
		t.Error("token response must not be cached")
	}
	for _, k := range []string{"id_token", "access_token", "refresh_token"} {
		if s, _ := body[k].(string); s == "" {
			t.Errorf("token response lacks %s", k)
		}
	}
	claims, err := i.Verify("Bearer " + body["id_token"].(string))
	if err != nil {
		t.Fatalf("Verify(own ID token): %v", err)
	}
	if claims.Subject != Subject("alice") || claims.Username != "alice" || claims.Email != "alice@local.test" ||
		claims.Nonce != "n-1" || claims.Audience != testClient || claims.Issuer != testIssuer || claims.TokenUse != "id" {
		t.Errorf("claims = %+v", claims)
	}
	ac := claims.AuthorizerClaims()
	if ac["sub"] != claims.Subject || ac["token_use"] != "id" {
		t.Errorf("authorizer claims = %v", ac)
	}
	for k, v := range ac {
		if _, ok := v.(string); !ok {
			t.Errorf("authorizer claim %s = %T, want string like API Gateway", k, v)
		}
	}
	// The access token is not an ID token: the API refuses it.
	if _, err := i.Verify(body["access_token"].(string)); !errors.Is(err, ErrClaims) {
		t.Errorf("Verify(access token) = %v, want ErrClaims", err)
	}
}

func TestCodeIsSingleUseAndBoundToVerifier(t *testing.T) {
	i, _ := newIssuer(t)
	h := i.Handler()

	loc, _ := signIn(t, h, "bob", nil)
	code := loc.Query().Get("code")
	if res, body := exchange(h, codeForm(code, strings.Repeat("x", 43))); res.Code != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Errorf("wrong verifier: %d %v, want 400 invalid_grant", res.Code, body)
	}
	// A failed attempt burns the code.
	if res, _ := exchange(h, codeForm(code, testVerifier)); res.Code != http.StatusBadRequest {
		t.Errorf("code reused after a failed attempt: %d, want 400", res.Code)
	}

	loc, _ = signIn(t, h, "bob", nil)
	code = loc.Query().Get("code")
	if res, _ := exchange(h, codeForm(code, testVerifier)); res.Code != http.StatusOK {
		t.Fatalf("first exchange: %d", res.Code)
	}
	if res, _ := exchange(h, codeForm(code, testVerifier)); res.Code != http.StatusBadRequest {
		t.Errorf("second exchange of one code: %d, want 400", res.Code)
	}

	loc, _ = signIn(t, h, "bob", nil)
	form := codeForm(loc.Query().Get("code"), testVerifier)
	form.Set("redirect_uri", "http://127.0.0.1:8080/other")
	if res, _ := exchange(h, form); res.Code != http.StatusBadRequest {
		t.Errorf("different redirect_uri at the token endpoint: %d, want 400", res.Code)
	}
}

func TestCodeExpires(t *testing.T) {
	i, c := newIssuer(t)
	h := i.Handler()
	loc, _ := signIn(t, h, "carol", nil)
	c.t = c.t.Add(codeTTL + time.Second)
	if res, _ := exchange(h, codeForm(loc.Query().Get("code"), testVerifier)); res.Code != http.StatusBadRequest {
		t.Errorf("expired code: %d, want 400", res.Code)
	}
}

func TestAuthorizeRejectsBadRequests(t *testing.T) {
	i, _ := newIssuer(t)
	h := i.Handler()
	// Unknown client or redirect URI: an error page, never a redirect.
	for name, o := range map[string]map[string]string{
		"unknown client":   {"client_id": "other"},
		"unregistered uri": {"redirect_uri": "https://evil.example/"},
	} {
		req := httptest.NewRequest(http.MethodGet, "/oauth2/authorize?"+authorizeQuery(o).Encode(), nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest || rec.Header().Get("Location") != "" {
			t.Errorf("%s: status %d location %q, want 400 without redirect", name, rec.Code, rec.Header().Get("Location"))
		}
	}
	// Known client and URI: the error goes back to the app with the state.
	for name, o := range map[string]map[string]string{
		"no PKCE":         {"code_challenge": ""},
		"plain PKCE":      {"code_challenge_method": "plain"},
		"bad challenge":   {"code_challenge": "short"},
		"implicit flow":   {"response_type": "token"},
		"no openid scope": {"scope": "email"},
	} {
		req := httptest.NewRequest(http.MethodGet, "/oauth2/authorize?"+authorizeQuery(o).Encode(), nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		loc, _ := url.Parse(rec.Header().Get("Location"))
		if rec.Code != http.StatusFound || loc.Query().Get("error") == "" || loc.Query().Get("state") != "st-1" {
			t.Errorf("%s: status %d location %q, want redirect with error and state", name, rec.Code, rec.Header().Get("Location"))
		}
	}
	// A bad user name shows the form again.
	if loc, rec := signIn(t, h, "<script>", nil); loc != nil || rec.Code != http.StatusBadRequest || strings.Contains(rec.Body.String(), "<script>") {
		t.Errorf("bad user name: status %d, want 400 form with the name escaped", rec.Code)
	}
}

func TestLoginPageIsServedWithStrictCSP(t *testing.T) {
	i, _ := newIssuer(t)
	rec := httptest.NewRecorder()
	i.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/oauth2/authorize?"+authorizeQuery(nil).Encode(), nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	body := rec.Body.String()
	for _, want := range []string{`name="username"`, `value="` + testChallenge + `"`, `<label for="username">`} {
		if !strings.Contains(body, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "style=") {
		t.Error("login page has inline script or style")
	}
}

func TestSessionCookieSkipsTheFormUntilLogout(t *testing.T) {
	i, _ := newIssuer(t)
	h := i.Handler()
	_, rec := signIn(t, h, "dave", nil)
	cookies := rec.Result().Cookies()
	if len(cookies) == 0 {
		t.Fatal("no session cookie")
	}
	get := func(q url.Values, cs []*http.Cookie) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/oauth2/authorize?"+q.Encode(), nil)
		for _, c := range cs {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if r := get(authorizeQuery(nil), cookies); r.Code != http.StatusFound {
		t.Errorf("with session: status %d, want an immediate redirect", r.Code)
	}
	if r := get(authorizeQuery(map[string]string{"prompt": "login"}), cookies); r.Code != http.StatusOK {
		t.Errorf("prompt=login: status %d, want the form", r.Code)
	}
	forged := &http.Cookie{Name: sessionCookie, Value: cookies[0].Value[:len(cookies[0].Value)-2] + "AA"}
	if r := get(authorizeQuery(nil), []*http.Cookie{forged}); r.Code != http.StatusOK {
		t.Errorf("forged session cookie: status %d, want the form", r.Code)
	}

	req := httptest.NewRequest(http.MethodGet, "/logout?"+url.Values{"client_id": {testClient}, "logout_uri": {testRedirect}}.Encode(), nil)
	out := httptest.NewRecorder()
	h.ServeHTTP(out, req)
	if out.Code != http.StatusFound || out.Header().Get("Location") != testRedirect {
		t.Errorf("logout: %d to %q", out.Code, out.Header().Get("Location"))
	}
	if cs := out.Result().Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 {
		t.Errorf("logout does not clear the session cookie: %v", cs)
	}
	bad := httptest.NewRequest(http.MethodGet, "/logout?"+url.Values{"client_id": {testClient}, "logout_uri": {"https://evil.example/"}}.Encode(), nil)
	out = httptest.NewRecorder()
	h.ServeHTTP(out, bad)
	if out.Code != http.StatusBadRequest {
		t.Errorf("logout to an unregistered URI: %d, want 400", out.Code)
	}
}

func TestRefreshAndRevoke(t *testing.T) {
	i, _ := newIssuer(t)
	h := i.Handler()
	loc, _ := signIn(t, h, "erin", nil)
	_, body := exchange(h, codeForm(loc.Query().Get("code"), testVerifier))
	rt := body["refresh_token"].(string)
	refresh := url.Values{"grant_type": {"refresh_token"}, "client_id": {testClient}, "refresh_token": {rt}}
	res, fresh := exchange(h, refresh)
	if res.Code != http.StatusOK {
		t.Fatalf("refresh: %d %s", res.Code, res.Body)
	}
	if c, err := i.Verify(fresh["id_token"].(string)); err != nil || c.Username != "erin" {
		t.Errorf("refreshed ID token: %+v, %v", c, err)
	}
	req := httptest.NewRequest(http.MethodPost, "/oauth2/revoke", strings.NewReader(url.Values{"token": {rt}, "client_id": {testClient}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("revoke: %d", rec.Code)
	}
	if res, _ := exchange(h, refresh); res.Code != http.StatusBadRequest {
		t.Errorf("refresh after revoke: %d, want 400", res.Code)
	}
}

func TestSubjectIsStablePerName(t *testing.T) {
	if Subject("alice") != Subject(" ALICE ") {
		t.Error("the same name (any case) must give the same sub")
	}
	if Subject("alice") == Subject("bob") {
		t.Error("different names must give different subs")
	}
	a, _ := newIssuer(t)
	b, _ := newIssuer(t)
	ta, _ := a.IDToken("alice", "")
	tb, _ := b.IDToken("alice", "")
	ca, _ := a.Verify(ta)
	cb, _ := b.Verify(tb)
	if ca.Subject != cb.Subject || ca.Subject == "" {
		t.Errorf("sub differs between runs: %q vs %q", ca.Subject, cb.Subject)
	}
}

func TestVerifyRejectsForgedAndTamperedTokens(t *testing.T) {
	i, _ := newIssuer(t)
	other, _ := newIssuer(t) // same config, different key: a forger's issuer
	good, err := i.IDToken("alice", "")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	encode := func(v any) string {
		b, _ := json.Marshal(v)
		return b64.EncodeToString(b)
	}
	now := i.now().Unix()
	validClaims := map[string]any{"sub": Subject("mallory"), "iss": testIssuer, "aud": testClient,
		"token_use": "id", "iat": now, "exp": now + 3600}
	forgedWithOtherKey, _ := other.IDToken("alice", "")
	// A token signed HS256 with a guessed key but the right kid.
	guessed := encode(map[string]string{"alg": "HS256", "kid": i.kid}) + "." + encode(validClaims)
	m := hmac.New(sha256.New, []byte("secret"))
	m.Write([]byte(guessed))
	guessed += "." + b64.EncodeToString(m.Sum(nil))
	// Claims swapped for another user's, signature kept.
	tampered := parts[0] + "." + encode(validClaims) + "." + parts[2]
	// alg none.
	none := encode(map[string]string{"alg": "none", "kid": i.kid}) + "." + encode(validClaims) + "."
	// Flip one character of the signature.
	sig := []byte(parts[2])
	if sig[0] == 'A' {
		sig[0] = 'B'
	} else {
		sig[0] = 'A'
	}
	flipped := parts[0] + "." + parts[1] + "." + string(sig)

	// The right key under another key id.
	otherKid, _ := jwtWithKid(i, "other-kid", validClaims)
	for name, tok := range map[string]string{
		"other kid":   otherKid,
		"other key":   forgedWithOtherKey,
		"guessed key": guessed,
		"tampered":    tampered,
		"alg none":    none,
		"flipped sig": flipped,
		"empty":       "",
		"garbage":     "not-a-token",
		"two parts":   parts[0] + "." + parts[1],
		"huge":        strings.Repeat("a", maxTokenBytes+1),
	} {
		if _, err := i.Verify(tok); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// jwtWithKid signs claims with i's key under another key id.
func jwtWithKid(i *Issuer, kid string, claims map[string]any) (string, error) {
	saved := i.kid
	defer func() { i.kid = saved }()
	i.kid = kid
	return i.sign(claims)
}

func TestVerifyChecksClaims(t *testing.T) {
	i, c := newIssuer(t)
	sign := func(mut func(map[string]any)) string {
		now := c.t.Unix()
		claims := map[string]any{"sub": Subject("alice"), "iss": testIssuer, "aud": testClient,
			"token_use": "id", "iat": now, "exp": now + 3600}
		mut(claims)
		tok, err := i.sign(claims)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	if _, err := i.Verify(sign(func(map[string]any) {})); err != nil {
		t.Fatalf("valid token refused: %v", err)
	}
	for name, mut := range map[string]func(map[string]any){
		"wrong issuer":   func(m map[string]any) { m["iss"] = "https://cognito-idp.eu-west-1.amazonaws.com/x" },
		"wrong audience": func(m map[string]any) { m["aud"] = "other-client" },
		"access token":   func(m map[string]any) { m["token_use"] = "access" },
		"no sub":         func(m map[string]any) { delete(m, "sub") },
		"no exp":         func(m map[string]any) { delete(m, "exp") },
		"string exp":     func(m map[string]any) { m["exp"] = "tomorrow" },
		"future iat":     func(m map[string]any) { m["iat"] = c.t.Add(time.Hour).Unix() },
		"no iat":         func(m map[string]any) { delete(m, "iat") },
		"no iss":         func(m map[string]any) { delete(m, "iss") },
	} {
		if _, err := i.Verify(sign(mut)); !errors.Is(err, ErrClaims) {
			t.Errorf("%s: err = %v, want ErrClaims", name, err)
		}
	}
}

func TestVerifyRejectsExpiredTokens(t *testing.T) {
	i, c := newIssuer(t)
	tok, _ := i.IDToken("alice", "")
	c.t = c.t.Add(time.Hour - time.Second)
	if _, err := i.Verify(tok); err != nil {
		t.Fatalf("token refused a second before expiry: %v", err)
	}
	c.t = c.t.Add(time.Second)
	if _, err := i.Verify(tok); !errors.Is(err, ErrExpired) {
		t.Errorf("expired token: err = %v, want ErrExpired", err)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	_, err := New(Config{RedirectURIs: []string{"javascript:alert(1)"}, TokenTTL: -time.Second})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"Issuer", "ClientID", "javascript:", "TokenTTL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestTokenEndpointNeedsForm(t *testing.T) {
	i, _ := newIssuer(t)
	req := httptest.NewRequest(http.MethodPost, "/oauth2/token", strings.NewReader(`{"grant_type":"authorization_code"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	i.Handler().ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusBadRequest || !strings.Contains(string(b), "invalid_request") {
		t.Errorf("JSON body: %d %s", rec.Code, b)
	}
}
