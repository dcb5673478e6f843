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
	"slices"
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
	// Route is the matched route of the router's table.
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
		if !slices.Contains(allowed, name) {
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
		return nil, Errorf(http.StatusUnsupportedMediaType, api.CodeUnsupportedMedia, "Content-Type must be application/json")
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
	return Errorf(http.StatusRequestEntityTooLarge, api.CodePayloadTooLarge,
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
// names, null values (also inside arrays: "tags": [null] is the wrong type, not an empty
// tag), wrong types, unpaired surrogate escapes and trailing data are all 400s. This is
// what makes "unknown JSON fields are rejected" true rather than approximately true.
func DecodeObject(body []byte, fields ...Field) *Error {
	if unpairedSurrogate(body) {
		return BadRequest(`request body has an unpaired UTF-16 surrogate escape (\uD800 to \uDFFF): send the character itself or its surrogate pair`)
	}
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
		if hasNull(raw) {
			return BadRequest("field %q has the wrong type: it contains null", name)
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

// hasNull reports whether a JSON value holds a null anywhere (encoding/json would decode
// a null element of []string as "", turning a type error into a length error).
func hasNull(raw []byte) bool {
	if !bytes.Contains(raw, []byte("null")) {
		return false // the common case, without a decoder
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if tok == nil {
			return true
		}
	}
}

// unpairedSurrogate reports whether a JSON text has a \u escape of a UTF-16 surrogate
// that is not half of a pair (a high one, D800-DBFF, followed at once by a low one,
// DC00-DFFF). encoding/json decodes such an escape to U+FFFD, so "\ud800" and "\udfff"
// would become the same note. Only escapes are looked at: raw bytes are already checked
// as UTF-8, which cannot encode a surrogate.
//
// Ours because the standard library has no such check before Go's JSON v2 (in Go 1.26
// encoding/json/jsontext, which rejects lone surrogates, is still behind
// GOEXPERIMENT=jsonv2); FuzzDecode checks it against go-json-experiment's jsontext, the
// same code, which only the tests import.
func unpairedSurrogate(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		i++ // the escaped character: a second backslash is never the start of an escape
		r, ok := escapedRune(b, i)
		if !ok {
			continue
		}
		i += 4
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		case r >= 0xD800 && r <= 0xDBFF:
			if i+2 < len(b) && b[i+1] == '\\' {
				if lo, ok := escapedRune(b, i+2); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					i += 6
					continue
				}
			}
			return true
		}
	}
	return false
}

// escapedRune reads the code unit of a \u escape whose "u" is at b[i].
func escapedRune(b []byte, i int) (rune, bool) {
	if i+4 >= len(b) || b[i] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range b[i+1 : i+5] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
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
