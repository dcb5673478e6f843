package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/example/notesplatform/lambdas/api"
)

// FuzzDecode feeds arbitrary bodies, content types and encodings through the request
// decoding (readBody then DecodeObject). It must never panic; every rejection must be a
// 4xx; every accepted body must really be one JSON object with only the known fields, and
// valid I-JSON (RFC 7493: UTF-8 without unpaired surrogate escapes, unique names) by the
// judgement of go-json-experiment's jsontext, the code of Go's JSON v2.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"title":"\ud800"}`), "application/json", false)
	f.Add([]byte(`{"title":"\ud83d\ude00","tags":[null]}`), "application/json", false)
	f.Add([]byte(`{"title":"t","body":"b","tags":["a"]}`), "application/json", false)
	f.Add([]byte(`{"title":"t","title":"u"}`), "application/json; charset=utf-8", false)
	f.Add([]byte(`{"TITLE":"t"}`), "application/json", true)
	f.Add([]byte("{\"title\":\"\xff\"}"), "application/json", false)
	f.Add([]byte(`{"title":"t"} trailing`), "text/plain", false)
	f.Add([]byte(`[{"title":null}]`), "application/json", false)
	f.Fuzz(func(t *testing.T, body []byte, contentType string, b64 bool) {
		ev := &events.APIGatewayProxyRequest{Headers: map[string]string{"Content-Type": contentType}, IsBase64Encoded: b64}
		if b64 {
			ev.Body = base64.StdEncoding.EncodeToString(body)
		} else {
			ev.Body = string(body)
		}
		raw, e := readBody(ev)
		if e != nil {
			if e.Status < 400 || e.Status > 499 {
				t.Fatalf("readBody status %d", e.Status)
			}
			return
		}
		if len(raw) > api.MaxRequestBytes || !utf8.Valid(raw) {
			t.Fatalf("readBody accepted %d bytes of (valid UTF-8: %v)", len(raw), utf8.Valid(raw))
		}
		var title, text string
		var tags []string
		e = DecodeObject(raw, Field{Name: "title", Into: &title, Required: true}, Field{Name: "body", Into: &text},
			Field{Name: "tags", Into: &tags})
		if e != nil {
			if e.Status != 400 || e.Code != api.CodeBadRequest {
				t.Fatalf("DecodeObject error %d %s", e.Status, e.Code)
			}
			return
		}
		if !jsontext.Value(raw).IsValid() {
			t.Fatalf("accepted a body that is not I-JSON: %q", raw)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("accepted a body that is not a JSON object: %q", raw)
		}
		if _, ok := m["title"]; !ok {
			t.Fatalf("accepted a body without title: %q", raw)
		}
		for k := range m {
			if k != "title" && k != "body" && k != "tags" {
				t.Fatalf("accepted unknown field %q", k)
			}
		}
	})
}

// FuzzUnpairedSurrogate checks the surrogate scan against jsontext: on valid UTF-8 JSON,
// jsontext (duplicate names allowed) refuses exactly the texts with an unpaired surrogate
// escape.
func FuzzUnpairedSurrogate(f *testing.F) {
	for _, s := range []string{`"\ud800"`, `"\udc00"`, `"\ud83d\ude00"`, `"\\ud800"`, `["\uD83D\uDE00\ud800"]`,
		`{"\ud800":1}`, `"\ud83d\n"`, `"\ud83d\u0041"`, `"x\\\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) || !utf8.Valid(b) {
			return
		}
		valid := jsontext.Value(b).IsValid(jsontext.AllowDuplicateNames(true))
		if got := unpairedSurrogate(b); got == valid {
			t.Fatalf("unpairedSurrogate(%q) = %v, but jsontext says valid = %v", b, got, valid)
		}
	})
}
