package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/apitest"
	"github.com/example/notesplatform/lambdas/internal/notes"
)

// The edge cases of issue 11, at the handler level: what API Gateway would hand the
// functions, answered the way docs/api.md promises.

// A lone UTF-16 surrogate escape cannot be decoded into a Go string without turning it
// into U+FFFD, which would make two different requests the same note: it is refused.
func TestUnpairedSurrogateEscapesAreBadRequests(t *testing.T) {
	e := newEnv(t, nil)
	for name, body := range map[string]string{
		"high alone in title":     `{"title":"\ud800"}`,
		"low alone in title":      `{"title":"\udc00"}`,
		"high then text":          `{"title":"a\uD800b"}`,
		"two highs":               `{"title":"\ud83d\ud83d"}`,
		"reversed pair":           `{"title":"\ude00\ud83d"}`,
		"high then other escape":  `{"title":"\ud83d\n"}`,
		"high at end of body":     `{"title":"t","body":"x\ud800"}`,
		"lone surrogate in a tag": `{"title":"t","tags":["\udfff"]}`,
		"lone surrogate in a key": `{"title":"t","\ud800":1}`,
	} {
		resp := e.do(t, apitest.Req{Method: "POST", Path: "/notes", Sub: alice, Headers: apitest.JSON, Body: body})
		require.Equal(t, 400, resp.StatusCode, "%s: %s", name, resp.Body)
		code, err := apitest.CheckError(resp)
		require.NoError(t, err)
		assert.Equal(t, api.CodeBadRequest, code, name)
	}
	// A surrogate pair is one character; an escaped backslash before "ud800" is text.
	for body, title := range map[string]string{
		`{"title":"\ud83d\ude00"}`:   "😀",
		`{"title":"\uD83D\uDE00!"}`:  "😀!",
		`{"title":"\\ud800"}`:        `\ud800`,
		`{"title":"\\\ud83d\ude00"}`: `\😀`,
	} {
		resp := e.do(t, apitest.Req{Method: "POST", Path: "/notes", Sub: alice, Headers: apitest.JSON, Body: body})
		require.Equal(t, 201, resp.StatusCode, "%s: %s", body, resp.Body)
		var n notes.Note
		require.NoError(t, json.Unmarshal([]byte(resp.Body), &n))
		assert.Equal(t, title, n.Title, body)
	}
	// PUT decodes the same way.
	n := e.create(t, alice, "x")
	resp := e.do(t, apitest.Req{Method: "PUT", Path: "/notes/" + n.ID, Sub: alice,
		Headers: apitest.With("If-Match", `"1"`), Body: `{"title":"\ud800"}`})
	assert.Equal(t, 400, resp.StatusCode, resp.Body)
}

// Paths with empty, "." or ".." segments name no resource: 404 in the error shape, for
// every method (a DELETE of /notes/.. must not answer 204).
func TestNonCanonicalPathsAreNotFound(t *testing.T) {
	e := newEnv(t, nil)
	n := e.create(t, alice, "kept")
	for _, method := range []string{"GET", "POST", "PUT", "DELETE", "PATCH"} {
		for _, path := range []string{
			"", "/", "//notes", "/./notes", "/notes/.", "/notes/..", "/notes/../health",
			"/notes/./" + n.ID, "/notes//" + n.ID, "/notes/" + n.ID + "/..", "/health/.", "//health",
		} {
			for _, gateway := range []bool{false, true} {
				resp := e.do(t, apitest.Req{Method: method, Path: path, Sub: alice, Gateway: gateway,
					Headers: apitest.With("If-Match", `"1"`), Body: noteJSON("x")})
				require.Equal(t, 404, resp.StatusCode, "%s %q (gateway=%v): %s", method, path, gateway, resp.Body)
				code, err := apitest.CheckError(resp)
				require.NoError(t, err)
				assert.Equal(t, api.CodeNotFound, code)
			}
		}
	}
	got := e.do(t, apitest.Req{Method: "GET", Path: "/notes/" + n.ID, Sub: alice})
	assert.Equal(t, `"1"`, got.Headers["ETag"], "none of those requests touched the note")
	// One trailing slash is tolerated, as API Gateway does.
	assert.Equal(t, 200, e.do(t, apitest.Req{Method: "GET", Path: "/notes/" + n.ID + "/", Sub: alice}).StatusCode)
}

// JSON is written without HTML escaping: a note full of < > & is as long on the wire as
// it is in the table (encoding/json's default would write each as six bytes).
func TestResponsesAreNotHTMLEscaped(t *testing.T) {
	e := newEnv(t, nil)
	body := strings.Repeat("<&>", api.MaxBodyBytes/3)
	resp := e.do(t, apitest.Req{Method: "POST", Path: "/notes", Sub: alice, Headers: apitest.JSON,
		Body: `{"title":"<b>&amp;</b>","body":"` + body + `"}`})
	require.Equal(t, 201, resp.StatusCode, resp.Body)
	assert.Contains(t, resp.Body, `"title":"<b>&amp;</b>"`)
	assert.NotContains(t, resp.Body, `\u003c`)
	assert.Less(t, len(resp.Body), len(body)+400, "the body is not inflated")
	var n notes.Note
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &n))
	assert.Equal(t, body, n.Body)

	// Error bodies too.
	resp = e.do(t, apitest.Req{Method: "POST", Path: "/notes", Sub: alice, Headers: apitest.JSON, Body: `{"<x>":1}`})
	require.Equal(t, 400, resp.StatusCode)
	assert.Contains(t, resp.Body, `<x>`)
}

// lambdaPayload encodes resp the way aws-lambda-go writes a handler's result (encoding/json,
// no HTML escaping): the bytes that count against Lambda's response payload limit.
func lambdaPayload(t testing.TB, resp events.APIGatewayProxyResponse) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(resp))
	return buf.Bytes()
}

// worstNote is the request body of a note that is as large as the limits allow once its
// JSON is escaped again inside the proxy response, where a quote is 4 bytes (\\\") and
// U+2028 is 7 (\\u2028). The request may be at most api.MaxRequestBytes, so the body mixes
// the two: quotes cost 2 request bytes and 1 of the body's byte limit, U+2028 3 and 3.
// The title is 200 U+2028, and there are 10 tags of 32 characters.
func worstNote(i int) string {
	tags := make([]string, api.MaxTags)
	for j := range tags {
		tags[j] = `"` + fmt.Sprintf("%02d-%03d", j, i) + strings.Repeat("x", api.MaxTagChars-6) + `"`
	}
	head := `{"title":"` + fmt.Sprintf("%03d", i) + strings.Repeat("\u2028", api.MaxTitleChars-3) + `","body":"`
	tail := `","tags":[` + strings.Join(tags, ",") + `]}`
	room := api.MaxRequestBytes - len(head) - len(tail) // request bytes left for the body
	// Maximize 4q + 7u with q + 3u <= MaxBodyBytes (body bytes) and 2q + 3u <= room.
	q := room - api.MaxBodyBytes
	u := (api.MaxBodyBytes - q) / 3
	return head + strings.Repeat(`\"`, q) + strings.Repeat("\u2028", u) + tail
}

// Every page of a list stays under Lambda's 6 MB response limit (over it, API Gateway
// answers 502), and the cursor walk still returns every note exactly once, newest first.
// Two users: one with 100 notes full of "<" (7.2 MB as one page while JSON was
// HTML-escaped), one with 100 notes at every limit in the characters that grow most (3.4
// MB as one page): the page budget splits the latter.
func TestListPagesStayUnderTheLambdaResponseLimit(t *testing.T) {
	e := newEnv(t, nil)
	angle := func(i int) string {
		return fmt.Sprintf(`{"title":"<%03d>","body":"%s"}`, i, strings.Repeat("<", api.MaxBodyBytes))
	}
	for user, body := range map[string]func(int) string{alice: angle, bob: worstNote} {
		var want []string
		for i := range notes.MaxLimit {
			b := body(i)
			require.LessOrEqual(t, len(b), api.MaxRequestBytes)
			resp := e.do(t, apitest.Req{Method: "POST", Path: "/notes", Sub: user, Headers: apitest.JSON, Body: b})
			require.Equal(t, 201, resp.StatusCode, resp.Body)
			var n notes.Note
			require.NoError(t, json.Unmarshal([]byte(resp.Body), &n))
			want = append([]string{n.ID}, want...)
		}
		var got []string
		q := map[string]string{"limit": "100"}
		pages := 0
		for {
			resp := e.do(t, apitest.Req{Method: "GET", Path: "/notes", Sub: user, Query: q})
			require.Equal(t, 200, resp.StatusCode)
			payload := lambdaPayload(t, resp)
			require.Less(t, len(payload), api.MaxLambdaResponseBytes, "page %d is %d bytes as a Lambda response", pages+1, len(payload))
			require.Less(t, len(payload), api.ListPageBudgetBytes+2048, "page %d passes the budget", pages+1)
			var p notes.Page
			require.NoError(t, json.Unmarshal([]byte(resp.Body), &p))
			require.NotEmpty(t, p.Items)
			pages++
			for _, n := range p.Items {
				got = append(got, n.ID)
			}
			if p.NextCursor == "" {
				break
			}
			q["cursor"] = p.NextCursor
		}
		assert.Equal(t, want, got, "every note once, newest first")
		if user == bob {
			assert.Greater(t, pages, 1, "a full page of notes at every limit must be split")
			one := e.do(t, apitest.Req{Method: "GET", Path: "/notes/" + got[0], Sub: bob})
			assert.Greater(t, len(lambdaPayload(t, one)), 30_000, "worstNote is as large as claimed")
		}
	}
}

func TestNullTagIsBadRequestAndBlankTitleIsInvalid(t *testing.T) {
	e := newEnv(t, nil)
	for body, code := range map[string]api.ErrorCode{
		`{"title":"t","tags":[null]}`:     api.CodeBadRequest,
		`{"title":"t","tags":["a",null]}`: api.CodeBadRequest,
		`{"title":"t","tags":[["a"]]}`:    api.CodeBadRequest,
		`{"title":" "}`:                   api.CodeValidation,
		`{"title":"\t\n \r"}`:             api.CodeValidation,
		`{"title":"\u00a0\u2003"}`:        api.CodeValidation,
	} {
		for _, method := range []string{"POST", "PUT"} {
			req := apitest.Req{Method: method, Path: "/notes", Sub: alice, Headers: apitest.JSON, Body: body}
			if method == "PUT" {
				req.Path = "/notes/" + e.create(t, alice, "x").ID
				req.Headers = apitest.With("If-Match", `"1"`)
			}
			resp := e.do(t, req)
			require.Equal(t, 400, resp.StatusCode, "%s %s: %s", method, body, resp.Body)
			got, err := apitest.CheckError(resp)
			require.NoError(t, err)
			assert.Equal(t, code, got, "%s %s: %s", method, body, resp.Body)
		}
	}
	// Inner spaces are fine.
	resp := e.do(t, apitest.Req{Method: "POST", Path: "/notes", Sub: alice, Headers: apitest.JSON, Body: `{"title":" a b "}`})
	assert.Equal(t, 201, resp.StatusCode, resp.Body)
}

var fixedWidthTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// createdAt and updatedAt always have three fractional digits, so they sort as strings
// (RFC 3339 with trailing zeros trimmed does not: "…:05Z" > "…:05.5Z").
func TestTimestampsAreFixedWidth(t *testing.T) {
	e := newEnv(t, nil)
	e.clock.t = time.Date(2026, 11, 26, 11, 59, 59, 999_000_000, time.UTC) // the next reading is 12:00:00.000
	resp := e.do(t, apitest.Req{Method: "POST", Path: "/notes", Sub: alice, Headers: apitest.JSON, Body: noteJSON("t")})
	require.Equal(t, 201, resp.StatusCode)
	assert.Contains(t, resp.Body, `"createdAt":"2026-11-26T12:00:00.000Z"`)
	assert.Contains(t, resp.Body, `"updatedAt":"2026-11-26T12:00:00.000Z"`)
	var n notes.Note
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &n))

	e.clock.t = time.Date(2026, 11, 26, 12, 0, 0, 9_000_000, time.UTC) // next: 12:00:00.010
	resp = e.do(t, apitest.Req{Method: "PUT", Path: "/notes/" + n.ID, Sub: alice, Headers: apitest.With("If-Match", `"1"`), Body: noteJSON("u")})
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, resp.Body, `"updatedAt":"2026-11-26T12:00:00.010Z"`)
	for _, r := range []events.APIGatewayProxyResponse{resp, e.do(t, apitest.Req{Method: "GET", Path: "/notes", Sub: alice})} {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.Body), &m))
		items, _ := m["items"].([]any)
		if items == nil {
			items = []any{m}
		}
		for _, it := range items {
			for _, k := range []string{"createdAt", "updatedAt"} {
				assert.Regexp(t, fixedWidthTime, it.(map[string]any)[k])
			}
		}
	}
}
