package apigateway

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

var now = time.Date(2026, 3, 7, 9, 5, 0, 0, time.UTC)

// deployed are the options of a deployed stage behind CloudFront, as the artifact tests
// use them.
var deployed = Options{Stage: "api", APIID: "a1b2c3d4e5", Account: "123456789012",
	DomainName: "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com", CloudFront: true, Tracing: true}

func TestEventBehindCloudFront(t *testing.T) {
	req := Request{Method: "PUT", Path: "/notes/n 1", SourceIP: "198.51.100.7",
		Query:  url.Values{"tag": {"a", "b"}, "limit": {"5"}},
		Header: map[string][]string{"content-type": {"application/json"}, "x-multi": {"one", "two"}, "host": {"spoofed.example"}},
		Body:   []byte(`{"title":"x"}`)}
	claims := map[string]any{"sub": "abc"}
	ev := deployed.Event(req, Invocation{Resource: "/notes/{id}", PathParameters: map[string]string{"id": "n 1"}, Claims: claims, RequestID: "req-1", Time: now})

	if ev.Resource != "/notes/{id}" || ev.Path != "/notes/n 1" || ev.HTTPMethod != "PUT" || ev.PathParameters["id"] != "n 1" {
		t.Errorf("resource %q path %q method %q params %v", ev.Resource, ev.Path, ev.HTTPMethod, ev.PathParameters)
	}
	for name, want := range map[string]string{
		"Host":              deployed.DomainName, // CloudFront's origin, whatever the client sent
		"User-Agent":        "Amazon CloudFront",
		"X-Forwarded-For":   "198.51.100.7, " + cloudFrontEdgeIP,
		"X-Forwarded-Port":  "443",
		"X-Forwarded-Proto": "https",
		"content-type":      "application/json",
		"x-multi":           "two",
	} {
		if got := ev.Headers[name]; got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
		if got := ev.MultiValueHeaders[name]; name != "x-multi" && !reflect.DeepEqual(got, []string{want}) {
			t.Errorf("multi-value header %s = %q, want [%q]", name, got, want)
		}
	}
	if _, spoofed := ev.Headers["host"]; spoofed {
		t.Error("the client's host header reached the event beside the gateway's Host")
	}
	if got := ev.MultiValueHeaders["x-multi"]; !reflect.DeepEqual(got, []string{"one", "two"}) {
		t.Errorf("multi-value header x-multi = %q", got)
	}
	if !strings.HasSuffix(ev.Headers["Via"], ".cloudfront.net (CloudFront)") || ev.Headers["X-Amz-Cf-Id"] == "" ||
		!strings.HasPrefix(ev.Headers["X-Amzn-Trace-Id"], "Root=1-") {
		t.Errorf("CloudFront and trace headers: %v", ev.Headers)
	}
	if ev.QueryStringParameters["tag"] != "b" || !reflect.DeepEqual(ev.MultiValueQueryStringParameters["tag"], []string{"a", "b"}) {
		t.Errorf("query %v / %v", ev.QueryStringParameters, ev.MultiValueQueryStringParameters)
	}
	rc := ev.RequestContext
	if rc.Stage != "api" || rc.Path != "/api/notes/n 1" || rc.DomainName != deployed.DomainName || rc.DomainPrefix != "a1b2c3d4e5" ||
		rc.APIID != "a1b2c3d4e5" || rc.AccountID != "123456789012" || rc.Protocol != "HTTP/1.1" || rc.RequestID != "req-1" ||
		rc.ResourcePath != "/notes/{id}" || rc.HTTPMethod != "PUT" || len(rc.ResourceID) != 6 || rc.ExtendedRequestID == "" ||
		rc.RequestTime != "07/Mar/2026:09:05:00 +0000" || rc.RequestTimeEpoch != now.UnixMilli() {
		t.Errorf("request context %+v", rc)
	}
	if rc.Identity.SourceIP != "198.51.100.7" || rc.Identity.UserAgent != "Amazon CloudFront" {
		t.Errorf("identity %+v", rc.Identity)
	}
	if got := rc.Authorizer["claims"]; !reflect.DeepEqual(got, claims) {
		t.Errorf("authorizer %v", rc.Authorizer)
	}
	// The same request makes the same event: the ids derive from the request id.
	if again := deployed.Event(req, Invocation{Resource: "/notes/{id}", PathParameters: map[string]string{"id": "n 1"}, Claims: claims, RequestID: "req-1", Time: now}); !reflect.DeepEqual(again, ev) {
		t.Error("two events of one request differ")
	}
}

func TestEventFromALocalClient(t *testing.T) {
	local := Options{Stage: "local", BasePath: "/api", APIID: "local", Account: "000000000000"}
	r := httptest.NewRequest("GET", "http://127.0.0.1:8080/api/notes?limit=2", nil)
	r.RemoteAddr = "127.0.0.1:5555"
	r.Header.Set("User-Agent", "test-agent")
	r.Header.Set("X-Forwarded-For", "203.0.113.9") // a client's own claim is not the gateway's
	ev := local.Event(FromHTTP(r, "/api", nil), Invocation{Resource: "/notes", RequestID: "req-2", Time: now})

	if ev.Path != "/notes" || ev.RequestContext.Path != "/api/notes" || ev.RequestContext.Stage != "local" {
		t.Errorf("path %q, context path %q, stage %q", ev.Path, ev.RequestContext.Path, ev.RequestContext.Stage)
	}
	for name, want := range map[string]string{"Host": "127.0.0.1:8080", "X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "http", "User-Agent": "test-agent"} {
		if got := ev.Headers[name]; got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	for _, absent := range []string{"Via", "X-Amz-Cf-Id", "X-Forwarded-Port", "X-Amzn-Trace-Id"} {
		if _, ok := ev.Headers[absent]; ok {
			t.Errorf("a direct client's event has %s", absent)
		}
	}
	rc := ev.RequestContext
	if rc.DomainName != "127.0.0.1:8080" || rc.DomainPrefix != "" || rc.Protocol != "HTTP/1.1" || rc.Identity.SourceIP != "127.0.0.1" || rc.Identity.UserAgent != "test-agent" {
		t.Errorf("request context %+v", rc)
	}
	if rc.Authorizer != nil || ev.PathParameters != nil || ev.Body != "" || ev.IsBase64Encoded {
		t.Errorf("no claims, parameters or body: %+v", ev)
	}
}

func TestEventBodies(t *testing.T) {
	for name, tc := range map[string]struct {
		body   []byte
		binary bool
		b64    bool
	}{
		"text":              {[]byte(`{"a":1}`), false, false},
		"not UTF-8":         {[]byte{0xff, 0xfe, 0x00}, false, true},
		"binary media type": {[]byte("plain"), true, true},
		"none":              {nil, true, false},
	} {
		ev := deployed.Event(Request{Method: "POST", Path: "/notes", Body: tc.body, Binary: tc.binary}, Invocation{RequestID: "r", Time: now})
		want := string(tc.body)
		if tc.b64 {
			want = base64.StdEncoding.EncodeToString(tc.body)
		}
		if ev.Body != want || ev.IsBase64Encoded != tc.b64 {
			t.Errorf("%s: body %q base64 %v, want %q %v", name, ev.Body, ev.IsBase64Encoded, want, tc.b64)
		}
	}
}

// EventPayload sends what API Gateway sends (nulls, not empty strings) and decodes back to
// the same event.
func TestEventPayload(t *testing.T) {
	ev := deployed.Event(Request{Method: "GET", Path: "/health", SourceIP: "198.51.100.7"}, Invocation{Resource: "/health", RequestID: "r", Time: now})
	b, err := EventPayload(ev)
	if err != nil {
		t.Fatal(err)
	}
	var wire map[string]any
	if err := json.Unmarshal(b, &wire); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"body", "stageVariables", "queryStringParameters", "multiValueQueryStringParameters", "pathParameters"} {
		if v, ok := wire[k]; !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null", k, v, ok)
		}
	}
	if wire["isBase64Encoded"] != false {
		t.Errorf("isBase64Encoded = %v, want false", wire["isBase64Encoded"])
	}
	rc := wire["requestContext"].(map[string]any)
	if _, ok := rc["authorizer"]; ok {
		t.Error("an authorizer on a method without one")
	}
	id := rc["identity"].(map[string]any)
	if v, ok := id["principalOrgId"]; !ok || v != nil || id["caller"] != nil || id["sourceIp"] != "198.51.100.7" {
		t.Errorf("identity %v", id)
	}
	var back events.APIGatewayProxyRequest
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, ev) {
		t.Errorf("the payload decodes to\n%+v\nnot\n%+v (%v)", back, ev, err)
	}
}

func TestFromPayload(t *testing.T) {
	resp, err := FromProxyResponse(events.APIGatewayProxyResponse{
		StatusCode:        201,
		Headers:           map[string]string{"location": "/notes/n1", "Vary": "Origin"},
		MultiValueHeaders: map[string][]string{"vary": {"Accept", "Origin"}},
		Body:              base64.StdEncoding.EncodeToString([]byte("<hi>")), IsBase64Encoded: true,
	}, "req-1")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 201 || string(resp.Body) != "<hi>" || resp.FromGateway {
		t.Errorf("response %+v", resp)
	}
	want := http.Header{"Location": {"/notes/n1"}, "Vary": {"Accept", "Origin"}, "Content-Type": {"application/json"}, "X-Amzn-Requestid": {"req-1"}}
	if !reflect.DeepEqual(resp.Header, want) {
		t.Errorf("header %v, want %v", resp.Header, want)
	}
	if resp.Get("content-type") != "application/json" {
		t.Error("Get is not case-insensitive")
	}
	for name, payload := range map[string]string{
		"not JSON":     `oops`,
		"no status":    `{}`,
		"status 600":   `{"statusCode":600}`,
		"bad base64":   `{"statusCode":200,"isBase64Encoded":true,"body":"%%%"}`,
		"over 6 MB":    `{"statusCode":200,"body":"` + strings.Repeat("a", 6<<20) + `"}`,
		"a JSON null":  `null`,
		"array answer": `[200]`,
	} {
		if _, err := FromPayload([]byte(payload), ""); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if resp, err := FromPayload([]byte(`{"statusCode":204}`), ""); err != nil || resp.Header.Get("X-Amzn-Requestid") != "" {
		t.Errorf("no request id: %v %v", resp.Header, err)
	}
}

func TestResponseWrite(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Type", "text/html") // set before, by a middleware
	Response{Status: 404, Header: http.Header{"Content-Type": {"application/json"}, "Vary": {"A", "B"}}, Body: []byte(`{}`)}.Write(rec)
	if rec.Code != 404 || rec.Body.String() != `{}` || rec.Header().Get("Content-Type") != "application/json" ||
		rec.Header().Get("Content-Length") != "2" || len(rec.Header().Values("Vary")) != 2 {
		t.Errorf("%d %v %q", rec.Code, rec.Header(), rec.Body)
	}
}
