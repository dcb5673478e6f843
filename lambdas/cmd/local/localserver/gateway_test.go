package localserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/api/bodytest"
	"github.com/example/notesplatform/lambdas/internal/app"
	"github.com/example/notesplatform/lambdas/internal/httpapi"
	"github.com/example/notesplatform/lambdas/internal/memstore"
	"github.com/example/notesplatform/lambdas/internal/notes"
)

func routeOf(t *testing.T, method, path string) api.Route {
	t.Helper()
	for _, r := range api.Routes {
		if string(r.Method) == method && r.Path == path {
			return r
		}
	}
	t.Fatalf("no route %s %s in api.Routes", method, path)
	return api.Route{}
}

// recorder captures the events each function receives and answers with a canned response.
type recorder struct {
	got    []events.APIGatewayProxyRequest
	resp   events.APIGatewayProxyResponse
	err    error
	panics bool
}

func (rc *recorder) handler(_ context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	rc.got = append(rc.got, ev)
	if rc.panics {
		panic("boom")
	}
	return rc.resp, rc.err
}

const goodToken = "good-token"

func testVerifier(token string) (map[string]interface{}, error) {
	token = strings.TrimPrefix(token, "Bearer ")
	if token != goodToken {
		return nil, errors.New("bad token")
	}
	return map[string]interface{}{"sub": "user-1", "token_use": "id"}, nil
}

func newTestGateway(t *testing.T, rc *recorder) http.Handler {
	t.Helper()
	handlers := map[string]Handler{}
	for _, f := range api.Functions {
		handlers[f.Name] = rc.handler
	}
	gw, err := NewGateway(api.Shipped(), handlers, testVerifier, nil)
	if err != nil {
		t.Fatal(err)
	}
	return gw
}

func TestToEventConvertsLikeAPIGateway(t *testing.T) {
	route := routeOf(t, "PUT", "/notes/{id}")
	r := httptest.NewRequest("PUT", "/api/notes/n%201?tag=a&tag=b&limit=5", nil)
	r.Header.Add("If-Match", `"3"`)
	r.Header.Add("X-Multi", "one")
	r.Header.Add("X-Multi", "two")
	r.Header.Set("User-Agent", "test-agent")
	r.RemoteAddr = "127.0.0.1:5555"
	claims := map[string]interface{}{"sub": "abc"}
	now := time.Unix(1_700_000_000, 0)

	ev := ToEvent(r, route, map[string]string{"id": "n 1"}, []byte(`{"title":"x"}`), "req-1", claims, now)

	if ev.Resource != "/notes/{id}" || ev.Path != "/notes/n 1" || ev.HTTPMethod != "PUT" {
		t.Errorf("resource %q path %q method %q", ev.Resource, ev.Path, ev.HTTPMethod)
	}
	if ev.PathParameters["id"] != "n 1" || len(ev.PathParameters) != 1 {
		t.Errorf("path parameters %v", ev.PathParameters)
	}
	if ev.Headers["If-Match"] != `"3"` || ev.Headers["X-Multi"] != "two" {
		t.Errorf("single-value headers keep the last value: %v", ev.Headers)
	}
	if got := ev.MultiValueHeaders["X-Multi"]; len(got) != 2 || got[0] != "one" || got[1] != "two" {
		t.Errorf("multi-value headers %v", got)
	}
	if ev.Headers["Host"] == "" {
		t.Error("no Host header")
	}
	if ev.QueryStringParameters["tag"] != "b" || ev.QueryStringParameters["limit"] != "5" {
		t.Errorf("query %v", ev.QueryStringParameters)
	}
	if got := ev.MultiValueQueryStringParameters["tag"]; len(got) != 2 {
		t.Errorf("multi-value query %v", got)
	}
	if ev.Body != `{"title":"x"}` || ev.IsBase64Encoded {
		t.Errorf("body %q base64 %v", ev.Body, ev.IsBase64Encoded)
	}
	rc := ev.RequestContext
	if rc.RequestID != "req-1" || rc.ResourcePath != "/notes/{id}" || rc.HTTPMethod != "PUT" ||
		rc.Identity.SourceIP != "127.0.0.1" || rc.Identity.UserAgent != "test-agent" || rc.RequestTimeEpoch != now.UnixMilli() {
		t.Errorf("request context %+v", rc)
	}
	got, _ := rc.Authorizer["claims"].(map[string]interface{})
	if got["sub"] != "abc" {
		t.Errorf("authorizer %v: want claims.sub like the Cognito authorizer", rc.Authorizer)
	}
}

func TestToEventEmptyAndBinary(t *testing.T) {
	r := httptest.NewRequest("GET", "/api/health", nil)
	ev := ToEvent(r, routeOf(t, "GET", "/health"), nil, nil, "req-2", nil, time.Now())
	if ev.QueryStringParameters != nil || ev.MultiValueQueryStringParameters != nil || ev.PathParameters != nil {
		t.Errorf("no query or path parameters must be nil maps, as API Gateway's null: %+v", ev)
	}
	if ev.RequestContext.Authorizer != nil || ev.Body != "" {
		t.Errorf("public route: authorizer %v body %q", ev.RequestContext.Authorizer, ev.Body)
	}

	bin := []byte{0xff, 0xfe, 0x00, 0x01}
	ev = ToEvent(httptest.NewRequest("POST", "/api/notes", nil), routeOf(t, "POST", "/notes"), nil, bin, "req-3", nil, time.Now())
	if !ev.IsBase64Encoded || ev.Body != base64.StdEncoding.EncodeToString(bin) {
		t.Errorf("non-UTF-8 body: %q base64=%v", ev.Body, ev.IsBase64Encoded)
	}
}

func TestGatewayEnforcesUserAuth(t *testing.T) {
	rc := &recorder{resp: events.APIGatewayProxyResponse{StatusCode: 200, Body: `[]`}}
	gw := newTestGateway(t, rc)
	for name, auth := range map[string]string{
		"missing":  "",
		"forged":   "Bearer forged",
		"bare bad": "forged",
	} {
		req := httptest.NewRequest("GET", "/api/notes", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, req)
		if rec.Code != 401 || !strings.Contains(rec.Body.String(), `{"error":{"code":"unauthorized","message":"Unauthorized","requestId":`) {
			t.Errorf("%s token: %d %s, want 401 with code unauthorized", name, rec.Code, rec.Body)
		}
	}
	if len(rc.got) != 0 {
		t.Fatalf("the function was called %d times without a valid token", len(rc.got))
	}
	// Both "Bearer <token>" and the bare token pass, as with the Cognito authorizer.
	for _, auth := range []string{"Bearer " + goodToken, goodToken} {
		req := httptest.NewRequest("GET", "/api/notes", nil)
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Errorf("Authorization %q: %d", auth, rec.Code)
		}
	}
	// Public routes need no token.
	rec := httptest.NewRecorder()
	gw.ServeHTTP(rec, httptest.NewRequest("GET", "/api/health", nil))
	if rec.Code != 200 {
		t.Errorf("/api/health without token: %d", rec.Code)
	}
}

func TestGatewayRoutesThroughTheRouteTable(t *testing.T) {
	rc := &recorder{resp: events.APIGatewayProxyResponse{
		StatusCode:        201,
		Headers:           map[string]string{"Location": "/notes/n1", "ETag": `"1"`},
		MultiValueHeaders: map[string][]string{"Vary": {"Accept", "Origin"}},
		Body:              `{"id":"n1"}`,
	}}
	gw := newTestGateway(t, rc)
	req := httptest.NewRequest("POST", "/api/notes", strings.NewReader(`{"title":"t"}`))
	req.Header.Set("Authorization", "Bearer "+goodToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "k1")
	rec := httptest.NewRecorder()
	gw.ServeHTTP(rec, req)
	if rec.Code != 201 || rec.Header().Get("Location") != "/notes/n1" || rec.Header().Get("ETag") != `"1"` {
		t.Errorf("response %d %v", rec.Code, rec.Header())
	}
	if got := rec.Header().Values("Vary"); len(got) != 2 {
		t.Errorf("multi-value response header Vary = %v", got)
	}
	if rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("X-Amzn-Requestid") == "" {
		t.Errorf("headers %v", rec.Header())
	}
	if len(rc.got) != 1 {
		t.Fatalf("calls = %d", len(rc.got))
	}
	ev := rc.got[0]
	if ev.Resource != "/notes" || ev.Body != `{"title":"t"}` || ev.Headers["Idempotency-Key"] != "k1" {
		t.Errorf("event %+v", ev)
	}
	if ev.RequestContext.RequestID == "" || ev.RequestContext.RequestID != rec.Header().Get("X-Amzn-Requestid") {
		t.Errorf("request id %q vs header %q", ev.RequestContext.RequestID, rec.Header().Get("X-Amzn-Requestid"))
	}

	// A path parameter reaches the event.
	req = httptest.NewRequest("DELETE", "/api/notes/abc", nil)
	req.Header.Set("Authorization", goodToken)
	gw.ServeHTTP(httptest.NewRecorder(), req)
	if last := rc.got[len(rc.got)-1]; last.PathParameters["id"] != "abc" || last.Resource != "/notes/{id}" {
		t.Errorf("DELETE event: params %v resource %q", last.PathParameters, last.Resource)
	}
}

func TestGatewayUnknownRoutesAndMethods(t *testing.T) {
	rc := &recorder{resp: events.APIGatewayProxyResponse{StatusCode: 200}}
	gw := newTestGateway(t, rc)
	for _, tc := range []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/api/nothing", 404, "not_found", ""},
		{"GET", "/api/notes/a/b", 404, "not_found", ""},
		{"PATCH", "/api/notes/abc", 405, "method_not_allowed", "DELETE, GET, PUT"},
		{"POST", "/api/health", 405, "method_not_allowed", "GET"},
		{"HEAD", "/api/health", 405, "method_not_allowed", "GET"},
		{"OPTIONS", "/api/notes", 405, "method_not_allowed", "GET, POST"},
		{"DELETE", "/api/notes", 405, "method_not_allowed", "GET, POST"},
		{"PATCH", "/api/notes/", 405, "method_not_allowed", "GET, POST"},
	} {
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		var body map[string]map[string]string
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != tc.status || (tc.method != "HEAD" && body["error"]["code"] != tc.code) || rec.Header().Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d %s Allow=%q, want %d %s Allow=%q", tc.method, tc.path, rec.Code, rec.Body, rec.Header().Get("Allow"), tc.status, tc.code, tc.allow)
		}
	}
	if len(rc.got) != 0 {
		t.Errorf("unknown routes reached a function %d times", len(rc.got))
	}
}

func TestGatewayFunctionFailures(t *testing.T) {
	for name, rc := range map[string]*recorder{
		"error":      {err: errors.New("boom")},
		"panic":      {panics: true},
		"no status":  {resp: events.APIGatewayProxyResponse{}},
		"bad base64": {resp: events.APIGatewayProxyResponse{StatusCode: 200, IsBase64Encoded: true, Body: "%%%"}},
	} {
		gw := newTestGateway(t, rc)
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, httptest.NewRequest("GET", "/api/health", nil))
		if rec.Code != 502 || !strings.Contains(rec.Body.String(), "Internal server error") {
			t.Errorf("%s: %d %s, want 502", name, rec.Code, rec.Body)
		}
		if got := rec.Header().Get("Retry-After"); got != "1" {
			t.Errorf("%s: Retry-After %q, want 1 as the deployed DEFAULT_5XX sends", name, got)
		}
	}
	rc := &recorder{resp: events.APIGatewayProxyResponse{StatusCode: 200, IsBase64Encoded: true,
		Body: base64.StdEncoding.EncodeToString([]byte("hello")), Headers: map[string]string{"Content-Type": "text/plain"}}}
	rec := httptest.NewRecorder()
	newTestGateway(t, rc).ServeHTTP(rec, httptest.NewRequest("GET", "/api/health", nil))
	if rec.Body.String() != "hello" || rec.Header().Get("Content-Type") != "text/plain" {
		t.Errorf("base64 response: %q %v", rec.Body, rec.Header())
	}
}

func TestNewGatewayNeedsEveryFunctionAndAValidTable(t *testing.T) {
	if _, err := NewGateway(api.Shipped(), map[string]Handler{}, testVerifier, nil); err == nil {
		t.Error("want an error when a function of the table has no handler")
	}
	bad := api.Shipped()
	bad.Routes = append(slices.Clone(bad.Routes), api.Route{Method: "get", Path: "/x", Function: "Health", Auth: api.Public})
	if _, err := NewGateway(bad, map[string]Handler{"Health": nil}, testVerifier, nil); err == nil || !strings.Contains(err.Error(), `method "get"`) {
		t.Errorf("an invalid table: err = %v", err)
	}
}

// Paths that are not canonical are the deployed API's 404 in the app's error shape, for
// every method: never a redirect to a cleaned path, never a function call.
func TestGatewayNonCanonicalPathsAreNotFound(t *testing.T) {
	rc := &recorder{resp: events.APIGatewayProxyResponse{StatusCode: 200}}
	gw := newTestGateway(t, rc)
	for _, method := range []string{"GET", "POST", "PUT", "DELETE"} {
		for _, target := range []string{
			"/api", "/api/", "/api//notes", "/api/./notes", "/api/notes/../health", "/api/notes/.", "/api/notes/..",
			"/api/notes/%2e%2e", "/api/notes//abc", "/api/health/.", "/api/notes/a%2Fb", "/api//health",
		} {
			req := httptest.NewRequest(method, "http://127.0.0.1"+target, strings.NewReader(`{"title":"x"}`))
			req.Header.Set("Authorization", goodToken)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			gw.ServeHTTP(rec, req)
			var body map[string]map[string]string
			_ = json.Unmarshal(rec.Body.Bytes(), &body)
			if rec.Code != 404 || body["error"]["code"] != "not_found" || body["error"]["requestId"] == "" || rec.Header().Get("Location") != "" {
				t.Errorf("%s %s: %d %v %s, want the 404 error shape", method, target, rec.Code, rec.Header(), rec.Body)
			}
		}
	}
	if len(rc.got) != 0 {
		t.Errorf("non-canonical paths reached a function %d times", len(rc.got))
	}
	// One trailing slash is tolerated, as API Gateway does, and keeps its path.
	for _, target := range []string{"/api/health/", "/api/notes/abc/"} {
		req := httptest.NewRequest("GET", target, nil)
		req.Header.Set("Authorization", goodToken)
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Errorf("GET %s: %d", target, rec.Code)
		}
	}
	if n := len(rc.got); n != 2 || rc.got[1].Path != "/notes/abc/" || rc.got[1].PathParameters["id"] != "abc" {
		t.Errorf("trailing-slash events: %+v", rc.got)
	}
}

// A response that Lambda would refuse (over its 6 MB payload limit, counted as
// aws-lambda-go encodes it) is API Gateway's 502, not a response the deployed API could
// never give.
func TestGatewayRefusesResponsesOverLambdasLimit(t *testing.T) {
	under := strings.Repeat("a", api.MaxLambdaResponseBytes-200)
	// Each quote is escaped in the payload: half as many bytes of body pass the limit.
	over := strings.Repeat(`"`, api.MaxLambdaResponseBytes/2+1)
	for body, want := range map[string]int{under: 200, over: 502} {
		rc := &recorder{resp: events.APIGatewayProxyResponse{StatusCode: 200, Body: body}}
		rec := httptest.NewRecorder()
		newTestGateway(t, rc).ServeHTTP(rec, httptest.NewRequest("GET", "/api/health", nil))
		if rec.Code != want {
			t.Errorf("a body of %d bytes: %d, want %d", len(body), rec.Code, want)
		}
	}
}

// The gateway serves whatever table it is given: a generated table of many routes over
// many paths gets each route to its function, and the right 404 and 405 answers.
func TestGatewayServesAGeneratedTable(t *testing.T) {
	const n = 120
	tbl := api.Table{Models: map[string]*api.Schema{}}
	handlers := map[string]Handler{}
	calls := map[string]int{}
	for i := range n {
		name := fmt.Sprintf("Fn%03d", i)
		tbl.Functions = append(tbl.Functions, api.Function{Name: name, Package: "lambdas/gen", Access: api.NoTable})
		path := fmt.Sprintf("/r%03d/{id}", i/2)
		method := []api.Method{api.MethodGet, api.MethodPut}[i%2]
		tbl.Routes = append(tbl.Routes, api.Route{Method: method, Path: path, Function: name, Auth: api.Public})
		handlers[name] = func(_ context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			calls[name]++
			return events.APIGatewayProxyResponse{StatusCode: 200, Body: name + " " + ev.Resource + " " + ev.PathParameters["id"]}, nil
		}
	}
	gw, err := NewGateway(tbl, handlers, testVerifier, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		r := tbl.Routes[i]
		target := "/api" + strings.ReplaceAll(r.Path, "{id}", "x"+fmt.Sprint(i))
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, httptest.NewRequest(string(r.Method), target, nil))
		if want := fmt.Sprintf("%s %s x%d", r.Function, r.Path, i); rec.Code != 200 || rec.Body.String() != want {
			t.Errorf("%s %s: %d %q, want %q", r.Method, target, rec.Code, rec.Body, want)
		}
	}
	rec := httptest.NewRecorder()
	gw.ServeHTTP(rec, httptest.NewRequest("DELETE", "/api/r007/x", nil))
	if rec.Code != 405 || rec.Header().Get("Allow") != "GET, PUT" {
		t.Errorf("DELETE: %d Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
	rec = httptest.NewRecorder()
	gw.ServeHTTP(rec, httptest.NewRequest("GET", fmt.Sprintf("/api/r%03d/x", n), nil))
	if rec.Code != 404 {
		t.Errorf("a path past the table: %d", rec.Code)
	}
	for name, c := range calls {
		if c != 1 {
			t.Errorf("%s called %d times", name, c)
		}
	}
	if len(calls) != n {
		t.Errorf("%d of %d functions called", len(calls), n)
	}
}

func TestCheckLoopback(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:8080", "127.0.0.2:0", "[::1]:8080", "localhost:0"} {
		if err := CheckLoopback(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{":8080", "0.0.0.0:8080", "[::]:8080", "192.168.1.10:8080", "example.com:80", "8080"} {
		if err := CheckLoopback(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// TestGatewayAppliesTheModel runs the gateway-parity corpus (lambdas/api/bodytest)
// through the local server: a body that fails the route's model gets the deployed API's
// BAD_REQUEST_BODY answer (400 validation_failed in the app's error shape) and never
// reaches the function; every other body reaches it unchanged. Bodies that are not
// application/json pass through to the function, as API Gateway passes them.
func TestGatewayAppliesTheModel(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	corpus, err := bodytest.All(root)
	if err != nil {
		t.Fatal(err)
	}
	model, err := CompileModel("NoteInput", api.Models["NoteInput"].JSONSchema())
	if err != nil {
		t.Fatal(err)
	}
	rc := &recorder{resp: events.APIGatewayProxyResponse{StatusCode: 201, Body: `{}`}}
	gw := newTestGateway(t, rc)
	refused := 0
	for _, b := range corpus {
		for _, route := range []struct{ method, path string }{{"POST", "/api/notes"}, {"PUT", "/api/notes/x"}} {
			rc.got = nil
			r := httptest.NewRequest(route.method, route.path, strings.NewReader(string(b.JSON)))
			r.Header.Set("Authorization", goodToken)
			r.Header.Set("Content-Type", "application/json; charset=utf-8")
			w := httptest.NewRecorder()
			gw.ServeHTTP(w, r)
			problems := model.Check(b.JSON)
			if problems == nil {
				if len(rc.got) != 1 || w.Code != 201 || rc.got[0].Body != string(b.JSON) && !rc.got[0].IsBase64Encoded {
					t.Errorf("%s %s: the model accepts it, but the function did not get it unchanged: %d %s", route.method, b.Name, w.Code, w.Body)
				}
				continue
			}
			refused++
			var e struct {
				Error struct{ Code, Message, RequestID string }
			}
			_ = json.Unmarshal(w.Body.Bytes(), &e)
			if len(rc.got) != 0 || w.Code != 400 || e.Error.Code != string(api.CodeValidation) ||
				e.Error.Message != "["+strings.Join(problems, ", ")+"]" || e.Error.RequestID == "" {
				t.Errorf("%s %s: the model refuses it (%v), want 400 validation_failed before the function; got %d %s (function called %d times)",
					route.method, b.Name, problems, w.Code, w.Body, len(rc.got))
			}
		}
	}
	if refused == 0 {
		t.Fatal("the model refused no body of the corpus")
	}

	rc.got = nil
	r := httptest.NewRequest("POST", "/api/notes", strings.NewReader("not json"))
	r.Header.Set("Authorization", goodToken)
	r.Header.Set("Content-Type", "text/plain")
	gw.ServeHTTP(httptest.NewRecorder(), r)
	if len(rc.got) != 1 {
		t.Error("a text/plain body did not pass through to the function (which answers 415)")
	}
}

// A function that outlives the integration timeout gets API Gateway's INTEGRATION_TIMEOUT
// answer: 504 timeout with Retry-After, in the error shape. The real handlers never get
// there: their deadline is the gateway's less httpapi.DeadlineMargin, and they answer
// 504 themselves, with their own request id.
func TestGatewayIntegrationTimeout(t *testing.T) {
	shorten := func(gw http.Handler, d time.Duration) {
		for _, rh := range gw.(*gateway).routes {
			rh.timeout = d
		}
	}
	stuck := func(ctx context.Context, _ events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		<-ctx.Done()
		time.Sleep(10 * time.Millisecond) // past the deadline, as a function that ignores it
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}
	handlers := map[string]Handler{}
	for _, f := range api.Functions {
		handlers[f.Name] = stuck
	}
	gw, err := NewGateway(api.Shipped(), handlers, testVerifier, nil)
	if err != nil {
		t.Fatal(err)
	}
	shorten(gw, 50*time.Millisecond)
	rec := httptest.NewRecorder()
	gw.ServeHTTP(rec, httptest.NewRequest("GET", "/api/health", nil))
	if rec.Code != 504 || rec.Header().Get("Retry-After") != "1" ||
		!strings.Contains(rec.Body.String(), `{"error":{"code":"timeout","message":"Endpoint request timed out","requestId":"`) {
		t.Errorf("got %d %v %s", rec.Code, rec.Header(), rec.Body)
	}

	// The real handlers over a table that never answers.
	handlers = map[string]Handler{}
	for name, h := range app.Handlers(app.Deps{Store: hangingStore{memstore.New()}, CursorKey: app.StaticCursorKey(make([]byte, 32))}) {
		handlers[name] = h
	}
	gw, err = NewGateway(api.Shipped(), handlers, testVerifier, nil)
	if err != nil {
		t.Fatal(err)
	}
	shorten(gw, httpapi.DeadlineMargin+200*time.Millisecond)
	rec = httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/notes", nil)
	req.Header.Set("Authorization", goodToken)
	start := time.Now()
	gw.ServeHTTP(rec, req)
	if rec.Code != 504 || rec.Header().Get("Retry-After") != "1" || !strings.Contains(rec.Body.String(), `"code":"timeout"`) ||
		!strings.Contains(rec.Body.String(), rec.Header().Get("X-Amzn-Requestid")) {
		t.Errorf("got %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	if took := time.Since(start); took >= httpapi.DeadlineMargin+200*time.Millisecond {
		t.Errorf("the handler answered after %s, not before the gateway's timeout", took)
	}
	if strings.Contains(rec.Body.String(), "Endpoint request timed out") {
		t.Error("the gateway answered, not the function")
	}
}

// hangingStore is a table that never answers a list.
type hangingStore struct{ notes.Store }

func (hangingStore) ListNotes(ctx context.Context, _ string, _ notes.ListQuery) ([]notes.Note, string, error) {
	<-ctx.Done()
	return nil, "", fmt.Errorf("query notes: %w", ctx.Err())
}
