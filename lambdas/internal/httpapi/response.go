package httpapi

import (
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/jsonenc"
)

// ContentTypeJSON is the media type of every response body.
const ContentTypeJSON = "application/json"

// JSON builds a response whose body is v encoded as JSON, without HTML escaping (see
// jsonenc). headers may be nil. Encoding a value of the API's own types cannot fail; if it
// does, the caller gets a 500 in the error shape instead of a half-written body.
func JSON(status int, v any, headers map[string]string) events.APIGatewayProxyResponse {
	body, err := jsonenc.Marshal(v)
	if err != nil {
		return ErrorResponse(Errorf(http.StatusInternalServerError, api.CodeInternal, "internal error"), "")
	}
	h := baseHeaders(len(headers) + 2)
	h["Content-Type"] = ContentTypeJSON
	for k, v := range headers {
		h[k] = v
	}
	return events.APIGatewayProxyResponse{StatusCode: status, Headers: h, Body: string(body)}
}

// NoContent builds a 204 response with no body.
func NoContent() events.APIGatewayProxyResponse {
	return events.APIGatewayProxyResponse{StatusCode: http.StatusNoContent, Headers: baseHeaders(0)}
}

// ErrorResponse renders e in the one error shape (api.ErrorBody), tagged with the request
// id.
func ErrorResponse(e *Error, requestID string) events.APIGatewayProxyResponse {
	h := baseHeaders(len(e.Header) + 1)
	h["Content-Type"] = ContentTypeJSON
	for k, v := range e.Header {
		h[k] = v
	}
	return events.APIGatewayProxyResponse{StatusCode: e.Status, Headers: h, Body: api.ErrorBody(e.Code, e.Message, requestID)}
}

// baseHeaders are sent on every response: API data is per user and must never be stored
// by a shared cache (CloudFront included), and browsers must not sniff the JSON as HTML.
func baseHeaders(extra int) map[string]string {
	h := make(map[string]string, 2+extra)
	h["Cache-Control"] = "no-store"
	h["X-Content-Type-Options"] = "nosniff"
	return h
}
