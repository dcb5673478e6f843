// Package httpapi is the HTTP edge shared by every function: the one error shape, JSON
// responses, strict request decoding, the caller's identity, the panic guard, request
// logging and the dispatch of API Gateway proxy events over the routes of a route table
// (api.Table). Handlers built on it only translate between events and domain calls.
package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/example/notesplatform/lambdas/api"
)

// Error is a failure that the caller sees: an HTTP status, a stable code and a message
// written for the client. Handlers return it as an ordinary error; the router turns it
// into the one error shape. Any other error becomes a 500 whose details stay in the log.
type Error struct {
	Status  int
	Code    api.ErrorCode
	Message string
	// Header holds extra response headers, such as Allow on a 405.
	Header map[string]string
}

// Error implements error so that handlers can return an *Error like any other error.
func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// Errorf builds an *Error with a formatted message. The message is shown to the client,
// so it must never contain internal details (table names, SDK errors, stack traces).
func Errorf(status int, code api.ErrorCode, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Convenience constructors for the statuses the API uses, so every handler spells a
// given failure the same way.

// BadRequest is a 400 for a malformed request.
func BadRequest(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, api.CodeBadRequest, format, args...)
}

// Validation is a 400 for a well-formed body that breaks the model's limits.
func Validation(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, api.CodeValidation, format, args...)
}

// NotFound is a 404. It is also what another user's resource looks like, so that its
// existence never leaks.
func NotFound() *Error {
	return Errorf(http.StatusNotFound, api.CodeNotFound, "resource not found")
}

// MethodNotAllowed is the 405 for a known path and another method, with the Allow header
// that the local server and the deployed API's mock send too.
func MethodNotAllowed(method, path string, allowed []api.Method) *Error {
	e := Errorf(http.StatusMethodNotAllowed, api.CodeMethodNotAllowed, "%s", api.MethodNotAllowedMessage(method, path))
	e.Header = map[string]string{"Allow": api.AllowHeader(allowed)}
	return e
}

// Unavailable is the 503 for a dependency that throttled or failed after the SDK's
// retries. Its Retry-After says when to try again (RetryAfter).
func Unavailable(retryAfter time.Duration) *Error {
	e := Errorf(http.StatusServiceUnavailable, api.CodeUnavailable, "a service this API depends on is busy or failing; retry later")
	e.Header = map[string]string{"Retry-After": RetryAfter(retryAfter)}
	return e
}

// Timeout is the 504 for a request that ran out of its time (the invocation's deadline
// less DeadlineMargin) before it could finish. A write may or may not have taken effect,
// so the message says how to retry safely.
func Timeout(retryAfter time.Duration) *Error {
	e := Errorf(http.StatusGatewayTimeout, api.CodeTimeout,
		"the request could not finish in time; retry it (a create with the same Idempotency-Key, an update with the same If-Match)")
	e.Header = map[string]string{"Retry-After": RetryAfter(retryAfter)}
	return e
}

// RetryAfter formats d as a Retry-After value: whole seconds, rounded up, at least one
// (RFC 9110 allows only whole seconds, and 0 would invite an immediate retry storm).
func RetryAfter(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(s, 1), 10)
}
