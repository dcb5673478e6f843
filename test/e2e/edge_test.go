package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// pageFetch runs fetch() in the page and returns the status, whether the fetch followed
// a redirect, and the body.
type pageFetch struct {
	Status     int    `json:"status"`
	Redirected bool   `json:"redirected"`
	Body       string `json:"body"`
}

func fetchInPage(b *tab, method, path, authorization, bodyJS string) pageFetch {
	b.t.Helper()
	init := fmt.Sprintf(`{method: %s, headers: {Authorization: %s, 'Content-Type': 'application/json'}`, jsString(method), jsString(authorization))
	if bodyJS != "" {
		init += ", body: " + bodyJS
	}
	init += "}"
	raw := eval[string](b, fmt.Sprintf(`fetch(%s, %s).then(async r => JSON.stringify({status: r.status, redirected: r.redirected, body: await r.text()}))`,
		jsString(path), init))
	var f pageFetch
	if err := json.Unmarshal([]byte(raw), &f); err != nil {
		b.fatal("fetch %s %s: %v (%s)", method, path, err, raw)
	}
	return f
}

func errorCodeOf(body string) string {
	var e struct {
		Error struct{ Code, Message, RequestID string }
	}
	if json.Unmarshal([]byte(body), &e) != nil || e.Error.RequestID == "" {
		return ""
	}
	return e.Error.Code
}

// TestAPIEdgeCasesFromThePage: what a browser client meets at the edges of the API. A
// JavaScript string may hold a lone surrogate (half of an emoji cut by .slice), which
// JSON.stringify writes as "\ud83d": the API refuses it instead of storing U+FFFD. A path
// with an empty segment is the API's 404, not a redirect that fetch would follow. Note
// content full of markup, sent as JSON without HTML escaping, is shown as text.
func TestAPIEdgeCasesFromThePage(t *testing.T) {
	browserTier(t)
	b := newBrowser(t, "tab")
	b.navigate(srv.URL + "/")
	b.waitText("h1", "Your notes")
	auth := bearer(t, "erin")

	f := fetchInPage(b, "POST", "/api/notes", auth, `JSON.stringify({title: '😀 smile'.slice(1)})`)
	if f.Status != 400 || errorCodeOf(f.Body) != "bad_request" || !strings.Contains(f.Body, "surrogate") {
		b.fatal("a lone surrogate: %d %s, want 400 bad_request", f.Status, f.Body)
	}
	f = fetchInPage(b, "POST", "/api/notes", auth, `JSON.stringify({title: '😀 smile'})`)
	if f.Status != 201 || !strings.Contains(f.Body, `"title":"😀 smile"`) {
		b.fatal("a surrogate pair: %d %s", f.Status, f.Body)
	}

	for _, p := range []string{"/api//notes", "/api", "/api/notes//x"} {
		for _, method := range []string{"GET", "POST"} {
			body := ""
			if method == "POST" {
				body = `JSON.stringify({title: 'x'})`
			}
			f := fetchInPage(b, method, p, auth, body)
			if f.Status != 404 || f.Redirected || errorCodeOf(f.Body) != "not_found" {
				b.fatal("%s %s from the page: %+v, want the API's 404 JSON without a redirect", method, p, f)
			}
		}
	}

	// Markup in a note is data: shown as text, never parsed.
	title := `<img src=x onerror="window.pwned=1"> & <b>bold</b>`
	seedNotes(t, "erin", map[string]any{"title": title, "body": "<script>window.pwned=2</script>\n&amp; stays &amp;"})
	b.signIn("erin")
	b.waitText("#note-list", "<b>bold</b>")
	b.click("#note-list li:first-child h3 a")
	b.waitText("#note-title", title)
	b.waitText("#note-body", "<script>window.pwned=2</script>")
	if n := eval[int](b, `document.querySelectorAll('main img, main b, main script').length`); n != 0 {
		b.fatal("note content became %d elements", n)
	}
	if ran := eval[bool](b, `window.pwned !== undefined`); ran {
		b.fatal("note content ran as script")
	}
}

// TestRebindingHostIsRefused: a page on another name that resolves to this machine (DNS
// rebinding; Chromium maps rebind.test to 127.0.0.1 for these tests) gets no app and no
// API: 421, in the API's error shape on /api paths.
func TestRebindingHostIsRefused(t *testing.T) {
	browserTier(t)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	foreign := "http://rebind.test:" + u.Port()
	c := newBrowser(t, "rebind")
	if resp := navigateResponse(c, foreign+"/"); resp.status != 421 {
		c.fatal("the app under a rebound name: %d, want 421", resp.status)
	}
	resp := navigateResponse(c, foreign+"/api/notes")
	text := eval[string](c, `document.body.innerText`)
	if resp.status != 421 || errorCodeOf(text) != "misdirected_request" {
		c.fatal("the API under a rebound name: %d %s, want 421 misdirected_request JSON", resp.status, text)
	}
}
