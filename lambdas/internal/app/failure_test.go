package app_test

// Dependencies that fail, through the real AWS SDK built as the functions build it
// (app.LoadAWSConfig): a fake AWS endpoint answers each call as a test says, and the
// handlers must answer 503 unavailable or 504 timeout with Retry-After, in the error
// shape, in time.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/apitest"
	"github.com/example/notesplatform/lambdas/internal/app"
	"github.com/example/notesplatform/lambdas/internal/httpapi"
	"github.com/example/notesplatform/lambdas/internal/memstore"
	"github.com/example/notesplatform/lambdas/internal/notes"
	"github.com/example/notesplatform/lambdas/internal/secretkey"
)

// fakeAWS answers every call with the next answer of its script (the last one repeats)
// and counts the calls.
type fakeAWS struct {
	mu     sync.Mutex
	script []func(w http.ResponseWriter, r *http.Request)
	calls  atomic.Int64
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	f.mu.Lock()
	next := f.script[0]
	if len(f.script) > 1 {
		f.script = f.script[1:]
	}
	f.mu.Unlock()
	next(w, r)
}

// answer writes an AWS JSON-protocol answer, with the CRC32 that DynamoDB sends and the
// SDK checks.
func answer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// awsError answers like an AWS JSON-protocol service failing with that status and code.
func awsError(status int, code string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		answer(w, status, fmt.Sprintf(`{"__type":"%s","message":"injected"}`, code))
	}
}

// hang never answers, until the caller gives up. (The body is read first: the server
// notices a closed connection only once it has.)
func hang(_ http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(30 * time.Second):
	}
}

func secretValue(w http.ResponseWriter, _ *http.Request) {
	answer(w, 200, `{"ARN":"arn:secret","Name":"cursor","SecretString":"cursor-key-material-0123456789abcdef"}`)
}

// awsConfig is the functions' AWS configuration (LoadAWSConfig) aimed at f.
func awsConfig(t *testing.T, f *fakeAWS) aws.Config {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg, err := app.LoadAWSConfig(context.Background(),
		config.WithRegion("us-east-1"), config.WithBaseEndpoint(srv.URL),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKID", "secret", "")),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}))
	require.NoError(t, err)
	return cfg
}

// lambdaContext is the context of an invocation with `left` before Lambda's deadline.
func lambdaContext(t *testing.T, left time.Duration) (context.Context, time.Time) {
	deadline := time.Now().Add(left)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx, deadline
}

func checkRetryable(t *testing.T, resp events.APIGatewayProxyResponse, status int, code api.ErrorCode) {
	t.Helper()
	require.Equal(t, status, resp.StatusCode, resp.Body)
	got, err := apitest.CheckError(resp)
	require.NoError(t, err, "the one error shape")
	assert.Equal(t, code, got)
	assert.Equal(t, "1", resp.Headers["Retry-After"])
	assert.Contains(t, resp.Body, `"requestId":"test-request-id"`)
}

// Throttling and 5xx from DynamoDB, after the SDK's retries: 503 unavailable with
// Retry-After, never a 500. The SDK tries SDKMaxAttempts times, and its backoff stays
// within SDKMaxBackoff per retry.
func TestThrottlingAndServerErrorsAre503(t *testing.T) {
	for _, c := range []struct {
		status  int
		code    string
		failure string // as the log names it, for dashboards
	}{
		{400, "com.amazonaws.dynamodb.v20120810#ThrottlingException", "throttled"},
		{400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", "throttled"},
		{400, "com.amazonaws.dynamodb.v20120810#RequestLimitExceeded", "throttled"},
		{500, "com.amazonaws.dynamodb.v20120810#InternalServerError", "unavailable"},
		{503, "ServiceUnavailable", "unavailable"},
	} {
		t.Run(c.code[strings.LastIndex(c.code, "#")+1:], func(t *testing.T) {
			t.Parallel()
			f := &fakeAWS{script: []func(http.ResponseWriter, *http.Request){awsError(c.status, c.code)}}
			var logs bytes.Buffer
			h := app.Handlers(app.Deps{TableName: "notes", DB: dynamodb.NewFromConfig(awsConfig(t, f)), Logger: httpapi.NewLogger(&logs)})
			ctx, _ := lambdaContext(t, 10*time.Second)
			start := time.Now()
			resp, err := h["NotesWrite"](ctx, apitest.Event(apitest.Req{Method: "POST", Path: "/notes", Sub: alice,
				Headers: apitest.JSON, Body: noteJSON("t")}))
			require.NoError(t, err)
			checkRetryable(t, resp, 503, api.CodeUnavailable)
			assert.EqualValues(t, app.SDKMaxAttempts, f.calls.Load(), "the SDK's retry budget")
			assert.Less(t, time.Since(start), time.Duration(app.SDKMaxAttempts-1)*app.SDKMaxBackoff+time.Second)
			assert.Contains(t, logs.String(), `"level":"WARN","msg":"dependency failed","requestId":"test-request-id","function":"NotesWrite","failure":"`+c.failure+`"`)
		})
	}
}

// A dependency that does not answer cannot hold the function past its deadline: the
// request answers 504 timeout, in the error shape, before Lambda would time it out.
func TestSlowDependencyAnswers504BeforeTheDeadline(t *testing.T) {
	f := &fakeAWS{script: []func(http.ResponseWriter, *http.Request){hang}}
	h := app.Handlers(app.Deps{TableName: "notes", DB: dynamodb.NewFromConfig(awsConfig(t, f))})
	ctx, deadline := lambdaContext(t, httpapi.DeadlineMargin+300*time.Millisecond)
	resp, err := h["NotesRead"](ctx, apitest.Event(apitest.Req{Method: "GET", Path: "/notes", Sub: alice}))
	require.NoError(t, err)
	assert.True(t, time.Now().Before(deadline), "answered %s before the deadline", time.Until(deadline))
	checkRetryable(t, resp, 504, api.CodeTimeout)
}

// Each try is bounded, so a call that hangs is retried rather than eating the deadline.
func TestEachTryIsBounded(t *testing.T) {
	cfg := awsConfig(t, &fakeAWS{script: []func(http.ResponseWriter, *http.Request){hang}})
	bc, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
	require.True(t, ok, "the SDK's own HTTP client, %T", cfg.HTTPClient)
	assert.Equal(t, app.SDKAttemptTimeout, bc.GetTimeout())
	assert.Equal(t, app.SDKMaxAttempts, cfg.Retryer().MaxAttempts())
	// The budget fits the functions' 10 s timeout less the margin.
	budget := app.SDKMaxAttempts*app.SDKAttemptTimeout + (app.SDKMaxAttempts-1)*app.SDKMaxBackoff
	assert.LessOrEqual(t, budget, 10*time.Second-httpapi.DeadlineMargin)
	// A failed attempt releases its idempotency key inside the margin.
	assert.Less(t, notes.ReleaseTimeout, httpapi.DeadlineMargin/2)
}

// Secrets Manager unavailable when the cursor key is first needed: 503 with
// Retry-After. The failure is not cached: the next request fetches the key and
// succeeds, and later ones use the cached key.
func TestCursorKeyUnavailableIs503AndTheNextRequestTriesAgain(t *testing.T) {
	throttled := awsError(400, "ThrottlingException")
	f := &fakeAWS{script: []func(http.ResponseWriter, *http.Request){throttled, throttled, throttled, secretValue}}
	key := secretkey.New(secretsmanager.NewFromConfig(awsConfig(t, f)), "arn:secret")
	st := memstore.New()
	for i := range 3 {
		require.NoError(t, st.PutNote(context.Background(), alice, notes.Note{ID: (&notes.IDs{}).New(time.Unix(int64(1_800_000_000+i), 0)),
			Title: "t", Tags: []string{}, Version: 1}))
	}
	h := app.Handlers(app.Deps{Store: st, CursorKey: key.Key})["NotesRead"]
	list := func() events.APIGatewayProxyResponse {
		ctx, _ := lambdaContext(t, 10*time.Second)
		resp, err := h(ctx, apitest.Event(apitest.Req{Method: "GET", Path: "/notes", Sub: alice, Query: map[string]string{"limit": "1"}}))
		require.NoError(t, err)
		return resp
	}
	checkRetryable(t, list(), 503, api.CodeUnavailable)
	assert.EqualValues(t, app.SDKMaxAttempts, f.calls.Load())
	for range 2 {
		resp := list()
		require.Equal(t, 200, resp.StatusCode, resp.Body)
		var page notes.Page
		require.NoError(t, json.Unmarshal([]byte(resp.Body), &page))
		assert.NotEmpty(t, page.NextCursor)
	}
	assert.EqualValues(t, app.SDKMaxAttempts+1, f.calls.Load(), "fetched once after the failure, then cached")
}

// Another attempt holding an idempotency key is a 409 that says how long it may still
// run; a stale If-Match is a 412 that names the current version.
func TestConflictsSayWhenAndWhat(t *testing.T) {
	e := newEnv(t, nil)
	now := e.clock.Now()
	require.NoError(t, e.store.PutIdempotency(context.Background(), alice, notes.Idempotency{
		Key: "busy", RequestHash: notes.Input{Title: "x"}.Hash(), CreatedAt: now, ExpiresAt: now.Add(time.Hour),
		Attempt: "another", LockedUntil: now.Add(4500 * time.Millisecond)}, now))
	resp := e.do(t, apitest.Req{Method: "POST", Path: "/notes", Sub: alice,
		Headers: apitest.With("Idempotency-Key", "busy"), Body: noteJSON("x")})
	require.Equal(t, 409, resp.StatusCode, resp.Body)
	assert.Equal(t, "5", resp.Headers["Retry-After"], "until the other attempt's deadline, rounded up")

	n := e.create(t, alice, "v1")
	put := func(ifMatch string) events.APIGatewayProxyResponse {
		return e.do(t, apitest.Req{Method: "PUT", Path: "/notes/" + n.ID, Sub: alice,
			Headers: apitest.With("If-Match", ifMatch), Body: noteJSON("next")})
	}
	require.Equal(t, 200, put(`"1"`).StatusCode)
	resp = put(`"1"`)
	require.Equal(t, 412, resp.StatusCode, resp.Body)
	assert.Equal(t, `"2"`, resp.Headers["ETag"])
	_, err := apitest.CheckError(resp)
	require.NoError(t, err)
}
