// Package apitest builds API Gateway proxy events and reads responses for tests of the
// handlers, so every test speaks to the handlers exactly as API Gateway does.
package apitest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/notesplatform/lambdas/api"
)

// Req describes a request.
type Req struct {
	Method string
	// Path is the request path, such as /notes/01J....
	Path string
	// Sub is the caller's `sub` claim; empty for an unauthenticated request.
	Sub  string
	Body string
	// Base64 sends Body base64-encoded, as API Gateway does for binary media types.
	Base64  bool
	Headers map[string]string
	Query   map[string]string
	// Gateway fills Resource and PathParameters as API Gateway does for a path of the
	// shipped route table (none for a path that matches no route); without it only Path
	// is set.
	Gateway bool
}

// JSON is a request header set for a JSON body.
var JSON = map[string]string{"Content-Type": "application/json"}

// With returns JSON headers plus extra ones.
func With(extra ...string) map[string]string {
	h := map[string]string{"Content-Type": "application/json"}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

// Event builds the proxy event for r.
func Event(r Req) events.APIGatewayProxyRequest {
	ev := events.APIGatewayProxyRequest{
		HTTPMethod:            r.Method,
		Path:                  r.Path,
		Headers:               r.Headers,
		QueryStringParameters: r.Query,
		Body:                  r.Body,
		IsBase64Encoded:       r.Base64,
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID: "test-request-id",
			Stage:     "api",
			Path:      "/api" + r.Path,
		},
	}
	if r.Base64 {
		ev.Body = base64.StdEncoding.EncodeToString([]byte(r.Body))
	}
	if r.Sub != "" {
		ev.RequestContext.Authorizer = map[string]any{"claims": map[string]any{"sub": r.Sub, "token_use": "id"}}
	}
	if r.Gateway {
		if tmpl, params, ok := api.Shipped().Match(r.Path); ok {
			ev.Resource, ev.PathParameters = tmpl, params
		}
	}
	return ev
}

// ErrorBody is the error shape as a client decodes it.
type ErrorBody struct {
	Error *struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"requestId"`
	} `json:"error"`
}

// CheckError verifies that resp is an error in the one error shape with a non-empty
// code, message and request id and no other members; it returns the code.
func CheckError(resp events.APIGatewayProxyResponse) (api.ErrorCode, error) {
	if resp.Headers["Content-Type"] != "application/json" {
		return "", fmt.Errorf("error response Content-Type %q", resp.Headers["Content-Type"])
	}
	dec := json.NewDecoder(strings.NewReader(resp.Body))
	dec.DisallowUnknownFields()
	var e ErrorBody
	if err := dec.Decode(&e); err != nil {
		return "", fmt.Errorf("error body %q is not the error shape: %v", resp.Body, err)
	}
	if e.Error == nil || e.Error.Code == "" || e.Error.Message == "" || e.Error.RequestID == "" {
		return "", fmt.Errorf("error body %q lacks code, message or requestId", resp.Body)
	}
	return api.ErrorCode(e.Error.Code), nil
}
