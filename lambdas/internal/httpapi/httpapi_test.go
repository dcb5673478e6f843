package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/lambdas/api"
)

type doc struct {
	Title string
	Tags  []string
}

func decodeDoc(body string) (doc, *Error) {
	var d doc
	e := DecodeObject([]byte(body), Field{Name: "title", Into: &d.Title, Required: true}, Field{Name: "tags", Into: &d.Tags})
	return d, e
}

func TestDecodeObject(t *testing.T) {
	d, e := decodeDoc(` {"tags":["a"], "title":"x\u00e9"} `)
	require.Nil(t, e)
	assert.Equal(t, doc{Title: "xé", Tags: []string{"a"}}, d)

	for name, body := range map[string]string{
		"empty": "", "not JSON": "nope", "string": `"x"`, "array": `[]`, "number": `1`,
		"unknown": `{"title":"t","x":1}`, "case": `{"Title":"t"}`, "duplicate": `{"title":"a","title":"b"}`,
		"null": `{"title":null}`, "type": `{"title":1}`, "nested type": `{"title":"t","tags":[1]}`,
		"trailing": `{"title":"t"}x`, "second object": `{"title":"t"}{}`, "missing": `{}`,
		"unterminated": `{"title":"t"`, "bad key": `{1:2}`,
	} {
		_, e := decodeDoc(body)
		if assert.NotNil(t, e, name) {
			assert.Equal(t, http.StatusBadRequest, e.Status, name)
		}
	}
}

// A lone surrogate escape is refused; pairs and escaped backslashes are not escapes of
// surrogates.
func TestDecodeObjectRefusesUnpairedSurrogates(t *testing.T) {
	for _, body := range []string{`{"title":"\ud800"}`, `{"title":"\uDBFF\u0041"}`, `{"title":"\udc00\ud800"}`,
		`{"title":"t","tags":["\udfff"]}`, `{"title":"\ud800\"}`} {
		_, e := decodeDoc(body)
		if assert.NotNil(t, e, body) {
			assert.Equal(t, api.CodeBadRequest, e.Code, body)
			assert.Contains(t, e.Message, "surrogate", body)
		}
	}
	for body, title := range map[string]string{`{"title":"\ud83d\ude00"}`: "😀", `{"title":"\\ud800"}`: `\ud800`, `{"title":"\u00e9"}`: "é"} {
		d, e := decodeDoc(body)
		if assert.Nil(t, e, body) {
			assert.Equal(t, title, d.Title)
		}
	}
}

// null nested in a value is the wrong type, not a zero value.
func TestDecodeObjectRefusesNestedNull(t *testing.T) {
	for _, body := range []string{`{"title":"t","tags":[null]}`, `{"title":"t","tags":["a",null]}`} {
		_, e := decodeDoc(body)
		if assert.NotNil(t, e, body) {
			assert.Equal(t, api.CodeBadRequest, e.Code)
			assert.Contains(t, e.Message, "wrong type")
		}
	}
	d, e := decodeDoc(`{"title":"null","tags":["null"]}`)
	assert.Nil(t, e)
	assert.Equal(t, []string{"null"}, d.Tags, "the string null is a string")
}

func TestJSONIsNotHTMLEscaped(t *testing.T) {
	resp := JSON(200, map[string]string{"t": "<&>"}, nil)
	assert.Equal(t, `{"t":"<&>"}`, resp.Body)
	resp = ErrorResponse(BadRequest("<%s>", "x"), "r")
	assert.Contains(t, resp.Body, `"message":"<x>"`)
}

func TestHeaderIsCaseInsensitive(t *testing.T) {
	ev := &events.APIGatewayProxyRequest{
		Headers:           map[string]string{"content-TYPE": "a"},
		MultiValueHeaders: map[string][]string{"If-Match": {`"1"`, `"2"`}, "X-Empty": {}},
	}
	v, ok := Header(ev, "Content-Type")
	assert.True(t, ok)
	assert.Equal(t, "a", v)
	v, ok = Header(ev, "if-match")
	assert.True(t, ok)
	assert.Equal(t, `"1"`, v)
	_, ok = Header(ev, "x-empty")
	assert.False(t, ok)
	_, ok = Header(ev, "missing")
	assert.False(t, ok)
}

func TestJSONMediaType(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/json": true, "Application/JSON": true, "application/json; charset=utf-8": true,
		"application/json;charset=UTF-8": true, "": false, "text/plain": false, "application/json; charset=latin1": false,
		"application/json; foo=bar": false, "application/jsonx": false, "application/json;": true, ";;": false,
	} {
		assert.Equal(t, want, isJSONMediaType(ct), ct)
	}
}

func TestRouterNeedsAHandlerPerRoute(t *testing.T) {
	ok := func(context.Context, *Request) (events.APIGatewayProxyResponse, error) {
		return JSON(200, map[string]string{}, nil), nil
	}
	tbl := api.Shipped()
	_, err := NewRouter(tbl, "Health", nil, map[string]HandlerFunc{})
	assert.ErrorContains(t, err, "GET /health has no handler")
	_, err = NewRouter(tbl, "Health", nil, map[string]HandlerFunc{"GET /health": ok, "GET /extra": ok})
	assert.ErrorContains(t, err, "GET /extra matches no route")
	_, err = NewRouter(tbl, "Ghost", nil, nil)
	assert.ErrorContains(t, err, "function Ghost is not in the route table")
	rt, err := NewRouter(tbl, "Health", nil, map[string]HandlerFunc{"GET /health": ok})
	require.NoError(t, err)
	resp, err := rt.Handle(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/health/"})
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode, "one trailing slash is tolerated")
}

func TestRequestIDFallsBackToLambdaThenRandom(t *testing.T) {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-id"})
	assert.Equal(t, "apigw-id", requestID(ctx, &events.APIGatewayProxyRequest{
		RequestContext: events.APIGatewayProxyRequestContext{RequestID: "apigw-id"}}))
	assert.Equal(t, "lambda-id", requestID(ctx, &events.APIGatewayProxyRequest{}))
	a, b := requestID(context.Background(), &events.APIGatewayProxyRequest{}), requestID(context.Background(), &events.APIGatewayProxyRequest{})
	assert.Len(t, a, 32)
	assert.NotEqual(t, a, b)
}

func TestErrorResponseShape(t *testing.T) {
	e := MethodNotAllowed("PATCH", "/notes/{id}", []api.Method{api.MethodPut, api.MethodGet})
	resp := ErrorResponse(e, "rid")
	assert.Equal(t, 405, resp.StatusCode)
	assert.Equal(t, "GET, PUT", resp.Headers["Allow"])
	assert.Equal(t, "application/json", resp.Headers["Content-Type"])
	assert.JSONEq(t, `{"error":{"code":"method_not_allowed","message":"method PATCH is not allowed on /notes/{id}","requestId":"rid"}}`, resp.Body)
	assert.Equal(t, "405 method_not_allowed: method PATCH is not allowed on /notes/{id}", e.Error())
	bad := JSON(200, map[string]any{"f": func() {}}, nil)
	assert.Equal(t, 500, bad.StatusCode, "an unencodable value is a 500, not a broken body")
	assert.True(t, json.Valid([]byte(bad.Body)))
}

func TestTruncateKeepsUTF8(t *testing.T) {
	s := truncate(strings.Repeat("é", 30), 41)
	assert.True(t, strings.HasSuffix(s, "…"))
	assert.LessOrEqual(t, len(s), 41+len("…"))
	assert.Equal(t, "short", truncate("short", 40))
}
