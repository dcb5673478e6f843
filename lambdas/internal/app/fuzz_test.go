package app_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/apitest"
)

var (
	fuzzOnce sync.Once
	fuzzEnv  *env
	fuzzNote string
)

var fuzzMethods = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", ""}

// FuzzHandlers sends arbitrary events to every function's handler: any method, path, path
// parameter, query, body (plain or base64), content type, If-Match, Idempotency-Key,
// caller and Resource. The handler must not panic (the guard would turn a panic into a
// 500, which fails here too), must answer 2xx or 4xx, and every body must be JSON, in the
// error shape for errors.
func FuzzHandlers(f *testing.F) {
	type seed struct {
		fn, method    uint8
		path, id      string
		query         string
		body          []byte
		ct, ifMatch   string
		idemKey, sub  string
		b64, resource bool
	}
	note := `{"title":"t","body":"b","tags":["a"]}`
	for _, s := range []seed{
		{fn: 0, method: 0, path: "/health"},
		{fn: 1, method: 0, path: "/notes", query: "limit=2&tag=a", sub: alice},
		{fn: 1, method: 0, path: "/notes", query: "cursor=AQ&limit=x", sub: alice},
		{fn: 1, method: 0, path: "", id: "01ARZ3NDEKTSV4RRFFQ69G5FAV", sub: alice, resource: true},
		{fn: 2, method: 1, path: "/notes", body: []byte(note), ct: "application/json", idemKey: "k1", sub: alice},
		{fn: 2, method: 1, path: "/notes", body: []byte(note), ct: "application/json", sub: alice, b64: true},
		{fn: 2, method: 2, path: "", id: "FUZZNOTE", body: []byte(note), ct: "application/json", ifMatch: `"1"`, sub: alice, resource: true},
		{fn: 2, method: 2, path: "", id: "FUZZNOTE", body: []byte(`{"title":""}`), ct: "application/json", ifMatch: `W/"1"`, sub: alice},
		{fn: 2, method: 3, path: "", id: "FUZZNOTE", sub: alice},
		{fn: 2, method: 4, path: "/notes", sub: alice},
		{fn: 1, method: 0, path: "/notes", sub: ""},
	} {
		f.Add(s.fn, s.method, s.path, s.id, s.query, s.body, s.ct, s.ifMatch, s.idemKey, s.sub, s.b64, s.resource)
	}
	f.Fuzz(func(t *testing.T, fn, method uint8, path, id, query string, body []byte, ct, ifMatch, idemKey, sub string, b64, resource bool) {
		fuzzOnce.Do(func() {
			fuzzEnv = newEnv(t, nil)
			fuzzNote = fuzzEnv.create(t, alice, "fuzz target", "a").ID
		})
		if id == "FUZZNOTE" {
			id = fuzzNote
		}
		if path == "" {
			path = "/notes/" + id
		}
		ev := events.APIGatewayProxyRequest{
			HTTPMethod: fuzzMethods[int(method)%len(fuzzMethods)],
			Path:       path,
			Headers:    map[string]string{},
			Body:       string(body),
			RequestContext: events.APIGatewayProxyRequestContext{
				RequestID: "fuzz", Path: "/api" + path,
			},
		}
		if b64 {
			ev.IsBase64Encoded = true
			ev.Body = base64.StdEncoding.EncodeToString(body)
		}
		if ct != "" {
			ev.Headers["content-type"] = ct
		}
		if ifMatch != "" {
			ev.MultiValueHeaders = map[string][]string{"If-Match": {ifMatch}}
		}
		if idemKey != "" {
			ev.Headers["Idempotency-Key"] = idemKey
		}
		if sub != "" {
			ev.RequestContext.Authorizer = map[string]any{"claims": map[string]any{"sub": sub}}
		}
		if resource {
			ev.Resource = "/notes/{id}"
			ev.PathParameters = map[string]string{"id": id}
		}
		if q, err := url.ParseQuery(query); err == nil && len(q) > 0 {
			ev.MultiValueQueryStringParameters = q
		}
		name := api.Functions[int(fn)%len(api.Functions)].Name
		resp, err := fuzzEnv.h[name](context.Background(), ev)
		if err != nil {
			t.Fatalf("handler returned a Go error: %v", err)
		}
		checkResponse(t, resp)
	})
}

func checkResponse(t *testing.T, resp events.APIGatewayProxyResponse) {
	t.Helper()
	switch {
	case resp.StatusCode == 204:
		if resp.Body != "" {
			t.Fatalf("204 with a body %q", resp.Body)
		}
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		if !json.Valid([]byte(resp.Body)) {
			t.Fatalf("%d with invalid JSON %q", resp.StatusCode, resp.Body)
		}
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		if _, err := apitest.CheckError(resp); err != nil {
			t.Fatalf("%d: %v", resp.StatusCode, err)
		}
	default:
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
}
