package httpapi

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"

	"github.com/example/notesplatform/lambdas/api"
)

// DeadlineMargin is how long before the invocation's deadline (when Lambda stops the
// function) the handlers' AWS calls give up. The margin is what the function needs after
// that to answer in the error shape instead of timing out: release an idempotency key it
// holds (at most notes.ReleaseTimeout), encode the answer, write the log line and hand the
// response to the runtime API. One second: the release's 250 ms plus ample room for a
// slow, memory-starved execution environment (128 to 256 MB get a fraction of a vCPU),
// and a tenth of the functions' 10 s timeout.
const DeadlineMargin = time.Second

// callContext returns ctx with its deadline moved DeadlineMargin earlier, so that every
// AWS call a handler makes with it (and the SDK's retries and backoff with it) stops in
// time for the function to answer. A context without a deadline (tests, direct callers)
// keeps none.
func callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, deadline.Add(-DeadlineMargin))
}

// Kinds of dependency failure, as the request log names them (field "failure"), so that
// dashboards can tell throttling and timeouts from errors.
const (
	failureTimeout     = "timeout"
	failureThrottled   = "throttled"
	failureUnavailable = "unavailable"
)

var (
	sdkThrottles  = retry.IsErrorThrottles(retry.DefaultThrottles)
	sdkRetryables = retry.IsErrorRetryables(retry.DefaultRetryables)
)

// dependencyFailure tells an error that is a dependency's fault from a bug, with the AWS
// SDK's own classifiers rather than by matching strings:
//
//   - the request's time ran out (ctx, the call context, is done) or a call timed out:
//     504 timeout;
//   - throttling as the SDK knows it (ThrottlingException,
//     ProvisionedThroughputExceededException, RequestLimitExceeded, an unmodeled 429...),
//     or the SDK's retry quota ran dry (ratelimit.QuotaExceededError, after many failed
//     retries in this execution environment): 503 unavailable;
//   - whatever else the SDK would retry (an HTTP 500, 502, 503 or 504, a reset or refused
//     connection), and an API error the service marks as its own fault
//     (InternalServerError, ServiceUnavailable...): 503 unavailable.
//
// By the time a handler returns such an error the SDK has already retried it as far as
// its budget and the deadline allow. Anything else (a bug, a missing table, a denied
// permission, a validation error) is not retryable and returns nil: a 500. The string
// is the kind of failure for the log.
func dependencyFailure(ctx context.Context, err error) (*Error, string) {
	after := api.RetryAfterSeconds * time.Second
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return Timeout(after), failureTimeout
	}
	var quota ratelimit.QuotaExceededError
	if sdkThrottles.IsErrorThrottle(err) == aws.TrueTernary || errors.As(err, &quota) {
		return Unavailable(after), failureThrottled
	}
	var apiErr smithy.APIError
	if sdkRetryables.IsErrorRetryable(err) == aws.TrueTernary ||
		(errors.As(err, &apiErr) && apiErr.ErrorFault() == smithy.FaultServer) {
		return Unavailable(after), failureUnavailable
	}
	return nil, ""
}
