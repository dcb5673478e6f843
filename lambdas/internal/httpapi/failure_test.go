package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/lambdas/api"
)

// sdkError wraps err the way the SDK returns a failed call: an OperationError around the
// retryer's MaxAttemptsError around the HTTP response error around the API error.
func sdkError(status int, err error) error {
	resp := &http.Response{StatusCode: status, Header: http.Header{}}
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "PutItem",
		Err: &retry.MaxAttemptsError{Attempt: 3, Err: &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: err},
			RequestID:     "req-1",
		}}}
}

func TestDependencyFailuresAreRetryableAnswers(t *testing.T) {
	live := context.Background()
	expired, cancel := context.WithDeadline(live, time.Now().Add(-time.Second))
	defer cancel()
	cases := []struct {
		name   string
		ctx    context.Context
		err    error
		status int // 0: not a dependency failure (a 500)
		kind   string
	}{
		{"ThrottlingException", live, sdkError(400, &smithy.GenericAPIError{Code: "ThrottlingException"}), 503, failureThrottled},
		{"ProvisionedThroughputExceeded", live, sdkError(400, &types.ProvisionedThroughputExceededException{}), 503, failureThrottled},
		{"RequestLimitExceeded", live, sdkError(400, &types.RequestLimitExceeded{}), 503, failureThrottled},
		{"Secrets Manager throttled", live, fmt.Errorf("cursor key: %w", sdkError(400, &smithy.GenericAPIError{Code: "ThrottlingException"})), 503, failureThrottled},
		{"unmodeled 429", live, sdkError(429, &smithy.GenericAPIError{Code: "SomethingNew"}), 503, failureThrottled},
		{"retry quota exhausted", live, errors.Join(sdkError(400, &smithy.GenericAPIError{Code: "ThrottlingException"}),
			fmt.Errorf("failed to get rate limit token, %w", ratelimit.QuotaExceededError{Available: 0, Requested: 5})), 503, failureThrottled},
		{"InternalServerError 500", live, sdkError(500, &types.InternalServerError{}), 503, failureUnavailable},
		{"ServiceUnavailable 503", live, sdkError(503, &smithy.GenericAPIError{Code: "ServiceUnavailable", Fault: smithy.FaultServer}), 503, failureUnavailable},
		{"Secrets Manager InternalServiceError", live, sdkError(500, &smtypes.InternalServiceError{}), 503, failureUnavailable},
		{"server fault without a 5xx", live, &smithy.GenericAPIError{Code: "Odd", Fault: smithy.FaultServer}, 503, failureUnavailable},
		{"connection reset", live, &smithy.OperationError{Err: &smithyhttp.RequestSendError{Err: &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}}}, 503, failureUnavailable},
		{"deadline exceeded", live, &smithy.OperationError{Err: fmt.Errorf("send: %w", context.DeadlineExceeded)}, 504, failureTimeout},
		{"the request's time ran out", expired, errors.New("whatever the call said"), 504, failureTimeout},
		{"conditional check failed", live, sdkError(400, &types.ConditionalCheckFailedException{}), 0, ""},
		{"validation (a bug)", live, sdkError(400, &smithy.GenericAPIError{Code: "ValidationException", Fault: smithy.FaultClient}), 0, ""},
		{"missing table", live, sdkError(400, &types.ResourceNotFoundException{}), 0, ""},
		{"access denied", live, sdkError(400, &smithy.GenericAPIError{Code: "AccessDeniedException"}), 0, ""},
		{"plain error", live, errors.New("decode note: attribute title missing"), 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, kind := dependencyFailure(c.ctx, c.err)
			if c.status == 0 {
				assert.Nil(t, e, "a bug is a 500, not a retryable answer")
				return
			}
			require.NotNil(t, e)
			assert.Equal(t, c.status, e.Status)
			assert.Equal(t, c.kind, kind)
			assert.Equal(t, "1", e.Header["Retry-After"])
			want := api.CodeUnavailable
			if c.status == 504 {
				want = api.CodeTimeout
			}
			assert.Equal(t, want, e.Code)
		})
	}
}

func TestRetryAfterIsWholeSecondsRoundedUp(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "1", time.Millisecond: "1", time.Second: "1", 1001 * time.Millisecond: "2", 9 * time.Second: "9", -time.Second: "1",
	} {
		assert.Equal(t, want, RetryAfter(d), "%s", d)
	}
}

// The router gives handlers the invocation's deadline less DeadlineMargin, and answers a
// handler that ran out of it with 504 in the error shape, in time.
func TestHandlersGetTheDeadlineLessTheMargin(t *testing.T) {
	table := api.Table{
		Functions: []api.Function{{Name: "Fn", Package: "lambdas/fn", Access: api.NoTable}},
		Routes:    []api.Route{{Method: "GET", Path: "/slow", Function: "Fn", Auth: api.Public}},
	}
	var got time.Time
	var hadDeadline bool
	rt, err := NewRouter(table, "Fn", nil, map[string]HandlerFunc{
		"GET /slow": func(ctx context.Context, _ *Request) (events.APIGatewayProxyResponse, error) {
			got, hadDeadline = ctx.Deadline()
			<-ctx.Done() // an AWS call that never answers
			return events.APIGatewayProxyResponse{}, fmt.Errorf("get item: %w", ctx.Err())
		},
	})
	require.NoError(t, err)
	invocation := time.Now().Add(DeadlineMargin + 200*time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), invocation)
	defer cancel()
	resp, err := rt.Handle(ctx, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/slow"})
	require.NoError(t, err)
	assert.True(t, hadDeadline)
	assert.Equal(t, invocation.Add(-DeadlineMargin), got)
	assert.True(t, time.Now().Before(invocation), "answered before the invocation's deadline")
	assert.Equal(t, 504, resp.StatusCode)
	assert.Equal(t, "1", resp.Headers["Retry-After"])
	assert.Contains(t, resp.Body, `"code":"timeout"`)
	assert.Contains(t, resp.Body, `"requestId":"`)

	// Without a deadline (tests, direct callers) the handler gets none.
	rt, err = NewRouter(table, "Fn", nil, map[string]HandlerFunc{
		"GET /slow": func(ctx context.Context, _ *Request) (events.APIGatewayProxyResponse, error) {
			_, hadDeadline = ctx.Deadline()
			return NoContent(), nil
		},
	})
	require.NoError(t, err)
	resp, _ = rt.Handle(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/slow"})
	assert.Equal(t, 204, resp.StatusCode)
	assert.False(t, hadDeadline)
}
