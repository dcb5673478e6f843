package artifact_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/example/notesplatform/internal/artifact"
	"github.com/example/notesplatform/lambdas/api"
)

type note struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Body      string   `json:"body"`
	Tags      []string `json:"tags"`
	CreatedAt string   `json:"createdAt"`
	UpdatedAt string   `json:"updatedAt"`
	Version   int      `json:"version"`
}

type page struct {
	Items      []note `json:"items"`
	NextCursor string `json:"nextCursor"`
}

// do sends one request through the deployed API's routes to the running artifacts.
func do(t *testing.T, h *artifact.Harness, req artifact.Request) artifact.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := h.Do(ctx, req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.Path, err)
	}
	return resp
}

// expect checks status and the headers every answer carries, and decodes a JSON body.
func expect(t *testing.T, resp artifact.Response, status int, into any) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status %d, want %d; body %s", resp.Status, status, resp.Body)
	}
	for name, want := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if got := resp.Get(name); got != want && !resp.FromGateway {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	if status == 204 {
		if len(resp.Body) != 0 {
			t.Errorf("204 with a body: %s", resp.Body)
		}
		return
	}
	if ct := resp.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if into != nil {
		dec := json.NewDecoder(strings.NewReader(string(resp.Body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(into); err != nil {
			t.Fatalf("body %s: %v", resp.Body, err)
		}
	}
}

// expectError checks the one error shape and its code.
func expectError(t *testing.T, resp artifact.Response, status int, code string) {
	t.Helper()
	var e struct {
		Error struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			RequestID string `json:"requestId"`
		} `json:"error"`
	}
	expect(t, resp, status, &e)
	if e.Error.Code != code || e.Error.Message == "" || e.Error.RequestID == "" {
		t.Errorf("error %+v, want code %q with a message and a request id", e.Error, code)
	}
}

func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestStage runs the dev stage's artifacts through the deployed API's routes. The steps
// share the running stage: the flows, which drive different functions side by side, make
// the calls, logs and memory that the later steps check.
func TestStage(t *testing.T) {
	driver(t)
	h := stage(t)
	flowRan := false
	t.Run("routes are the route table", func(t *testing.T) { checkRoutes(t, h) })
	t.Run("flows", func(t *testing.T) {
		t.Run("health", func(t *testing.T) { t.Parallel(); checkHealth(t, h) })
		t.Run("notes flow", func(t *testing.T) { t.Parallel(); flowRan = true; notesFlow(t, h) })
	})
	t.Run("every route driven", func(t *testing.T) {
		if !flowRan {
			t.Skip("the notes flow did not run (filtered out by -run), so there is nothing to count")
		}
		checkEveryRouteDriven(t, h)
	})
	t.Run("AWS calls", func(t *testing.T) { checkCalls(t, h) })
	t.Run("logs are JSON", func(t *testing.T) { checkLogs(t, h) })
	t.Run("memory within the template", func(t *testing.T) { checkMemory(t, h) })
}

// checkRoutes: the REST API in the template routes exactly the
// methods of lambdas/api.Routes to their functions, with the Cognito authorizer exactly
// on the User routes, so driving the template's routes drives the route table.
func checkRoutes(t *testing.T, h *artifact.Harness) {
	var got, want []string
	for _, r := range h.Gateway.Routes {
		got = append(got, fmt.Sprintf("%s %s -> %s cognito=%v", r.Method, r.Path, r.Function.Name, r.Cognito))
	}
	for _, r := range api.Routes {
		want = append(want, fmt.Sprintf("%s %s -> %s cognito=%v", r.Method, r.Path, r.Function, r.Auth == api.User))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("template routes:\n  %s\nroute table:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if h.Gateway.Stage != "api" {
		t.Errorf("stage %q: CloudFront forwards /api/* to the stage named api", h.Gateway.Stage)
	}
	if got := h.FunctionNames(); len(got) != len(api.Functions) {
		t.Errorf("functions %v, want one per lambdas/api.Functions", got)
	}
	for _, o := range h.Others {
		t.Logf("not run here (CDK's own handler, %s): %s %s", o.Runtime, o.Stack, o.Path)
	}
}

// checkHealth: the public route answers with the values the
// template sets, which only works if code and template agree on the variable names.
func checkHealth(t *testing.T, h *artifact.Harness) {
	var got map[string]string
	expect(t, do(t, h, artifact.Request{Method: "GET", Path: "/health", Header: map[string][]string{"accept": {"application/json"}}}), 200, &got)
	env := h.Environments["Health"]
	want := map[string]string{"app": env[api.EnvAppName], "environment": env[api.EnvEnvironment], "version": env[api.EnvBuildVersion]}
	if want["app"] == "" || want["environment"] == "" || want["version"] == "" {
		t.Fatalf("the template does not set %s, %s and %s for Health: %v", api.EnvAppName, api.EnvEnvironment, api.EnvBuildVersion, env)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("health %s = %q, want %q from the template: the code reads another variable than the template sets", k, got[k], v)
		}
	}
}

// notesFlow drives every user route through the artifacts with the events the
// deployed gateway sends: create (and replay), list, page, read, isolation, update,
// conflict, delete.
func notesFlow(t *testing.T, h *artifact.Harness) {
	alice, bob := "7d2f7a48-0c4e-4f6a-9c1e-"+fmt.Sprintf("%012d", time.Now().UnixNano()%1e12), "0b8e5c1a-3f2d-4e7b-8a6c-"+fmt.Sprintf("%012d", time.Now().UnixNano()%1e12+1)
	jsonHeaders := func(extra ...string) map[string][]string {
		hd := map[string][]string{"content-type": {"application/json"}, "accept": {"application/json"}}
		for i := 0; i+1 < len(extra); i += 2 {
			hd[extra[i]] = []string{extra[i+1]}
		}
		return hd
	}

	// No token: the authorizer answers, no function runs.
	expectError(t, do(t, h, artifact.Request{Method: "GET", Path: "/notes"}), 401, "unauthorized")

	// Create, then replay with the same Idempotency-Key.
	input := map[string]any{"title": "Groceries", "body": "milk, eggs", "tags": []string{"home", "errands"}}
	create := artifact.Request{Method: "POST", Path: "/notes", User: alice, Body: jsonBody(input),
		Header: jsonHeaders("idempotency-key", "6f1c0b8e-2d7a-4c55-9a43-0c3b9f1f2a10")}
	resp := do(t, h, create)
	var first note
	expect(t, resp, 201, &first)
	if !regexp.MustCompile(`^[0-9A-Z]{26}$`).MatchString(first.ID) || first.Title != "Groceries" || first.Body != "milk, eggs" ||
		!slices.Equal(first.Tags, []string{"home", "errands"}) || first.Version != 1 {
		t.Errorf("created %+v", first)
	}
	if loc := resp.Get("Location"); loc != "/api/notes/"+first.ID {
		t.Errorf("Location %q, want /api/notes/%s (the stage path the gateway reports)", loc, first.ID)
	}
	if etag := resp.Get("ETag"); etag != `"1"` {
		t.Errorf("ETag %q, want \"1\"", etag)
	}
	resp = do(t, h, create)
	var replay note
	expect(t, resp, 201, &replay)
	if replay.ID != first.ID || resp.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay gave %s (Idempotent-Replayed %q), want the same note %s", replay.ID, resp.Get("Idempotent-Replayed"), first.ID)
	}
	expectError(t, do(t, h, artifact.Request{Method: "POST", Path: "/notes", User: alice, Body: jsonBody(map[string]any{"title": ""}), Header: jsonHeaders()}), 400, "validation_failed")

	// Two more notes, then list newest first, two per page.
	var ids []string
	for i, title := range []string{"Work plan", "Books"} {
		var n note
		tags := []string{"work"}
		if i == 1 {
			tags = []string{"home"}
		}
		expect(t, do(t, h, artifact.Request{Method: "POST", Path: "/notes", User: alice, Body: jsonBody(map[string]any{"title": title, "tags": tags}), Header: jsonHeaders()}), 201, &n)
		ids = append(ids, n.ID)
	}
	var p1, p2 page
	expect(t, do(t, h, artifact.Request{Method: "GET", Path: "/notes", User: alice, Query: url.Values{"limit": {"2"}}}), 200, &p1)
	if len(p1.Items) != 2 || p1.Items[0].ID != ids[1] || p1.Items[1].ID != ids[0] || p1.NextCursor == "" {
		t.Fatalf("page 1: %+v, want %s then %s and a nextCursor", p1, ids[1], ids[0])
	}
	expect(t, do(t, h, artifact.Request{Method: "GET", Path: "/notes", User: alice, Query: url.Values{"limit": {"2"}, "cursor": {p1.NextCursor}}}), 200, &p2)
	if len(p2.Items) != 1 || p2.Items[0].ID != first.ID || p2.NextCursor != "" {
		t.Errorf("page 2: %+v, want only %s and no nextCursor", p2, first.ID)
	}
	expectError(t, do(t, h, artifact.Request{Method: "GET", Path: "/notes", User: bob, Query: url.Values{"limit": {"2"}, "cursor": {p1.NextCursor}}}), 400, "bad_request")
	expectError(t, do(t, h, artifact.Request{Method: "GET", Path: "/notes", User: alice, Query: url.Values{"limit": {"2", "3"}}}), 400, "bad_request")
	var tagged page
	expect(t, do(t, h, artifact.Request{Method: "GET", Path: "/notes", User: alice, Query: url.Values{"tag": {"home"}}}), 200, &tagged)
	if len(tagged.Items) != 2 || tagged.Items[0].ID != ids[1] || tagged.Items[1].ID != first.ID {
		t.Errorf("tag home: %+v, want %s and %s", tagged.Items, ids[1], first.ID)
	}

	// Read; another user sees nothing.
	path := "/notes/" + first.ID
	resp = do(t, h, artifact.Request{Method: "GET", Path: path, User: alice})
	var got note
	expect(t, resp, 200, &got)
	if got.ID != first.ID || resp.Get("ETag") != `"1"` {
		t.Errorf("GET %s: %+v, ETag %q", path, got, resp.Get("ETag"))
	}
	expectError(t, do(t, h, artifact.Request{Method: "GET", Path: path, User: bob}), 404, "not_found")
	var empty page
	expect(t, do(t, h, artifact.Request{Method: "GET", Path: "/notes", User: bob}), 200, &empty)
	if len(empty.Items) != 0 {
		t.Errorf("bob lists %d of alice's notes", len(empty.Items))
	}

	// Update with If-Match; a stale ETag is a conflict; no ETag is refused.
	update := map[string]any{"title": "Groceries", "body": "milk", "tags": []string{}}
	resp = do(t, h, artifact.Request{Method: "PUT", Path: path, User: alice, Body: jsonBody(update), Header: jsonHeaders("if-match", `"1"`)})
	var updated note
	expect(t, resp, 200, &updated)
	if updated.Version != 2 || updated.Body != "milk" || len(updated.Tags) != 0 || resp.Get("ETag") != `"2"` {
		t.Errorf("updated %+v, ETag %q", updated, resp.Get("ETag"))
	}
	expectError(t, do(t, h, artifact.Request{Method: "PUT", Path: path, User: alice, Body: jsonBody(update), Header: jsonHeaders("if-match", `"1"`)}), 412, "precondition_failed")
	expectError(t, do(t, h, artifact.Request{Method: "PUT", Path: path, User: alice, Body: jsonBody(update), Header: jsonHeaders()}), 428, "precondition_required")
	expectError(t, do(t, h, artifact.Request{Method: "PUT", Path: path, User: bob, Body: jsonBody(update), Header: jsonHeaders("if-match", `"2"`)}), 404, "not_found")

	// Delete is idempotent; the note is gone.
	expect(t, do(t, h, artifact.Request{Method: "DELETE", Path: path, User: alice}), 204, nil)
	expectError(t, do(t, h, artifact.Request{Method: "GET", Path: path, User: alice}), 404, "not_found")
	expect(t, do(t, h, artifact.Request{Method: "DELETE", Path: path, User: alice}), 204, nil)
}

// checkEveryRouteDriven makes sure every route of the table runs through the artifacts:
// the flows drive the shipped routes in depth, and a route without a body that no flow
// drove (one added since, with its own handler tests beside its code) is probed once
// with parameters that name nothing, as a user who owns nothing: its function must
// answer it, below 500, in JSON. A route with a body model needs a flow. Each function
// logs the route of every request.
func checkEveryRouteDriven(t *testing.T, h *artifact.Harness) {
	driven := drivenRoutes(h)
	for _, r := range api.Routes {
		key := string(r.Method) + " " + r.Path
		if driven[key] {
			continue
		}
		if r.Model != "" {
			t.Errorf("no test drove %s %s through the artifact (its function logged no request for it); a route with a body needs a flow: add it to the flows", r.Method, r.Path)
			continue
		}
		probeRoute(t, h, r)
		for deadline := time.Now().Add(5 * time.Second); !driven[key] && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			driven = drivenRoutes(h)
		}
		if !driven[key] {
			t.Errorf("%s %s: probed, but its function logged no request for it", r.Method, r.Path)
		}
	}
}

// drivenRoutes are the routes that the functions logged a request for.
func drivenRoutes(h *artifact.Harness) map[string]bool {
	driven := map[string]bool{}
	for _, name := range h.FunctionNames() {
		for _, line := range strings.Split(h.Instances[name].FunctionOutput(), "\n") {
			var entry struct {
				Route string `json:"route"`
			}
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Route != "" {
				driven[entry.Route] = true
			}
		}
	}
	return driven
}

// probeRoute sends r once, its parameters filled with a note id that names nothing.
func probeRoute(t *testing.T, h *artifact.Harness, r api.Route) {
	t.Helper()
	segs := strings.Split(r.Path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = "00000000000000000000000000"
		}
	}
	req := artifact.Request{Method: string(r.Method), Path: strings.Join(segs, "/"), Header: map[string][]string{"accept": {"application/json"}}}
	if r.Auth == api.User {
		req.User = "5e1f0c2a-7b3d-4c8e-9a6f-" + fmt.Sprintf("%012d", time.Now().UnixNano()%1e12)
	}
	resp := do(t, h, req)
	switch {
	case resp.FromGateway:
		t.Errorf("%s %s: the gateway answered %d itself, no function ran: %s", r.Method, req.Path, resp.Status, resp.Body)
	case resp.Status >= 500:
		t.Errorf("%s %s: %d from the function, for a request that names nothing: %s", r.Method, req.Path, resp.Status, resp.Body)
	case len(resp.Body) > 0 && (resp.Get("Content-Type") != "application/json" || !json.Valid(resp.Body)):
		t.Errorf("%s %s: %d with a body that is not JSON (%q): %s", r.Method, req.Path, resp.Status, resp.Get("Content-Type"), resp.Body)
	}
}
