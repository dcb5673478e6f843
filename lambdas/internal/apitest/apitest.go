// Package apitest builds API Gateway proxy events and reads responses for tests of the
// handlers, so every test speaks to the handlers exactly as API Gateway does.
package apitest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/notesplatform/internal/apigateway"
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

// deployedAPI is the API the events come from: the deployed stage "api" behind the
// site's CloudFront distribution (see apigateway.Options).
var deployedAPI = apigateway.Options{
	Stage: "api", APIID: "apitest", Account: "123456789012",
	DomainName: "apitest.execute-api.us-east-1.amazonaws.com", CloudFront: true, Tracing: true,
}

// Event builds the proxy event for r, through the same proxy layer (apigateway) as the
// local server and the artifact tests, as the deployed stage sends it.
func Event(r Req) events.APIGatewayProxyRequest {
	req := apigateway.Request{Method: r.Method, Path: r.Path, Body: []byte(r.Body), Binary: r.Base64, SourceIP: "198.51.100.7"}
	if r.Headers != nil {
		req.Header = make(map[string][]string, len(r.Headers))
		for k, v := range r.Headers {
			req.Header[k] = []string{v}
		}
	}
	if r.Query != nil {
		req.Query = make(url.Values, len(r.Query))
		for k, v := range r.Query {
			req.Query[k] = []string{v}
		}
	}
	in := apigateway.Invocation{RequestID: "test-request-id", Time: time.Now()}
	if r.Sub != "" {
		in.Claims = map[string]any{"sub": r.Sub, "token_use": "id"}
	}
	if r.Gateway {
		if tmpl, params, ok := api.Shipped().Match(r.Path); ok {
			in.Resource, in.PathParameters = tmpl, params
		}
	}
	return deployedAPI.Event(req, in)
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
