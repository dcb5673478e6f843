package api

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// ErrorCode is the stable "code" of an error response. Clients branch on it, not on the
// message, so a code never changes meaning once published.
type ErrorCode string

// The error codes of the API: the functions', and those the gateway answers itself.
const (
	CodeBadRequest           ErrorCode = "bad_request"
	CodeValidation           ErrorCode = "validation_failed"
	CodeUnauthorized         ErrorCode = "unauthorized"
	CodeForbidden            ErrorCode = "forbidden"
	CodeNotFound             ErrorCode = "not_found"
	CodeMethodNotAllowed     ErrorCode = "method_not_allowed"
	CodeConflict             ErrorCode = "conflict"
	CodePreconditionFailed   ErrorCode = "precondition_failed"
	CodePayloadTooLarge      ErrorCode = "payload_too_large"
	CodeUnsupportedMedia     ErrorCode = "unsupported_media_type"
	CodeUnprocessable        ErrorCode = "unprocessable_entity"
	CodePreconditionRequired ErrorCode = "precondition_required"
	CodeThrottled            ErrorCode = "throttled"
	CodeInternal             ErrorCode = "internal_error"
	// CodeUnavailable (503): a dependency (DynamoDB, Secrets Manager, Lambda itself)
	// throttled or failed after the SDK's retries. Retrying later is the right move.
	CodeUnavailable ErrorCode = "unavailable"
	// CodeTimeout (504): the request ran out of its time before it could finish. Whether
	// a write took effect is unknown: retry it (with its Idempotency-Key or If-Match).
	CodeTimeout ErrorCode = "timeout"
)

// RetryAfterSeconds is the Retry-After, in seconds, of every answer that invites a retry
// and knows no better time: 503 unavailable, 504 timeout, and the gateway's own 429 and
// 5xx answers (see GatewayRetryable). One second: the SDK has already backed off for up
// to two seconds inside the request, DynamoDB adapts its capacity within seconds, and
// clients add their own backoff on top. An idempotency key still held by another attempt
// is answered with the time that attempt may still run instead.
const RetryAfterSeconds = 1

// ErrorJSON renders the API's one error shape, {"error":{"code","message","requestId"}},
// from a code and two parts that are already JSON values. It is the only place the shape
// is written: Go callers pass real values through ErrorBody, while the Backend stack's
// API Gateway templates pass VTL that renders to JSON, such as
// $context.error.messageString (already a quoted string) and "$context.requestId".
func ErrorJSON(code ErrorCode, messageJSON, requestIDJSON string) string {
	return `{"error":{"code":` + QuoteJSON(string(code)) + `,"message":` + messageJSON +
		`,"requestId":` + requestIDJSON + `}}`
}

// ErrorBody renders an error response body from real values.
func ErrorBody(code ErrorCode, message, requestID string) string {
	return ErrorJSON(code, QuoteJSON(message), QuoteJSON(requestID))
}

// QuoteJSON returns s as a JSON string literal, without HTML escaping (the API's bodies
// are application/json with nosniff, never HTML, and escaping <, > and & would make them
// up to six times longer).
func QuoteJSON(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes (invalid UTF-8 becomes U+FFFD)
	return strings.TrimSuffix(buf.String(), "\n")
}

// AllowHeader formats the methods of a path as the value of its 405 answer's Allow
// header: sorted, without duplicates, separated by ", " (RFC 9110's list syntax; its own
// example is "Allow: GET, HEAD, PUT"). The router, the local server and the deployed
// API's 405 mock all use it, so one path has one Allow value everywhere.
func AllowHeader[M ~string](methods []M) string {
	s := make([]string, len(methods))
	for i, m := range methods {
		s[i] = string(m)
	}
	slices.Sort(s)
	return strings.Join(slices.Compact(s), ", ")
}

// MethodNotAllowedMessage is the message of a 405 answer. The deployed API's mock renders
// it with method "$context.httpMethod"; path is the route's path template.
func MethodNotAllowedMessage(method, path string) string {
	return "method " + method + " is not allowed on " + path
}
