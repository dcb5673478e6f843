package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// api calls the local API directly, as user (empty: no Authorization header).
func apiCall(t *testing.T, method, path, authorization string, body any) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func bearer(t *testing.T, user string) string {
	t.Helper()
	tok, err := srv.IDToken(user)
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + tok
}

func seedNotes(t *testing.T, user string, notes ...map[string]any) {
	t.Helper()
	auth := bearer(t, user)
	for _, n := range notes {
		if status, body := apiCall(t, "POST", "/api/notes", auth, n); status != http.StatusCreated {
			t.Fatalf("seed note %v: %d %s", n["title"], status, body)
		}
	}
}

// TestMainFlow: sign in, create a note, see it listed and filtered, edit it, cause and
// resolve version conflicts from a second tab (both resolutions: overwrite and load the
// latest), delete it, sign out.
func TestMainFlow(t *testing.T) {
	browserTier(t)
	start := time.Now()
	seedNotes(t, "alice",
		map[string]any{"title": "Reading list", "body": "Designing Data-Intensive Applications\nThe Go Programming Language", "tags": []string{"books"}},
		map[string]any{"title": "Sprint retro", "body": "Keep: small PRs. Try: pairing on reviews.", "tags": []string{"work", "team"}},
		map[string]any{"title": "Trip to Lisbon", "body": "Book the tram 28 tour; pastéis de nata at Manteigaria.", "tags": []string{"travel"}},
	)
	b := newBrowser(t, "tab1")
	b.navigate(srv.URL + "/")
	b.waitText("h1", "Your notes")
	b.screenshot("signed-out.png")
	b.click("#sign-in")
	b.waitVisible("#username")
	b.screenshot("local-sign-in.png")
	b.do("back to the app", chromedp.NavigateBack())
	b.signIn("alice")

	// Create, then see it first in the list.
	id := b.createNote("Groceries", "Milk\nEggs\nCoffee beans", "home, weekly")
	if v := b.text("#note-version"); v != "1" {
		b.fatal("new note version %q, want 1", v)
	}
	b.screenshot("note.png")
	b.click(".breadcrumb a")
	b.waitText("#note-list", "Groceries")
	if first := b.text("#note-list li:first-child h3"); first != "Groceries" {
		b.fatal("first listed note %q, want the newest (Groceries)", first)
	}
	b.screenshot("list.png")

	// Filter by tag, then clear the filter.
	b.setValue("#tag-filter", "home")
	b.click(".filter button[type=submit]")
	b.waitText("h1", "Notes tagged “home”")
	b.waitText("#note-list", "Groceries")
	if n := eval[int](b, `document.querySelectorAll('#note-list > li').length`); n != 1 {
		b.fatal("tag home lists %d notes, want 1", n)
	}
	b.click("#clear-filter")
	b.waitText("h1", "My notes")
	b.waitText("#note-list", "Trip to Lisbon")

	// Edit.
	b.click(fmt.Sprintf(`#note-list li[data-id="%s"] h3 a`, id))
	b.waitText("#note-title", "Groceries")
	b.click("#edit-note")
	b.waitVisible("#note-title-input")
	b.setValue("#note-title-input", "Groceries for the weekend")
	b.click("#save-note")
	b.waitText("#note-title", "Groceries for the weekend")
	b.waitText("#note-version", "2")

	// Conflict 1: tab 1 edits version 2 while tab 2 saves version 3; tab 1 overwrites.
	b.click("#edit-note")
	b.waitVisible("#note-title-input")
	b2 := b.newTab("tab2")
	b2.navigate(srv.URL + "/notes/" + id + "/edit")
	b2.waitText("h1", "Sign in to continue") // tokens live in memory: a new tab signs in again
	b2.signIn("alice")                       // one click: the issuer remembers the session
	if p := b2.path(); p != "/notes/"+id+"/edit" {
		b2.fatal("after sign-in the deep link %q was lost: at %q", "/notes/"+id+"/edit", p)
	}
	b2.waitVisible("#note-title-input")
	b2.setValue("#note-title-input", "Groceries (from tab 2)")
	b2.click("#save-note")
	b2.waitText("#note-version", "3")

	b.setValue("#note-body-input", "Milk\nEggs\nCoffee beans\nBread (from tab 1)")
	b.click("#save-note")
	b.waitVisible("#conflict")
	b.waitText("#conflict", "changed somewhere else")
	b.waitText("#conflict-latest-title", "Groceries (from tab 2)")
	if v := b.value("#note-body-input"); !strings.Contains(v, "Bread (from tab 1)") {
		b.fatal("the conflict lost the edit in the form: %q", v)
	}
	if focused := eval[string](b, `document.activeElement?.id || ''`); focused != "conflict-title" {
		b.fatal("focus after the conflict is on %q, want the conflict heading", focused)
	}
	b.screenshot("conflict.png")
	b.click("#conflict-overwrite")
	b.waitText("#note-version", "4")
	b.waitText("#note-body", "Bread (from tab 1)")
	b.waitText("#note-title", "Groceries for the weekend")

	// Conflict 2: tab 1 edits version 4 while tab 2 saves version 5; tab 1 loads the
	// latest, keeps its own text visible, and saves on top of version 5.
	b.click("#edit-note")
	b.waitVisible("#note-title-input")
	b2.click("#edit-note")
	b2.waitText("#editing-version", "4")
	b2.setValue("#note-title-input", "Groceries, second edit from tab 2")
	b2.click("#save-note")
	b2.waitText("#note-version", "5")

	b.setValue("#note-title-input", "Tab 1 draft title")
	b.click("#save-note")
	b.waitVisible("#conflict-reload")
	b.click("#conflict-reload")
	b.waitText("#editing-version", "5")
	if v := b.value("#note-title-input"); v != "Groceries, second edit from tab 2" {
		b.fatal("after loading the latest, the title is %q", v)
	}
	if v := b.value("#discarded-text"); !strings.Contains(v, "Tab 1 draft title") {
		b.fatal("the replaced draft is not kept for copying: %q", v)
	}
	b.setValue("#note-tags-input", "home, weekly, shared")
	b.click("#save-note")
	b.waitText("#note-version", "6")
	b.waitText(".note .tags", "#shared")

	// Delete.
	b.click("#delete-note")
	b.waitVisible("#confirm-delete")
	b.click("#confirm-delete")
	b.waitText("h1", "My notes")
	b.waitGone(fmt.Sprintf(`#note-list li[data-id="%s"]`, id))
	b.waitText("#status", "Deleted")
	if status, _ := apiCall(t, "GET", "/api/notes/"+id, bearer(t, "alice"), nil); status != http.StatusNotFound {
		t.Errorf("deleted note: GET %d, want 404", status)
	}
	b.screenshot("main-flow.png")

	// Sign out: the app forgets the tokens and the issuer's session ends.
	b.click("#sign-out")
	b.waitVisible("#sign-in")
	b.waitGone("#user-name")
	b.click("#sign-in")
	b.waitVisible("#username") // the form again: the session is gone
	t.Logf("main flow took %s", time.Since(start).Round(time.Millisecond))
}

// TestDeepLinkReload: reloading /notes/{id} still shows the app (the server answers deep
// links with index.html), which signs in again and comes back to the note.
func TestDeepLinkReload(t *testing.T) {
	browserTier(t)
	b := newBrowser(t, "tab")
	b.navigate(srv.URL + "/")
	b.signIn("dana")
	id := b.createNote("Deep link", "Reload me.", "")

	b.do("reload", chromedpReload())
	b.waitText("#brand", "Notes")
	b.waitText("h1", "Sign in to continue")
	b.signIn("dana")
	b.waitText("#note-title", "Deep link")
	if p := b.path(); p != "/notes/"+id {
		b.fatal("after reload and sign-in at %q, want /notes/%s", p, id)
	}

	// A brand-new browser opening a deep link directly gets the app shell, with the CSP.
	c := newBrowser(t, "fresh")
	resp := navigateResponse(c, srv.URL+"/notes/"+id+"/edit")
	if resp.status != 200 || !strings.Contains(resp.csp, "script-src 'self'") {
		c.fatal("deep link: status %d CSP %q", resp.status, resp.csp)
	}
	c.waitText("h1", "Sign in to continue")
	c.navigate(srv.URL + "/no/such/page")
	c.waitText("h1", "Page not found")
}

// TestPagingAndTags: next and previous pages through list cursors, and the tag filter.
func TestPagingAndTags(t *testing.T) {
	browserTier(t)
	var notes []map[string]any
	for i := 1; i <= 12; i++ {
		tags := []string{"odd"}
		if i%2 == 0 {
			tags = []string{"even"}
		}
		notes = append(notes, map[string]any{"title": fmt.Sprintf("Note %02d", i), "body": "x", "tags": tags})
	}
	seedNotes(t, "pat", notes...)
	b := newBrowser(t, "tab")
	b.navigate(srv.URL + "/")
	b.signIn("pat")
	count := func() int { return eval[int](b, `document.querySelectorAll('#note-list > li').length`) }

	b.waitText("#note-list", "Note 12")
	if n := count(); n != 10 {
		b.fatal("page 1 lists %d notes, want 10", n)
	}
	if eval[bool](b, `document.querySelector('#prev-page').disabled`) != true {
		b.fatal("Previous is enabled on page 1")
	}
	b.click("#next-page")
	b.waitText(".pager__label", "Page 2")
	b.waitText("#note-list", "Note 01")
	if n := count(); n != 2 {
		b.fatal("page 2 lists %d notes, want 2", n)
	}
	if eval[bool](b, `document.querySelector('#next-page').disabled`) != true {
		b.fatal("Next is enabled on the last page")
	}
	b.click("#prev-page")
	b.waitText(".pager__label", "Page 1")
	b.waitText("#note-list", "Note 12")

	b.click(`#note-list a.tag[href="/?tag=even"]`)
	b.waitText("h1", "Notes tagged “even”")
	b.waitJS("six even notes", `document.querySelectorAll('#note-list > li').length === 6`)
	if eval[bool](b, `!!document.querySelector('.pager')`) {
		b.fatal("a single page of results shows a pager")
	}

	// A phone-sized viewport: the layout must not scroll sideways.
	b.do("phone viewport", chromedp.EmulateViewport(390, 844))
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > 390 {
		b.fatal("page is %dpx wide on a 390px screen", w)
	}
	b.screenshot("phone.png")
}

// TestForgedTokenRefused: the API refuses tampered, forged and unsigned tokens with
// API Gateway's 401, from Go and from the page itself.
func TestForgedTokenRefused(t *testing.T) {
	browserTier(t)
	valid := strings.TrimPrefix(bearer(t, "mallory"), "Bearer ")
	parts := strings.Split(valid, ".")
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	var header map[string]any
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	_ = json.Unmarshal(hb, &header)
	var claims map[string]any
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(cb, &claims)
	claims["sub"] = "someone-else"
	tampered := parts[0] + "." + enc(claims) + "." + parts[2]
	signingInput := parts[0] + "." + enc(claims)
	mac := hmac.New(sha256.New, []byte("guessed-secret"))
	mac.Write([]byte(signingInput))
	forged := signingInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	header["alg"] = "none"
	unsigned := enc(header) + "." + enc(claims) + "."

	if status, body := apiCall(t, "GET", "/api/notes", "Bearer "+valid, nil); status != 200 {
		t.Fatalf("valid token: %d %s", status, body)
	}
	for name, tok := range map[string]string{"tampered": tampered, "forged": forged, "alg none": unsigned, "garbage": "abc"} {
		for _, auth := range []string{"Bearer " + tok, tok} {
			status, body := apiCall(t, "GET", "/api/notes", auth, nil)
			if status != http.StatusUnauthorized || !strings.Contains(body, `{"error":{"code":"unauthorized","message":"Unauthorized"`) {
				t.Errorf("%s token: %d %s, want 401 with code unauthorized", name, status, body)
			}
		}
	}
	if status, _ := apiCall(t, "GET", "/api/notes", "", nil); status != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", status)
	}

	b := newBrowser(t, "tab")
	b.navigate(srv.URL + "/")
	b.waitText("h1", "Your notes")
	got := eval[int](b, fmt.Sprintf(`fetch('/api/notes', {headers: {Authorization: 'Bearer ' + %s}}).then(r => r.status)`, jsString(forged)))
	if got != 401 {
		b.fatal("forged token from the page: %d, want 401", got)
	}
}
