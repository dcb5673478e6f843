package apigateway

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/example/notesplatform/lambdas/api"
)

// The parts of API Gateway's mapping-template language (VTL) that the API's gateway
// responses use, as they appear in the template.
const (
	// MessageVTL renders the error's message as a quoted JSON string.
	MessageVTL = "$context.error.messageString"
	// RequestIDVTL renders the request id, unquoted.
	RequestIDVTL = "$context.requestId"
	// escapedValidationVTL renders the request validator's errors escaped for use inside
	// a JSON string (escapeJavaScript writes ' as \', which replaceAll undoes).
	escapedValidationVTL = `$util.escapeJavaScript($context.error.validationErrorString).replaceAll("\\'","'")`
)

// GatewayResponse is how the API renders one kind of answer that API Gateway gives by
// itself (no or bad token, unknown path, a body that fails its model, a failed
// integration): an AWS::ApiGateway::GatewayResponse. Without one, API Gateway answers
// {"message": ...}; with one, in the app's error shape.
type GatewayResponse struct {
	// Status replaces API Gateway's own status. Default: API Gateway's own when zero.
	Status int
	// Header holds the static header values of the response parameters.
	Header map[string]string
	// Template is the application/json body template. Default: API Gateway's own body.
	Template string
}

// GatewayResponses are an API's gateway responses by response type (UNAUTHORIZED...).
type GatewayResponses map[string]GatewayResponse

// AppResponses are the app's gateway responses (api.GatewayErrors) in the form the
// Backend stack deploys them: its one error shape with the error's message and the request
// id. The local server answers with them; test/artifact checks that the synthesized
// template's gateway responses render the same answers.
func AppResponses() GatewayResponses {
	out := make(GatewayResponses, len(api.GatewayErrors))
	for kind, e := range api.GatewayErrors {
		r := GatewayResponse{Status: e.Status, Template: api.ErrorJSON(e.Code, MessageVTL, `"`+RequestIDVTL+`"`)}
		// As the deployed responses: throttling and every 5xx (DEFAULT_5XX whatever its
		// status) ask the client to come back (constructs/restapi, Props.RetryAfter).
		if api.GatewayRetryable(e.Status) || kind == api.GatewayDefault5xx {
			r.Header = map[string]string{"Retry-After": strconv.Itoa(api.RetryAfterSeconds)}
		}
		out[string(kind)] = r
	}
	return out
}

// Answer is the answer API Gateway gives by itself for an error of a kind, whose own
// status is status: rendered from the API's gateway response for kind, else API
// Gateway's default. message is the error's message ($context.error.messageString) and,
// for BAD_REQUEST_BODY, the validator's errors ($context.error.validationErrorString).
func (g GatewayResponses) Answer(kind string, status int, message, requestID string) Response {
	resp := Response{Status: status, FromGateway: true,
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   []byte(`{"message":` + api.QuoteJSON(message) + `}`)}
	if requestID != "" {
		resp.Header.Set("X-Amzn-Requestid", requestID)
	}
	r, ok := g[kind]
	if !ok {
		return resp
	}
	if r.Status != 0 {
		resp.Status = r.Status
	}
	for k, v := range r.Header {
		resp.Header.Set(k, v)
	}
	if r.Template != "" {
		quoted := api.QuoteJSON(message)
		resp.Body = []byte(strings.NewReplacer(
			escapedValidationVTL, quoted[1:len(quoted)-1],
			"$context.error.validationErrorString", message,
			MessageVTL, quoted,
			RequestIDVTL, requestID,
		).Replace(r.Template))
	}
	return resp
}
