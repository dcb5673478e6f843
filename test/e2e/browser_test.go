package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// stepTimeout bounds one wait; testTimeout one whole test.
const (
	stepTimeout = 10 * time.Second
	testTimeout = 60 * time.Second
)

// tab is one browser tab with helpers that fail the test (after a screenshot) on error.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// newBrowser opens a tab in a fresh browser context (its own cookies and storage, like a
// new private window).
func newBrowser(t *testing.T, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	return openTab(t, name, ctx)
}

// newTab opens another tab in the same browser context as b: same cookies, like a
// second tab of the same window.
func (b *tab) newTab(name string) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	return openTab(b.t, name, ctx)
}

func openTab(t *testing.T, name string, ctx context.Context) *tab {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1200, 860)); err != nil {
		t.Fatalf("%s: open tab: %v", name, err)
	}
	tctx, cancel := context.WithTimeout(ctx, testTimeout)
	t.Cleanup(cancel)
	b := &tab{t: t, name: name, ctx: tctx}
	msgs := chromedp.Console(tctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(b.checkConsole)
	return b
}

// checkConsole fails the test on uncaught exceptions and Content-Security-Policy
// violations. Failed requests (the expected 401 and 412 answers) are not errors of the
// page and are ignored.
func (b *tab) checkConsole() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		csp := strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Content-Security-Policy")
		if m.IsException() || csp {
			b.t.Errorf("%s: browser console: %s (%s:%d)", b.name, m, m.URL, m.Line)
		}
	}
}

func (b *tab) fatal(format string, args ...any) {
	b.t.Helper()
	b.mu.Lock()
	for _, m := range b.console {
		b.t.Logf("%s console: %s (%s:%d)", b.name, m, m.URL, m.Line)
	}
	b.mu.Unlock()
	b.screenshot(fmt.Sprintf("failure-%s-%s.png", sanitize(b.t.Name()), b.name))
	b.t.Fatalf(b.name+": "+format, args...)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func sanitize(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

// screenshot writes a PNG of the viewport to test/e2e/artifacts/name and returns it.
func (b *tab) screenshot(name string) []byte {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Logf("%s: screenshot %s: %v", b.name, name, err)
		return nil
	}
	p := filepath.Join(artifacts, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Logf("%s: write %s: %v", b.name, p, err)
	}
	return png
}

func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fatal("%s: %v", what, err)
	}
}

func (b *tab) navigate(url string) {
	b.t.Helper()
	b.do("navigate to "+url, chromedp.Navigate(url))
}

func (b *tab) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// setValue replaces the value of an input or textarea, as if the user had typed it.
// (chromedp.SetValue refuses an empty value, so this sets it from JavaScript.)
func (b *tab) setValue(sel, value string) {
	b.t.Helper()
	b.waitVisible(sel)
	ok := eval[bool](b, fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return false;
		e.value = %s; e.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`, jsString(sel), jsString(value)))
	if !ok {
		b.fatal("set %s: no such element", sel)
	}
}

func (b *tab) typeInto(sel, text string) {
	b.t.Helper()
	b.do("type into "+sel, chromedp.Click(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// eval evaluates a JavaScript expression and decodes its JSON value into T.
func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fatal("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS waits until the expression is truthy. It re-evaluates through navigations (a
// destroyed execution context is just "not yet").
func (b *tab) waitJS(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+expr+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		lastErr = err
		if time.Now().After(deadline) || b.ctx.Err() != nil {
			b.fatal("timed out waiting for %s (%s); last error: %v; page: %s", what, expr, lastErr, b.summary())
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// summary describes the page for failure messages.
func (b *tab) summary() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`location.href + ' | ' + (document.querySelector('main') || document.body || {innerText: ''}).innerText.slice(0, 400)`))
	if err != nil {
		return "(unavailable: " + err.Error() + ")"
	}
	return s
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitText waits until the element's text contains want.
func (b *tab) waitText(sel, want string) {
	b.t.Helper()
	b.waitJS(fmt.Sprintf("%s to contain %q", sel, want),
		fmt.Sprintf(`(document.querySelector(%s)?.textContent || '').includes(%s)`, jsString(sel), jsString(want)))
}

func (b *tab) waitVisible(sel string) {
	b.t.Helper()
	b.waitJS(sel+" to be visible", fmt.Sprintf(`(() => { const e = document.querySelector(%s);
		return e && !e.closest('[hidden]') && e.getClientRects().length > 0; })()`, jsString(sel)))
}

func (b *tab) waitGone(sel string) {
	b.t.Helper()
	b.waitJS(sel+" to be gone", fmt.Sprintf(`!document.querySelector(%s)`, jsString(sel)))
}

func (b *tab) value(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`document.querySelector(%s)?.value ?? ''`, jsString(sel)))
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`document.querySelector(%s)?.textContent ?? ''`, jsString(sel)))
}

func (b *tab) path() string {
	b.t.Helper()
	return eval[string](b, `location.pathname`)
}

// signIn signs in from the SPA's sign-in button. The local issuer shows its form unless
// this browser context already has a session there (as Cognito managed login would).
func (b *tab) signIn(user string) {
	b.t.Helper()
	b.waitVisible("#sign-in")
	b.click("#sign-in")
	b.waitJS("the sign-in form or the signed-in app",
		`document.querySelector('#username') || document.querySelector('#user-name')`)
	if eval[bool](b, `!!document.querySelector('#username')`) {
		b.typeInto("#username", user)
		b.click("#sign-in-submit")
	}
	b.waitText("#user-name", user)
}

// createNote creates a note through the form and returns its id.
func (b *tab) createNote(title, body, tags string) string {
	b.t.Helper()
	b.click("#new-note")
	b.waitVisible("#note-title-input")
	b.typeInto("#note-title-input", title)
	b.setValue("#note-body-input", body)
	b.setValue("#note-tags-input", tags)
	b.click("#save-note")
	b.waitText("#note-title", title)
	p := b.path()
	id := strings.TrimPrefix(p, "/notes/")
	if id == p || id == "" || strings.Contains(id, "/") {
		b.fatal("after creating, the path is %q, want /notes/{id}", p)
	}
	return id
}
