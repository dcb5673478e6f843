package apigateway

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/example/notesplatform/lambdas/api"
)

func TestAnswerWithoutAGatewayResponseIsAPIGatewaysDefault(t *testing.T) {
	resp := GatewayResponses{}.Answer("UNAUTHORIZED", 401, `say "no"`, "req-1")
	want := Response{Status: 401, FromGateway: true, Body: []byte(`{"message":"say \"no\""}`),
		Header: http.Header{"Content-Type": {"application/json"}, "X-Amzn-Requestid": {"req-1"}}}
	if !reflect.DeepEqual(resp, want) {
		t.Errorf("%+v, want %+v", resp, want)
	}
}

func TestAnswerRendersTheTemplate(t *testing.T) {
	g := GatewayResponses{
		"THROTTLED": {Status: 429, Header: map[string]string{"Retry-After": "1"},
			Template: `{"m":$context.error.messageString,"id":"$context.requestId"}`},
		"BAD_REQUEST_BODY": {Template: `{"m":"` + escapedValidationVTL + `"}`},
	}
	resp := g.Answer("THROTTLED", 400, "Too Many Requests", "req-2")
	if resp.Status != 429 || resp.Get("Retry-After") != "1" || string(resp.Body) != `{"m":"Too Many Requests","id":"req-2"}` {
		t.Errorf("%d %v %s", resp.Status, resp.Header, resp.Body)
	}
	resp = g.Answer("BAD_REQUEST_BODY", 400, `[it's "bad" \ <&>]`, "req-3")
	var got map[string]string
	if err := json.Unmarshal(resp.Body, &got); err != nil || got["m"] != `[it's "bad" \ <&>]` || resp.Status != 400 {
		t.Errorf("%d %s (%v)", resp.Status, resp.Body, err)
	}
}

// The app's gateway responses render the app's one error shape, as api.ErrorBody writes it.
func TestAppResponsesAreTheErrorShape(t *testing.T) {
	app := AppResponses()
	if len(app) != len(api.GatewayErrors) {
		t.Fatalf("%d responses for %d gateway errors", len(app), len(api.GatewayErrors))
	}
	for kind, e := range api.GatewayErrors {
		resp := app.Answer(string(kind), 418, `a "message" <&>`, "req-4")
		want := e.Status
		if want == 0 {
			want = 418
		}
		if resp.Status != want || string(resp.Body) != api.ErrorBody(e.Code, `a "message" <&>`, "req-4") || !resp.FromGateway {
			t.Errorf("%s: %d %s", kind, resp.Status, resp.Body)
		}
	}
}
