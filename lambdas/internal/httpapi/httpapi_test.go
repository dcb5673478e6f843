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
	_, err := NewRouter("Health", nil, map[string]HandlerFunc{})
	assert.ErrorContains(t, err, "GET /health has no handler")
	_, err = NewRouter("Health", nil, map[string]HandlerFunc{"GET /health": ok, "GET /extra": ok})
	assert.ErrorContains(t, err, "GET /extra matches no route")
	rt, err := NewRouter("Health", nil, map[string]HandlerFunc{"GET /health": ok})
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
	e := Errorf(405, CodeMethodNotAllowed, "no %s", "way")
	e.Header = map[string]string{"Allow": "GET"}
	resp := ErrorResponse(e, "rid")
	assert.Equal(t, 405, resp.StatusCode)
	assert.Equal(t, "GET", resp.Headers["Allow"])
	assert.Equal(t, "application/json", resp.Headers["Content-Type"])
	assert.JSONEq(t, `{"error":{"code":"method_not_allowed","message":"no way","requestId":"rid"}}`, resp.Body)
	assert.Equal(t, "405 method_not_allowed: no way", e.Error())
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
