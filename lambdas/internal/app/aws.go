package app

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
)

// The retry budget of every AWS client the functions build (DynamoDB, Secrets Manager).
// It is chosen so that the SDK's retries fit inside one invocation: at most
// SDKMaxAttempts attempts of at most SDKAttemptTimeout each, with at most SDKMaxBackoff
// between them, is 3 × 2 s + 2 × 1 s = 8 s, under the 9 s that the functions' 10 s
// timeout leaves after httpapi.DeadlineMargin. The deadline still bounds everything: a
// function with a shorter timeout, or a request that has already spent time, gives up at
// its deadline, mid-backoff if need be.
const (
	// SDKMaxAttempts is the number of tries of one AWS call, the first included. Three
	// (the SDK's usual default; DynamoDB's own is four, with up to 7 s of backoff): a
	// throttled or failing call is retried twice inside the request, then the client
	// gets a 503 with Retry-After and backs off itself, instead of the function holding a
	// concurrency slot for seconds.
	SDKMaxAttempts = 3
	// SDKMaxBackoff caps the sleep between tries. The standard retryer waits a random
	// time up to base × 2^i (base 1 s for throttling, 50 ms otherwise); one second keeps
	// the whole backoff of a request under two seconds.
	SDKMaxBackoff = time.Second
	// SDKAttemptTimeout bounds one try, connection included, so that a call that hangs
	// (a dropped connection, a stalled endpoint) is retried instead of eating the whole
	// deadline. DynamoDB and Secrets Manager answer in milliseconds; a 1 MB Query page
	// in well under a second.
	SDKAttemptTimeout = 2 * time.Second
)

// NewRetryer returns the retryer of the functions' AWS clients: the SDK's standard mode
// (exponential backoff with jitter, and a retry quota per client that stops retrying
// when most tries fail, so a long outage fails fast instead of piling up retries) with
// the budget above. Not adaptive mode: its client-side rate limiter delays requests
// before sending them, time the function does not have; the client's own backoff after
// a 503 does that job.
func NewRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = SDKMaxAttempts
		o.MaxBackoff = SDKMaxBackoff
	})
}

// NewHTTPClient returns the HTTP client of the functions' AWS clients: the SDK's own,
// with each try bounded by SDKAttemptTimeout.
func NewHTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTimeout(SDKAttemptTimeout)
}

// LoadAWSConfig is config.LoadDefaultConfig with the functions' retry budget, for the
// composition roots (each function's main). Like it, it makes no network call.
func LoadAWSConfig(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	opts := append([]func(*config.LoadOptions) error{
		config.WithRetryer(NewRetryer),
		config.WithHTTPClient(NewHTTPClient()),
	}, optFns...)
	return config.LoadDefaultConfig(ctx, opts...)
}
