package localserver

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestServerEndToEndOverHTTP starts the whole local server (dynalite in memory) and walks
// the API the way the SPA does: OAuth code + PKCE sign-in, then create, read, a stale
// update, list, delete; a forged token is refused.
func TestServerEndToEndOverHTTP(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	webDir := filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "web")
	srv, err := Start(context.Background(), Options{Addr: "127.0.0.1:0", WebDir: webDir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// Sign in as the SPA does.
	verifier := strings.Repeat("v", 50)
	sum := sha256.Sum256([]byte(verifier))
	redirect := srv.URL + "/"
	form := url.Values{
		"response_type": {"code"}, "client_id": {ClientID}, "redirect_uri": {redirect},
		"scope": {"openid email"}, "state": {"s"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}, "username": {"alice"},
	}
	resp, err := client.PostForm(srv.URL+"/oauth2/authorize", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = client.PostForm(srv.URL+"/oauth2/token", url.Values{
		"grant_type": {"authorization_code"}, "client_id": {ClientID}, "code": {loc.Query().Get("code")},
		"redirect_uri": {redirect}, "code_verifier": {verifier},
	})
	if err != nil {
		t.Fatal(err)
	}
	var tokens map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&tokens)
	resp.Body.Close()
	idToken, _ := tokens["id_token"].(string)
	if idToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, tokens)
	}

	call := func(method, path, token, body string, header map[string]string) (*http.Response, string) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, srv.URL+path, rd)
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	bearer := "Bearer " + idToken

	resp, body := call("POST", "/api/notes", bearer, `{"title":"First","body":"hello","tags":["work"]}`, map[string]string{"Idempotency-Key": "k-1"})
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	var note struct {
		ID      string
		Version int
	}
	_ = json.Unmarshal([]byte(body), &note)
	if !strings.HasPrefix(resp.Header.Get("Location"), "/api/notes/"+note.ID) {
		t.Errorf("Location %q", resp.Header.Get("Location"))
	}
	// The same idempotency key replays the same note.
	resp, body2 := call("POST", "/api/notes", bearer, `{"title":"First","body":"hello","tags":["work"]}`, map[string]string{"Idempotency-Key": "k-1"})
	if resp.StatusCode != 201 || !strings.Contains(body2, note.ID) {
		t.Errorf("replayed create: %d %s", resp.StatusCode, body2)
	}

	resp, _ = call("GET", "/api/notes/"+note.ID, idToken, "", nil) // bare token works too
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || etag != `"1"` {
		t.Fatalf("get: %d etag %q", resp.StatusCode, etag)
	}
	if resp, _ := call("PUT", "/api/notes/"+note.ID, bearer, `{"title":"v2","tags":["work"]}`, map[string]string{"If-Match": etag}); resp.StatusCode != 200 {
		t.Errorf("update: %d", resp.StatusCode)
	}
	if resp, _ := call("PUT", "/api/notes/"+note.ID, bearer, `{"title":"stale"}`, map[string]string{"If-Match": etag}); resp.StatusCode != 412 {
		t.Errorf("stale update: %d, want 412", resp.StatusCode)
	}
	if resp, _ := call("PUT", "/api/notes/"+note.ID, bearer, `{"title":"none"}`, nil); resp.StatusCode != 428 {
		t.Errorf("update without If-Match: %d, want 428", resp.StatusCode)
	}
	resp, body = call("GET", "/api/notes?tag=work&limit=5", bearer, "", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `"items"`) || !strings.Contains(body, note.ID) {
		t.Errorf("list: %d %s", resp.StatusCode, body)
	}

	// Another user does not see alice's note; a forged token is refused.
	bob, _ := srv.IDToken("bob")
	if resp, _ := call("GET", "/api/notes/"+note.ID, "Bearer "+bob, "", nil); resp.StatusCode != 404 {
		t.Errorf("bob reads alice's note: %d, want 404", resp.StatusCode)
	}
	parts := strings.Split(idToken, ".")
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"x"}`)) + "." + parts[2]
	if resp, body := call("GET", "/api/notes", "Bearer "+forged, "", nil); resp.StatusCode != 401 || !strings.Contains(body, `"Unauthorized"`) {
		t.Errorf("forged token: %d %s", resp.StatusCode, body)
	}

	if resp, _ := call("DELETE", "/api/notes/"+note.ID, bearer, "", nil); resp.StatusCode != 204 {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if resp, _ := call("GET", "/api/notes/"+note.ID, bearer, "", nil); resp.StatusCode != 404 {
		t.Errorf("get after delete: %d", resp.StatusCode)
	}
}
