package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/apitest"
	"github.com/example/notesplatform/lambdas/internal/app"
	"github.com/example/notesplatform/lambdas/internal/httpapi"
	"github.com/example/notesplatform/lambdas/internal/memstore"
	"github.com/example/notesplatform/lambdas/internal/notes"
)

const (
	alice = "11111111-aaaa-4aaa-8aaa-111111111111"
	bob   = "22222222-bbbb-4bbb-8bbb-222222222222"
)

// clock is a fake time that moves one millisecond per reading, so ids and timestamps
// are distinct and ordered like real ones.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	h     map[string]app.Handler
	store *memstore.Store
	clock *clock
	logs  *bytes.Buffer
}

func newEnv(t testing.TB, st notes.Store) *env {
	t.Helper()
	e := &env{clock: &clock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}, logs: &bytes.Buffer{}}
	if st == nil {
		e.store = memstore.New()
		st = e.store
	}
	var logTo io.Writer = e.logs
	if _, bench := t.(*testing.B); bench {
		logTo = io.Discard // still formats every log line, without an ever-growing buffer
	}
	e.h = app.Handlers(app.Deps{
		AppName: "notes", Environment: "test", Version: "v1.2.3",
		Store:     st,
		CursorKey: app.StaticCursorKey([]byte("0123456789abcdef0123456789abcdef")),
		Now:       e.clock.Now,
		Logger:    httpapi.NewLogger(logTo),
	})
	return e
}

// functionFor picks the function that API Gateway (or the local server) would invoke:
// the one serving method+path, or any function serving the path when the method is
// unknown, or Health for unknown paths.
func functionFor(method, path string) string {
	ev := apitest.Event(apitest.Req{Method: method, Path: path, Gateway: true})
	fallback := "Health"
	for _, r := range api.Routes {
		if r.Path == ev.Resource {
			if string(r.Method) == method {
				return r.Function
			}
			fallback = r.Function
		}
	}
	return fallback
}

func (e *env) do(t testing.TB, r apitest.Req) events.APIGatewayProxyResponse {
	t.Helper()
	resp, err := e.h[functionFor(r.Method, r.Path)](context.Background(), apitest.Event(r))
	require.NoError(t, err, "handlers never return Go errors")
	return resp
}

func (e *env) create(t testing.TB, sub, title string, tags ...string) notes.Note {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"title": title, "body": "b", "tags": append([]string{}, tags...)})
	resp := e.do(t, apitest.Req{Method: "POST", Path: "/notes", Sub: sub, Body: string(body), Headers: apitest.JSON})
	require.Equal(t, 201, resp.StatusCode, resp.Body)
	var n notes.Note
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &n))
	return n
}

func noteJSON(title string) string {
	b, _ := json.Marshal(map[string]any{"title": title})
	return string(b)
}

func TestHandlersCoverEveryFunction(t *testing.T) {
	h := app.Handlers(app.Deps{})
	require.Len(t, h, len(api.Functions))
	for _, f := range api.Functions {
		assert.NotNil(t, h[f.Name], f.Name)
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t, nil)
	resp := e.do(t, apitest.Req{Method: "GET", Path: "/health"})
	require.Equal(t, 200, resp.StatusCode)
	assert.JSONEq(t, `{"app":"notes","environment":"test","version":"v1.2.3"}`, resp.Body)
	assert.Equal(t, "application/json", resp.Headers["Content-Type"])
	assert.Equal(t, "no-store", resp.Headers["Cache-Control"])
}

func TestCreateGetUpdateDelete(t *testing.T) {
	for _, gateway := range []bool{false, true} {
		t.Run(fmt.Sprintf("gateway=%v", gateway), func(t *testing.T) {
			e := newEnv(t, nil)
			resp := e.do(t, apitest.Req{Method: "POST", Path: "/notes", Sub: alice, Gateway: gateway,
				Headers: apitest.JSON, Body: `{"title":"Hello ✓","body":"text","tags":["a","b-2"]}`})
			require.Equal(t, 201, resp.StatusCode, resp.Body)
			var n map[string]any
			require.NoError(t, json.Unmarshal([]byte(resp.Body), &n))
			keys := make([]string, 0, len(n))
			for k := range n {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			assert.Equal(t, []string{"body", "createdAt", "id", "tags", "title", "updatedAt", "version"}, keys)
			id := n["id"].(string)
			assert.True(t, notes.ValidID(id), id)
			assert.Equal(t, "/api/notes/"+id, resp.Headers["Location"])
			assert.Equal(t, `"1"`, resp.Headers["ETag"])
			assert.Equal(t, "Hello ✓", n["title"])
			assert.Equal(t, []any{"a", "b-2"}, n["tags"])
			assert.EqualValues(t, 1, n["version"])

			resp = e.do(t, apitest.Req{Method: "GET", Path: "/notes/" + id, Sub: alice, Gateway: gateway})
			require.Equal(t, 200, resp.StatusCode, resp.Body)
			assert.Equal(t, `"1"`, resp.Headers["ETag"])

			resp = e.do(t, apitest.Req{Method: "PUT", Path: "/notes/" + id, Sub: alice, Gateway: gateway,
				Headers: apitest.With("if-match", `"1"`), Body: `{"title":"Changed"}`})
			require.Equal(t, 200, resp.StatusCode, resp.Body)
			assert.Equal(t, `"2"`, resp.Headers["ETag"])
			var upd notes.Note
			require.NoError(t, json.Unmarshal([]byte(resp.Body), &upd))
			assert.Equal(t, "Changed", upd.Title)
			assert.Equal(t, "", upd.Body)
			assert.Equal(t, []string{}, upd.Tags)
			assert.EqualValues(t, 2, upd.Version)
			assert.True(t, upd.UpdatedAt.After(upd.CreatedAt.Time))

			// If-Match: * replaces whatever version is current.
			resp = e.do(t, apitest.Req{Method: "PUT", Path: "/notes/" + id, Sub: alice, Gateway: gateway,
				Headers: apitest.With("If-Match", `*`), Body: `{"title":"Any"}`})
			require.Equal(t, 200, resp.StatusCode, resp.Body)
			assert.Equal(t, `"3"`, resp.Headers["ETag"])

			for range 2 { // idempotent
				resp = e.do(t, apitest.Req{Method: "DELETE", Path: "/notes/" + id, Sub: alice, Gateway: gateway})
				require.Equal(t, 204, resp.StatusCode, resp.Body)
				assert.Empty(t, resp.Body)
			}
			resp = e.do(t, apitest.Req{Method: "GET", Path: "/notes/" + id, Sub: alice, Gateway: gateway})
			assert.Equal(t, 404, resp.StatusCode)
		})
	}
}

func TestBase64BodyAndHeaderCase(t *testing.T) {
	e := newEnv(t, nil)
	resp := e.do(t, apitest.Req{Method: "POST", Path: "/notes", Sub: alice, Base64: true,
		Headers: map[string]string{"CONTENT-TYPE": "application/json; charset=UTF-8"}, Body: noteJSON("b64")})
	require.Equal(t, 201, resp.StatusCode, resp.Body)

	ev := apitest.Event(apitest.Req{Method: "PUT", Path: "/notes/" + strings.TrimPrefix(resp.Headers["Location"], "/api/notes/"), Sub: alice, Body: noteJSON("mv")})
	ev.MultiValueHeaders = map[string][]string{"content-type": {"application/json"}, "IF-MATCH": {`"1"`}}
	out, err := e.h["NotesWrite"](context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, 200, out.StatusCode, out.Body)
}

func TestListPagesNewestFirstWithTagFilter(t *testing.T) {
	e := newEnv(t, nil)
	var ids []string
	for i := range 7 {
		tags := []string{"all"}
		if i%2 == 0 {
			tags = append(tags, "even")
		}
		ids = append(ids, e.create(t, alice, fmt.Sprintf("n%d", i), tags...).ID)
	}
	e.create(t, bob, "bob's")
	slices.Reverse(ids)

	collect := func(query map[string]string) (got []string, pages int) {
		q := map[string]string{}
		for k, v := range query {
			q[k] = v
		}
		for {
			resp := e.do(t, apitest.Req{Method: "GET", Path: "/notes", Sub: alice, Query: q})
			require.Equal(t, 200, resp.StatusCode, resp.Body)
			var p notes.Page
			require.NoError(t, json.Unmarshal([]byte(resp.Body), &p))
			pages++
			for _, n := range p.Items {
				got = append(got, n.ID)
			}
			if p.NextCursor == "" {
				return got, pages
			}
			q["cursor"] = p.NextCursor
		}
	}
	got, pages := collect(map[string]string{"limit": "3"})
	assert.Equal(t, ids, got)
	assert.Equal(t, 3, pages)

	got, _ = collect(nil)
	assert.Equal(t, ids, got, "default limit holds all seven")

	got, pages = collect(map[string]string{"limit": "2", "tag": "even"})
	assert.Equal(t, []string{ids[0], ids[2], ids[4], ids[6]}, got)
	assert.Equal(t, 2, pages)

	resp := e.do(t, apitest.Req{Method: "GET", Path: "/notes", Sub: bob})
	assert.Contains(t, resp.Body, "bob's")
	assert.NotContains(t, resp.Body, `"n1"`)

	resp = e.do(t, apitest.Req{Method: "GET", Path: "/notes", Sub: "nobody"})
	assert.JSONEq(t, `{"items":[]}`, resp.Body)
}

func TestIdempotentCreate(t *testing.T) {
	e := newEnv(t, nil)
	req := apitest.Req{Method: "POST", Path: "/notes", Sub: alice,
		Headers: apitest.With("Idempotency-Key", "k-1"), Body: `{"title":"once","tags":["x"]}`}
	first := e.do(t, req)
	require.Equal(t, 201, first.StatusCode, first.Body)

	// The same request with other whitespace and key order is the same request.
	req.Body = ` { "tags" : ["x"], "title":"once" } `
	again := e.do(t, req)
	require.Equal(t, 201, again.StatusCode, again.Body)
	assert.Equal(t, first.Body, again.Body)
	assert.Equal(t, first.Headers["Location"], again.Headers["Location"])
	assert.Equal(t, "true", again.Headers["Idempotent-Replayed"])

	list := e.do(t, apitest.Req{Method: "GET", Path: "/notes", Sub: alice})
	assert.Equal(t, 1, strings.Count(list.Body, `"id"`), "a retry creates nothing")

	// Keys are per user: bob's k-1 is another request.
	other := e.do(t, apitest.Req{Method: "POST", Path: "/notes", Sub: bob, Headers: req.Headers, Body: req.Body})
	require.Equal(t, 201, other.StatusCode)
	assert.NotEqual(t, first.Body, other.Body)

	// After the TTL the key is free again.
	e.clock.Advance(notes.IdempotencyTTL + time.Second)
	later := e.do(t, req)
	require.Equal(t, 201, later.StatusCode)
	assert.NotEqual(t, first.Body, later.Body)
	assert.Empty(t, later.Headers["Idempotent-Replayed"])
}

func TestIdempotentCreateFinishesAnAbandonedAttempt(t *testing.T) {
	e := newEnv(t, nil)
	now := e.clock.Now()
	// The first attempt wrote its pending record and died before writing the note.
	n := notes.Note{ID: (&notes.IDs{}).New(now), Title: "t", Tags: []string{}, CreatedAt: notes.At(now), UpdatedAt: notes.At(now), Version: 1}
	body := `{"title":"t"}`
	rec := notes.Idempotency{Key: "k", RequestHash: notes.Input{Title: "t"}.Hash(), Note: n,
		CreatedAt: now, ExpiresAt: now.Add(notes.IdempotencyTTL)}
	require.NoError(t, e.store.PutIdempotency(context.Background(), alice, rec, now))

	req := apitest.Req{Method: "POST", Path: "/notes", Sub: alice, Headers: apitest.With("Idempotency-Key", "k"), Body: body}
	resp := e.do(t, req)
	assert.Equal(t, 409, resp.StatusCode, "a young pending record is in progress: %s", resp.Body)

	e.clock.Advance(notes.PendingTimeout)
	resp = e.do(t, req)
	require.Equal(t, 201, resp.StatusCode, resp.Body)
	assert.Contains(t, resp.Body, n.ID)
	got := e.do(t, apitest.Req{Method: "GET", Path: "/notes/" + n.ID, Sub: alice})
	assert.Equal(t, 200, got.StatusCode, "the retry wrote the note")
	resp = e.do(t, req)
	assert.Equal(t, 201, resp.StatusCode)
	assert.Equal(t, 1, strings.Count(e.do(t, apitest.Req{Method: "GET", Path: "/notes", Sub: alice}).Body, `"id"`))
}

// errStore fails or panics on every list, to prove failures become 500s in the error
// shape without leaking details.
type errStore struct {
	notes.Store
	panics bool
}

func (s errStore) ListNotes(context.Context, string, notes.ListQuery) ([]notes.Note, string, error) {
	if s.panics {
		panic("secret-panic-detail")
	}
	return nil, "", errors.New("dynamodb: table arn:aws:secret-detail unavailable")
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	for _, panics := range []bool{false, true} {
		e := newEnv(t, errStore{Store: memstore.New(), panics: panics})
		resp := e.do(t, apitest.Req{Method: "GET", Path: "/notes", Sub: alice})
		require.Equal(t, 500, resp.StatusCode)
		code, err := apitest.CheckError(resp)
		require.NoError(t, err)
		assert.Equal(t, api.CodeInternal, code)
		assert.NotContains(t, resp.Body, "secret")
		assert.Contains(t, resp.Body, "test-request-id")
		if panics {
			assert.Contains(t, e.logs.String(), "handler panicked")
			assert.NotContains(t, e.logs.String(), "secret-panic-detail")
		} else {
			assert.Contains(t, e.logs.String(), "request failed")
		}
	}
}

func TestLogsAreJSONWithoutContents(t *testing.T) {
	e := newEnv(t, nil)
	e.create(t, alice, "private title")
	lines := strings.Split(strings.TrimSpace(e.logs.String()), "\n")
	require.NotEmpty(t, lines)
	for _, l := range lines {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		assert.Equal(t, "test-request-id", m["requestId"])
	}
	assert.NotContains(t, e.logs.String(), "private title")
	assert.NotContains(t, e.logs.String(), alice)
}

func TestErrors(t *testing.T) {
	e := newEnv(t, nil)
	n := e.create(t, alice, "mine")
	e.create(t, alice, "second")
	bobs := e.create(t, bob, "bob's")
	// Put alice's key k-busy in progress and k-used to another body.
	require.Equal(t, 201, e.do(t, apitest.Req{Method: "POST", Path: "/notes", Sub: alice,
		Headers: apitest.With("Idempotency-Key", "k-used"), Body: noteJSON("first")}).StatusCode)
	now := e.clock.Now()
	require.NoError(t, e.store.PutIdempotency(context.Background(), alice, notes.Idempotency{
		Key: "k-busy", RequestHash: notes.Input{Title: "x"}.Hash(), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, now))
	var page notes.Page
	require.NoError(t, json.Unmarshal([]byte(e.do(t, apitest.Req{Method: "GET", Path: "/notes", Sub: bob, Query: map[string]string{"limit": "1"}}).Body), &page))
	e.create(t, bob, "bob's second")
	require.NoError(t, json.Unmarshal([]byte(e.do(t, apitest.Req{Method: "GET", Path: "/notes", Sub: bob, Query: map[string]string{"limit": "1"}}).Body), &page))
	require.NotEmpty(t, page.NextCursor)
	bobCursor := page.NextCursor
	tampered := []byte(bobCursor)
	tampered[5] ^= 1

	missing := (&notes.IDs{}).New(time.Now())
	big := strings.Repeat("x", api.MaxRequestBytes+1)
	post := func(body string) apitest.Req {
		return apitest.Req{Method: "POST", Path: "/notes", Sub: alice, Headers: apitest.JSON, Body: body}
	}
	put := func(id, ifMatch, body string) apitest.Req {
		h := apitest.JSON
		if ifMatch != "" {
			h = apitest.With("If-Match", ifMatch)
		}
		return apitest.Req{Method: "PUT", Path: "/notes/" + id, Sub: alice, Headers: h, Body: body}
	}
	tags := func(tt ...string) string {
		b, _ := json.Marshal(map[string]any{"title": "t", "tags": tt})
		return string(b)
	}
	many := make([]string, api.MaxTags+1)
	for i := range many {
		many[i] = fmt.Sprintf("t%d", i)
	}
	withReq := func(r apitest.Req, f func(*apitest.Req)) apitest.Req { f(&r); return r }

	cases := []struct {
		name   string
		req    apitest.Req
		status int
		code   api.ErrorCode
	}{
		{"unknown path", apitest.Req{Method: "GET", Path: "/nope", Sub: alice}, 404, "not_found"},
		{"root path", apitest.Req{Method: "GET", Path: "/"}, 404, "not_found"},
		{"empty segment", apitest.Req{Method: "GET", Path: "/notes//x", Sub: alice}, 404, "not_found"},
		{"unknown method", apitest.Req{Method: unserved("/notes"), Path: "/notes", Sub: alice}, 405, "method_not_allowed"},
		{"unknown method on id", apitest.Req{Method: unserved("/notes/{id}"), Path: "/notes/" + n.ID, Sub: alice}, 405, "method_not_allowed"},
		{"unknown method on health", apitest.Req{Method: unserved("/health"), Path: "/health"}, 405, "method_not_allowed"},
		{"list without sub", apitest.Req{Method: "GET", Path: "/notes"}, 401, "unauthorized"},
		{"get without sub", apitest.Req{Method: "GET", Path: "/notes/" + n.ID}, 401, "unauthorized"},
		{"post without sub", apitest.Req{Method: "POST", Path: "/notes", Headers: apitest.JSON, Body: noteJSON("x")}, 401, "unauthorized"},
		{"put without sub", apitest.Req{Method: "PUT", Path: "/notes/" + n.ID, Headers: apitest.With("If-Match", `"1"`), Body: noteJSON("x")}, 401, "unauthorized"},
		{"delete without sub", apitest.Req{Method: "DELETE", Path: "/notes/" + n.ID}, 401, "unauthorized"},
		{"no content type", withReq(post(noteJSON("x")), func(r *apitest.Req) { r.Headers = nil }), 415, "unsupported_media_type"},
		{"text content type", withReq(post(noteJSON("x")), func(r *apitest.Req) { r.Headers = map[string]string{"Content-Type": "text/plain"} }), 415, "unsupported_media_type"},
		{"latin1 charset", withReq(post(noteJSON("x")), func(r *apitest.Req) {
			r.Headers = map[string]string{"Content-Type": "application/json; charset=latin1"}
		}), 415, "unsupported_media_type"},
		{"put text content type", withReq(put(n.ID, `"1"`, noteJSON("x")), func(r *apitest.Req) { r.Headers = map[string]string{"If-Match": `"1"`} }), 415, "unsupported_media_type"},
		{"too large", post(big), 413, "payload_too_large"},
		{"too large base64", withReq(post(big), func(r *apitest.Req) { r.Base64 = true }), 413, "payload_too_large"},
		{"put too large", put(n.ID, `"1"`, big), 413, "payload_too_large"},
		{"empty body", post(""), 400, "bad_request"},
		{"invalid JSON", post(`{"title":`), 400, "bad_request"},
		{"array body", post(`["title"]`), 400, "bad_request"},
		{"unknown field", post(`{"title":"t","owner":"bob"}`), 400, "bad_request"},
		{"field case", post(`{"TITLE":"t"}`), 400, "bad_request"},
		{"duplicate field", post(`{"title":"t","title":"u"}`), 400, "bad_request"},
		{"null title", post(`{"title":null}`), 400, "bad_request"},
		{"null tags", post(`{"title":"t","tags":null}`), 400, "bad_request"},
		{"title number", post(`{"title":5}`), 400, "bad_request"},
		{"tags string", post(`{"title":"t","tags":"a"}`), 400, "bad_request"},
		{"trailing data", post(`{"title":"t"} {}`), 400, "bad_request"},
		{"missing title", post(`{"body":"b"}`), 400, "bad_request"},
		{"invalid UTF-8", post("{\"title\":\"\xff\"}"), 400, "bad_request"},
		{"invalid base64", withReq(post(noteJSON("x")), func(r *apitest.Req) {
			r.Base64 = false
			r.Body = "%%%"
		}), 400, "bad_request"},
		{"empty title", post(`{"title":""}`), 400, "validation_failed"},
		{"long title", post(noteJSON(strings.Repeat("é", api.MaxTitleChars+1))), 400, "validation_failed"},
		{"long body", post(`{"title":"t","body":"` + strings.Repeat("b", api.MaxBodyBytes+1) + `"}`), 400, "validation_failed"},
		{"too many tags", post(tags(many...)), 400, "validation_failed"},
		{"upper-case tag", post(tags("Work")), 400, "validation_failed"},
		{"empty tag", post(tags("")), 400, "validation_failed"},
		{"long tag", post(tags(strings.Repeat("a", api.MaxTagChars+1))), 400, "validation_failed"},
		{"duplicate tags", post(tags("a", "a")), 400, "validation_failed"},
		{"bad idempotency key", withReq(post(noteJSON("x")), func(r *apitest.Req) { r.Headers = apitest.With("Idempotency-Key", "has space") }), 400, "bad_request"},
		{"empty idempotency key", withReq(post(noteJSON("x")), func(r *apitest.Req) { r.Headers = apitest.With("Idempotency-Key", "") }), 400, "bad_request"},
		{"key reused", withReq(post(noteJSON("other")), func(r *apitest.Req) { r.Headers = apitest.With("idempotency-key", "k-used") }), 422, "unprocessable_entity"},
		{"key in progress", withReq(post(noteJSON("x")), func(r *apitest.Req) { r.Headers = apitest.With("Idempotency-Key", "k-busy") }), 409, "conflict"},
		{"limit zero", apitest.Req{Method: "GET", Path: "/notes", Sub: alice, Query: map[string]string{"limit": "0"}}, 400, "validation_failed"},
		{"limit too big", apitest.Req{Method: "GET", Path: "/notes", Sub: alice, Query: map[string]string{"limit": "101"}}, 400, "validation_failed"},
		{"limit text", apitest.Req{Method: "GET", Path: "/notes", Sub: alice, Query: map[string]string{"limit": "ten"}}, 400, "validation_failed"},
		{"unknown query", apitest.Req{Method: "GET", Path: "/notes", Sub: alice, Query: map[string]string{"limt": "5"}}, 400, "bad_request"},
		{"query on get", apitest.Req{Method: "GET", Path: "/notes/" + n.ID, Sub: alice, Query: map[string]string{"x": "1"}}, 400, "bad_request"},
		{"bad tag filter", apitest.Req{Method: "GET", Path: "/notes", Sub: alice, Query: map[string]string{"tag": "Bad!"}}, 400, "validation_failed"},
		{"garbage cursor", apitest.Req{Method: "GET", Path: "/notes", Sub: alice, Query: map[string]string{"cursor": "abc"}}, 400, "bad_request"},
		{"tampered cursor", apitest.Req{Method: "GET", Path: "/notes", Sub: bob, Query: map[string]string{"cursor": string(tampered)}}, 400, "bad_request"},
		{"another user's cursor", apitest.Req{Method: "GET", Path: "/notes", Sub: alice, Query: map[string]string{"cursor": bobCursor}}, 400, "bad_request"},
		{"cursor with another tag", apitest.Req{Method: "GET", Path: "/notes", Sub: bob, Query: map[string]string{"cursor": bobCursor, "tag": "x"}}, 400, "bad_request"},
		{"get another user's note", apitest.Req{Method: "GET", Path: "/notes/" + bobs.ID, Sub: alice}, 404, "not_found"},
		{"get missing note", apitest.Req{Method: "GET", Path: "/notes/" + missing, Sub: alice}, 404, "not_found"},
		{"get malformed id", apitest.Req{Method: "GET", Path: "/notes/..%2f", Sub: alice}, 404, "not_found"},
		{"put without If-Match", put(n.ID, "", noteJSON("x")), 428, "precondition_required"},
		{"put stale version", put(n.ID, `"7"`, noteJSON("x")), 412, "precondition_failed"},
		{"put weak ETag", put(n.ID, `W/"1"`, noteJSON("x")), 412, "precondition_failed"},
		{"put malformed If-Match", put(n.ID, `1`, noteJSON("x")), 400, "bad_request"},
		{"put invalid body", put(n.ID, `"1"`, `{"title":""}`), 400, "validation_failed"},
		{"put another user's note", put(bobs.ID, `"1"`, noteJSON("x")), 404, "not_found"},
		{"put missing note", put(missing, `"1"`, noteJSON("x")), 404, "not_found"},
		{"put malformed id", put("nope", `"1"`, noteJSON("x")), 404, "not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, gateway := range []bool{false, true} {
				tc.req.Gateway = gateway
				resp := e.do(t, tc.req)
				require.Equal(t, tc.status, resp.StatusCode, "gateway=%v: %s", gateway, resp.Body)
				code, err := apitest.CheckError(resp)
				require.NoError(t, err)
				assert.Equal(t, tc.code, code)
				if tc.status == 405 {
					assert.NotEmpty(t, resp.Headers["Allow"])
				}
			}
		})
	}
	// Nothing above changed alice's note or let bob's be touched.
	resp := e.do(t, apitest.Req{Method: "GET", Path: "/notes/" + n.ID, Sub: alice})
	assert.Equal(t, `"1"`, resp.Headers["ETag"])
	resp = e.do(t, apitest.Req{Method: "DELETE", Path: "/notes/" + bobs.ID, Sub: alice})
	assert.Equal(t, 204, resp.StatusCode, "delete is idempotent and scoped to the caller")
	resp = e.do(t, apitest.Req{Method: "GET", Path: "/notes/" + bobs.ID, Sub: bob})
	assert.Equal(t, 200, resp.StatusCode, "alice's delete did not touch bob's note")
}

// The 405 answer is the one the local server and the deployed API's mock give: the
// methods of the path sorted, ", "-separated, and the shared message. Every path of the
// table is asked with a method it does not serve.
func TestAllowHeader(t *testing.T) {
	e := newEnv(t, nil)
	for i, path := range api.Shipped().Paths() {
		var methods []string
		for _, r := range api.Routes {
			if r.Path == path {
				methods = append(methods, string(r.Method))
			}
		}
		slices.Sort(methods)
		method := unserved(path)
		resp := e.do(t, apitest.Req{Method: method, Path: concrete(path), Sub: alice, Gateway: i%2 == 1})
		assert.Equal(t, 405, resp.StatusCode, "%s %s: %s", method, path, resp.Body)
		assert.Equal(t, strings.Join(methods, ", "), resp.Headers["Allow"], path)
		assert.Contains(t, resp.Body, `"message":"method `+method+` is not allowed on `+path+`"`)
	}
}

// unserved is a method that the route table does not serve on path.
func unserved(path string) string {
	for _, m := range []string{"PATCH", "POST", "PUT", "DELETE", "GET"} {
		if !slices.ContainsFunc(api.Routes, func(r api.Route) bool { return r.Path == path && string(r.Method) == m }) {
			return m
		}
	}
	panic("every method is served on " + path)
}

// concrete fills a path template's parameters with a value.
func concrete(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = "x" + fmt.Sprint(i)
		}
	}
	return strings.Join(segs, "/")
}

// The handlers serve the table they are given: a route the table adds without a handler
// stops Handlers, so does a handler whose route the table leaves out, and a function
// serves only the paths of its table (404 for the others).
func TestHandlersServeTheTableTheyAreGiven(t *testing.T) {
	shipped := api.Shipped()
	const path = "/handlers-test/{id}/unserved"
	if _, _, ok := shipped.Match(concrete(path)); ok {
		t.Fatalf("the test's path %s is in the route table: pick another", path)
	}
	fn := shipped.Routes[0].Function
	extra := api.Shipped()
	extra.Routes = append(slices.Clone(extra.Routes), api.Route{Method: api.MethodGet, Path: path, Function: fn, Auth: api.User})
	assert.PanicsWithValue(t, "app: function "+fn+": route GET "+path+" has no handler", func() {
		app.Handlers(app.Deps{Table: extra})
	})

	for i, r := range shipped.Routes {
		fewer := api.Shipped()
		fewer.Routes = slices.Delete(slices.Clone(fewer.Routes), i, i+1)
		assert.Panics(t, func() { app.Handlers(app.Deps{Table: fewer}) }, "the %s %s handler has no route", r.Method, r.Path)
	}

	only := shipped.Functions[0]
	alone := api.Table{Functions: []api.Function{only}, Routes: shipped.RoutesOf(only.Name), Models: shipped.Models}
	h := app.Handlers(app.Deps{Table: alone})
	require.Len(t, h, 1)
	others := 0
	for _, r := range shipped.Routes {
		if _, _, served := alone.Match(concrete(r.Path)); served {
			continue
		}
		others++
		resp, err := h[only.Name](context.Background(), apitest.Event(apitest.Req{Method: string(r.Method), Path: concrete(r.Path), Sub: alice}))
		require.NoError(t, err)
		assert.Equal(t, 404, resp.StatusCode, "%s is not in a table of %s alone", r.Path, only.Name)
	}
	assert.NotZero(t, others, "no path of another function to ask %s for", only.Name)
}

func TestUnauthorizedClaims(t *testing.T) {
	e := newEnv(t, nil)
	for name, claims := range map[string]any{
		"no claims":      nil,
		"claims not map": "sub=alice",
		"empty sub":      map[string]any{"sub": ""},
		"sub not string": map[string]any{"sub": 42},
		"control char":   map[string]any{"sub": "a\nb"},
		"too long":       map[string]any{"sub": strings.Repeat("a", httpapi.MaxCallerLen+1)},
	} {
		ev := apitest.Event(apitest.Req{Method: "GET", Path: "/notes"})
		ev.RequestContext.Authorizer = map[string]any{"claims": claims}
		// A sub in a header or the query must never count.
		ev.Headers = map[string]string{"X-User-Sub": alice}
		resp, err := e.h["NotesRead"](context.Background(), ev)
		require.NoError(t, err)
		assert.Equal(t, 401, resp.StatusCode, name)
	}
	ev := apitest.Event(apitest.Req{Method: "GET", Path: "/notes"})
	ev.RequestContext.Authorizer = map[string]any{"claims": map[string]string{"sub": alice}}
	resp, err := e.h["NotesRead"](context.Background(), ev)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode, "string-valued claims maps are accepted too")
}

func TestHandlersWithoutStoreAre500(t *testing.T) {
	h := app.Handlers(app.Deps{})
	resp, err := h["NotesRead"](context.Background(), apitest.Event(apitest.Req{Method: "GET", Path: "/notes", Sub: alice}))
	require.NoError(t, err)
	assert.Equal(t, 500, resp.StatusCode)
}
