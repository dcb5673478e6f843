package localserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/example/notesplatform/internal/repo"
)

func newTestSPA(t *testing.T) http.Handler {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"index.html": "<!doctype html><title>app</title>",
		"app.js":     "export {};",
		"csp.txt":    "default-src 'self';\n  object-src 'none'\n",
		".secret":    "no",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	csp, err := repo.ContentSecurityPolicy(dir)
	if err != nil {
		t.Fatal(err)
	}
	root, err := openWebRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return loopbackHostOnly(securityHeaders(csp, &spa{root: root, config: func(r *http.Request) RuntimeConfig {
		return RuntimeConfig{UserPoolClientID: "c", AuthDomain: "http://" + r.Host, APIURL: "/api"}
	}}))
}

func get(h http.Handler, target, host string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", target, nil)
	req.Host = host
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestSPAServesFilesDeepLinksAndConfig(t *testing.T) {
	h := newTestSPA(t)
	const host = "127.0.0.1:8080"
	for _, p := range []string{"/", "/notes/abc", "/notes/abc/edit", "/notes/new"} {
		rec := get(h, p, host)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "<title>app</title>") {
			t.Errorf("%s: %d, want index.html", p, rec.Code)
		}
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: index.html Cache-Control %q", p, rec.Header().Get("Cache-Control"))
		}
		if rec.Header().Get("Content-Security-Policy") != "default-src 'self'; object-src 'none'" {
			t.Errorf("%s: CSP %q", p, rec.Header().Get("Content-Security-Policy"))
		}
		if rec.Header().Get("X-Frame-Options") != "DENY" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: security headers %v", p, rec.Header())
		}
	}
	rec := get(h, "/app.js", host)
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Type"), "javascript") {
		t.Errorf("/app.js: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, p := range []string{"/missing.js", "/.secret", "/../go.mod"} {
		if r := get(h, p, host); r.Code != 404 {
			t.Errorf("%s: %d, want 404", p, r.Code)
		}
	}
	rec = get(h, "/config.json", "localhost:8080")
	var cfg RuntimeConfig
	if err := json.Unmarshal(rec.Body.Bytes(), &cfg); err != nil || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("config.json: %v %s %v", err, rec.Body, rec.Header())
	}
	if cfg.AuthDomain != "http://localhost:8080" || cfg.APIURL != "/api" {
		t.Errorf("config %+v: authDomain must follow the browser's host", cfg)
	}
}

func TestSPARefusesForeignHostNames(t *testing.T) {
	h := newTestSPA(t)
	for _, host := range []string{"evil.example", "evil.example:8080", "10.0.0.1:8080"} {
		if rec := get(h, "/", host); rec.Code != http.StatusMisdirectedRequest {
			t.Errorf("Host %s: %d, want 421", host, rec.Code)
		}
		// API paths get the refusal in the app's error shape.
		for _, p := range []string{"/api", "/api/notes", "/api/./x"} {
			rec := get(h, p, host)
			var body struct {
				Error struct{ Code, Message, RequestID string }
			}
			dec := json.NewDecoder(rec.Body)
			dec.DisallowUnknownFields()
			err := dec.Decode(&body)
			if rec.Code != http.StatusMisdirectedRequest || err != nil || body.Error.Code != "misdirected_request" ||
				body.Error.RequestID == "" || rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("Host %s %s: %d %q %v %+v", host, p, rec.Code, rec.Header().Get("Content-Type"), err, body)
			}
		}
	}
	for _, host := range []string{"localhost:1", "127.0.0.1:1", "[::1]:1"} {
		if rec := get(h, "/", host); rec.Code != 200 {
			t.Errorf("Host %s: %d, want 200", host, rec.Code)
		}
	}
}
