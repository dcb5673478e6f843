package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
)

// ContentTypeJSON is the media type of every response body.
const ContentTypeJSON = "application/json"

// JSON builds a response whose body is v encoded as JSON. headers may be nil. Encoding a
// value of the API's own types cannot fail; if it does, the caller gets a 500 in the
// error shape instead of a half-written body.
func JSON(status int, v any, headers map[string]string) events.APIGatewayProxyResponse {
	body, err := json.Marshal(v)
	if err != nil {
		return ErrorResponse(Errorf(http.StatusInternalServerError, CodeInternal, "internal error"), "")
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

// ErrorResponse renders e in the one error shape, tagged with the request id.
func ErrorResponse(e *Error, requestID string) events.APIGatewayProxyResponse {
	body, _ := json.Marshal(ErrorBody{Error: ErrorDetail{Code: e.Code, Message: e.Message, RequestID: requestID}})
	h := baseHeaders(len(e.Header) + 1)
	h["Content-Type"] = ContentTypeJSON
	for k, v := range e.Header {
		h[k] = v
	}
	return events.APIGatewayProxyResponse{StatusCode: e.Status, Headers: h, Body: string(body)}
}

// baseHeaders are sent on every response: API data is per user and must never be stored
// by a shared cache (CloudFront included), and browsers must not sniff the JSON as HTML.
func baseHeaders(extra int) map[string]string {
	h := make(map[string]string, 2+extra)
	h["Cache-Control"] = "no-store"
	h["X-Content-Type-Options"] = "nosniff"
	return h
}
