package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/notesplatform/lambdas/api"
)

// Request is what a handler sees: the raw event plus what the router already checked and
// extracted, so handlers never re-parse headers, claims or paths.
type Request struct {
	// Event is the original API Gateway proxy event.
	Event *events.APIGatewayProxyRequest
	// Route is the matched entry of api.Routes.
	Route api.Route
	// RequestID identifies the request in responses and logs.
	RequestID string
	// Caller is the `sub` claim of the caller's token; empty on public routes.
	Caller string
	// Params holds the path parameters of the matched route, such as "id".
	Params map[string]string
	// Body is the decoded request body (base64 undone, size and UTF-8 checked). It is set
	// only on routes with a Model; other routes ignore any body.
	Body []byte
	// Log is the request's logger, already tagged with the request id and route.
	Log *slog.Logger
}

// Header returns the value of the named header, matched case-insensitively in both
// Headers and MultiValueHeaders (API Gateway fills either, and clients spell names freely).
func (r *Request) Header(name string) (string, bool) {
	return Header(r.Event, name)
}

// Header looks up a request header case-insensitively in Headers, then in
// MultiValueHeaders (first value).
func Header(ev *events.APIGatewayProxyRequest, name string) (string, bool) {
	if v, ok := ev.Headers[name]; ok {
		return v, true
	}
	for k, v := range ev.Headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	for k, vs := range ev.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0], true
		}
	}
	return "", false
}

// Query returns the single value of a query-string parameter. The router has already
// rejected unknown and repeated parameters.
func (r *Request) Query(name string) (string, bool) {
	if v, ok := r.Event.QueryStringParameters[name]; ok {
		return v, true
	}
	if vs := r.Event.MultiValueQueryStringParameters[name]; len(vs) > 0 {
		return vs[0], true
	}
	return "", false
}

// checkQuery rejects query parameters the route does not declare and parameters given
// more than once, so a typo (?limt=5) is an error rather than silently ignored.
func checkQuery(ev *events.APIGatewayProxyRequest, allowed []string) *Error {
	check := func(name string, n int) *Error {
		if !contains(allowed, name) {
			return BadRequest("query parameter %q is not accepted here", truncate(name, 40))
		}
		if n > 1 {
			return BadRequest("query parameter %q is given more than once", name)
		}
		return nil
	}
	for k := range ev.QueryStringParameters {
		if e := check(k, 1); e != nil {
			return e
		}
	}
	for k, vs := range ev.MultiValueQueryStringParameters {
		if e := check(k, len(vs)); e != nil {
			return e
		}
	}
	return nil
}

// readBody checks the content type and size of a request body and undoes API Gateway's
// base64 encoding. It runs only for routes with a Model.
func readBody(ev *events.APIGatewayProxyRequest) ([]byte, *Error) {
	ct, _ := Header(ev, "Content-Type")
	if !isJSONMediaType(ct) {
		return nil, Errorf(http.StatusUnsupportedMediaType, CodeUnsupportedMedia, "Content-Type must be application/json")
	}
	raw := ev.Body
	// A base64 body is 4/3 of the decoded size: reject obvious oversize before decoding.
	if len(raw) > base64.StdEncoding.EncodedLen(api.MaxRequestBytes)+4 {
		return nil, tooLarge()
	}
	var body []byte
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(raw)
		if err != nil {
			return nil, BadRequest("request body is not valid base64")
		}
		body = b
	} else {
		body = []byte(raw)
	}
	if len(body) > api.MaxRequestBytes {
		return nil, tooLarge()
	}
	if !utf8.Valid(body) {
		return nil, BadRequest("request body is not valid UTF-8")
	}
	return body, nil
}

func tooLarge() *Error {
	return Errorf(http.StatusRequestEntityTooLarge, CodePayloadTooLarge,
		"request body is larger than %d bytes", api.MaxRequestBytes)
}

// isJSONMediaType accepts application/json with an optional charset=utf-8 parameter.
func isJSONMediaType(ct string) bool {
	if ct == "" {
		return false
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// Field is one member of a JSON object for DecodeObject: where to decode it and whether
// it must be present.
type Field struct {
	Name     string
	Into     any
	Required bool
}

// DecodeObject decodes body, a JSON object, into the given fields strictly: names match
// exactly (encoding/json alone would accept "TITLE" for "title"), unknown and duplicate
// names, null values, wrong types and trailing data are all 400s. This is what makes
// "unknown JSON fields are rejected" true rather than approximately true.
func DecodeObject(body []byte, fields ...Field) *Error {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return BadRequest("request body is not valid JSON")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return BadRequest("request body must be a JSON object")
	}
	var seen uint64
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return BadRequest("request body is not valid JSON")
		}
		name, _ := tok.(string)
		i := -1
		for j := range fields {
			if fields[j].Name == name {
				i = j
				break
			}
		}
		if i < 0 {
			return BadRequest("unknown field %q", truncate(name, 40))
		}
		if seen&(1<<i) != 0 {
			return BadRequest("field %q is given more than once", name)
		}
		seen |= 1 << i
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return BadRequest("request body is not valid JSON")
		}
		if string(raw) == "null" {
			return BadRequest("field %q must not be null", name)
		}
		if err := json.Unmarshal(raw, fields[i].Into); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return BadRequest("field %q has the wrong type", name)
			}
			return BadRequest("field %q is not valid", name)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return BadRequest("request body is not valid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return BadRequest("request body has data after the JSON object")
	}
	for i, f := range fields {
		if f.Required && seen&(1<<i) == 0 {
			return BadRequest("field %q is required", f.Name)
		}
	}
	return nil
}

// MaxCallerLen bounds the `sub` claim we accept; Cognito subs are 36-character UUIDs.
const MaxCallerLen = 128

// Caller returns the caller's identity: the `sub` claim that the Cognito authorizer put
// in the request context. It never looks at anything the client sent directly, so a user
// cannot claim to be someone else. ok is false when there is no usable sub.
func Caller(ev *events.APIGatewayProxyRequest) (sub string, ok bool) {
	claims := ev.RequestContext.Authorizer["claims"]
	switch c := claims.(type) {
	case map[string]any:
		sub, _ = c["sub"].(string)
	case map[string]string:
		sub = c["sub"]
	}
	if sub == "" || len(sub) > MaxCallerLen || !utf8.ValidString(sub) {
		return "", false
	}
	for _, r := range sub {
		if r < 0x20 || r == 0x7f {
			return "", false
		}
	}
	return sub, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// truncate keeps client-supplied text in messages short and valid UTF-8.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
