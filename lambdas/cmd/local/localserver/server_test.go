package localserver

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/jsonenc"
)

// TestServerEndToEndOverHTTP starts the whole local server (dynalite in memory) and walks
// the API the way the SPA does: OAuth code + PKCE sign-in, then create, read, a stale
// update, list, delete; a forged token is refused.
func TestServerEndToEndOverHTTP(t *testing.T) {
	webDir := webDir(t)
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
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
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
	if r, _ := call("PUT", "/api/notes/"+note.ID, bearer, `{"title":"v2","tags":["work"]}`, map[string]string{"If-Match": etag}); r.StatusCode != 200 {
		t.Errorf("update: %d", r.StatusCode)
	}
	if r, _ := call("PUT", "/api/notes/"+note.ID, bearer, `{"title":"stale"}`, map[string]string{"If-Match": etag}); r.StatusCode != 412 {
		t.Errorf("stale update: %d, want 412", r.StatusCode)
	}
	if r, _ := call("PUT", "/api/notes/"+note.ID, bearer, `{"title":"none"}`, nil); r.StatusCode != 428 {
		t.Errorf("update without If-Match: %d, want 428", r.StatusCode)
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

// rawCall sends one request exactly as given (no path cleaning, no redirects followed) and
// returns the status, the headers and the body.
func rawCall(t *testing.T, method, target, token, body string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// errorCode decodes the app's error shape strictly and returns its code ("" if the body
// is not exactly that shape).
func errorCode(body string) string {
	var e struct {
		Error struct{ Code, Message, RequestID string }
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if dec.Decode(&e) != nil || e.Error.Message == "" || e.Error.RequestID == "" {
		return ""
	}
	return e.Error.Code
}

var fixedWidthTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// TestServerEdgeCasesOverHTTP checks issue 11's edge cases end to end: real HTTP, the real
// handlers, dynalite.
func TestServerEdgeCasesOverHTTP(t *testing.T) {
	webDir := webDir(t)
	srv, err := Start(context.Background(), Options{Addr: "127.0.0.1:0", WebDir: webDir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	tok, _ := srv.IDToken("edge")
	bearer := "Bearer " + tok

	t.Run("unpaired surrogate", func(t *testing.T) {
		for body, want := range map[string]int{`{"title":"\ud800"}`: 400, `{"title":"x\udc00y"}`: 400, `{"title":"\ud83d\ude00"}`: 201} {
			status, _, got := rawCall(t, "POST", srv.URL+"/api/notes", bearer, body, nil)
			if status != want || (want == 400 && errorCode(got) != "bad_request") {
				t.Errorf("%s: %d %s, want %d", body, status, got, want)
			}
		}
	})

	t.Run("non-canonical paths", func(t *testing.T) {
		for _, method := range []string{"GET", "POST", "DELETE"} {
			for _, p := range []string{"/api", "/api/", "/api//notes", "/api/./notes", "/api/notes/../health", "/api/notes/%2e%2e", "/api//health"} {
				status, h, got := rawCall(t, method, srv.URL+p, bearer, `{"title":"x"}`, nil)
				if status != 404 || errorCode(got) != "not_found" || h.Get("Location") != "" || h.Get("Content-Type") != "application/json" {
					t.Errorf("%s %s: %d %v %s, want the API's 404 JSON", method, p, status, h, got)
				}
			}
		}
		if status, _, _ := rawCall(t, "GET", srv.URL+"/api/health/", "", "", nil); status != 200 {
			t.Errorf("GET /api/health/: %d, want 200 (one trailing slash is tolerated)", status)
		}
	})

	t.Run("405 with Allow", func(t *testing.T) {
		status, h, got := rawCall(t, "PATCH", srv.URL+"/api/notes", bearer, "", nil)
		if status != 405 || h.Get("Allow") != "GET, POST" || !strings.Contains(got, `"message":"method PATCH is not allowed on /notes"`) {
			t.Errorf("PATCH /api/notes: %d Allow %q %s", status, h.Get("Allow"), got)
		}
	})

	t.Run("refused Host on the API", func(t *testing.T) {
		for _, p := range []string{"/api/notes", "/api", "/api/health"} {
			status, h, got := rawCall(t, "GET", srv.URL+p, bearer, "", map[string]string{"Host": "rebound.example:8080"})
			if status != http.StatusMisdirectedRequest || errorCode(got) != "misdirected_request" || h.Get("Content-Type") != "application/json" {
				t.Errorf("%s with a foreign Host: %d %s", p, status, got)
			}
		}
	})

	t.Run("null tag and blank title", func(t *testing.T) {
		// A null tag fails the model, so the gateway answers (as deployed); a blank title
		// passes it and the handler refuses it.
		for body, code := range map[string]string{`{"title":"t","tags":[null]}`: "validation_failed", `{"title":"  \t"}`: "validation_failed"} {
			status, _, got := rawCall(t, "POST", srv.URL+"/api/notes", bearer, body, nil)
			if status != 400 || errorCode(got) != code {
				t.Errorf("%s: %d %s, want 400 %s", body, status, got, code)
			}
		}
	})

	t.Run("no HTML escaping", func(t *testing.T) {
		text := strings.Repeat("<&>", 3000)
		status, _, got := rawCall(t, "POST", srv.URL+"/api/notes", bearer, `{"title":"<b>","body":"`+text+`"}`, nil)
		if status != 201 || !strings.Contains(got, `"title":"<b>"`) || len(got) > len(text)+400 {
			t.Errorf("%d, %d bytes for %d of text", status, len(got), len(text))
		}
	})

	t.Run("fixed-width times", func(t *testing.T) {
		// Create notes until one is made in a millisecond that ends in 0, the case that
		// RFC 3339 with trimmed zeros writes shorter (….79Z).
		found := false
		for i := 0; i < 300 && !found; i++ {
			status, _, got := rawCall(t, "POST", srv.URL+"/api/notes", bearer, `{"title":"time"}`, nil)
			var n map[string]any
			if err := json.Unmarshal([]byte(got), &n); status != 201 || err != nil {
				t.Fatalf("create: %d %v", status, err)
			}
			for _, k := range []string{"createdAt", "updatedAt"} {
				if s, _ := n[k].(string); !fixedWidthTime.MatchString(s) {
					t.Fatalf("%s %q is not fixed-width RFC 3339", k, s)
				}
			}
			found = strings.HasSuffix(n["createdAt"].(string), "0Z")
		}
		if !found {
			t.Error("no note was created in a millisecond ending in 0")
		}
	})

	// listAll walks every page of user's notes, checks that each would fit Lambda's
	// response limit (the body escaped once more as a JSON string, plus 2 KB for the rest
	// of the proxy response), and returns how many notes and pages there were.
	listAll := func(t *testing.T, auth string) (notes, pages int) {
		seen := map[string]bool{}
		for next := srv.URL + "/api/notes?limit=100"; ; {
			status, _, got := rawCall(t, "GET", next, auth, "", nil)
			if status != 200 {
				t.Fatalf("page %d: %d %.200s", pages+1, status, got)
			}
			if size := jsonenc.StringLen([]byte(got)) + 2048; size > api.MaxLambdaResponseBytes {
				t.Errorf("page %d would be a %d-byte Lambda response", pages+1, size)
			}
			var page struct {
				Items      []struct{ ID string }
				NextCursor string
			}
			if err := json.Unmarshal([]byte(got), &page); err != nil || len(page.Items) == 0 {
				t.Fatalf("page %d: %v", pages+1, err)
			}
			pages++
			for _, n := range page.Items {
				if seen[n.ID] {
					t.Fatalf("note %s listed twice", n.ID)
				}
				seen[n.ID] = true
			}
			if page.NextCursor == "" {
				return len(seen), pages
			}
			next = srv.URL + "/api/notes?limit=100&cursor=" + page.NextCursor
		}
	}

	t.Run("a page of notes full of < fits", func(t *testing.T) {
		tok, _ := srv.IDToken("angle")
		auth := "Bearer " + tok
		for i := range 100 {
			body := fmt.Sprintf(`{"title":"<%03d>","body":"%s"}`, i, strings.Repeat("<", 10*1024))
			if status, _, got := rawCall(t, "POST", srv.URL+"/api/notes", auth, body, nil); status != 201 {
				t.Fatalf("create %d: %d %s", i, status, got)
			}
		}
		if n, _ := listAll(t, auth); n != 100 {
			t.Errorf("%d notes listed, want 100", n)
		}
	})

	t.Run("pages of notes at every limit are split", func(t *testing.T) {
		tok, _ := srv.IDToken("worst-case")
		auth := "Bearer " + tok
		// As large as the limits allow once escaped twice: see app's worstNote.
		body := func(i int) string {
			tags := make([]string, 10)
			for j := range tags {
				tags[j] = fmt.Sprintf(`"%02d-%03d%s"`, j, i, strings.Repeat("x", 26))
			}
			head := fmt.Sprintf(`{"title":"%03d%s","body":"`, i, strings.Repeat("\u2028", 197))
			tail := `","tags":[` + strings.Join(tags, ",") + `]}`
			q := 16*1024 - len(head) - len(tail) - 10*1024
			return head + strings.Repeat(`\"`, q) + strings.Repeat("\u2028", (10*1024-q)/3) + tail
		}
		for i := range 100 {
			if status, _, got := rawCall(t, "POST", srv.URL+"/api/notes", auth, body(i), nil); status != 201 {
				t.Fatalf("create %d: %d %s", i, status, got)
			}
		}
		if n, pages := listAll(t, auth); n != 100 || pages < 2 {
			t.Errorf("%d notes in %d pages, want 100 in at least 2", n, pages)
		}
	})
}

// webDir is the repository's web/ folder, found from the working directory (a path from
// runtime.Caller would be the import path in a -trimpath build).
func webDir(t *testing.T) string {
	t.Helper()
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	return repo.WebDir(root)
}
