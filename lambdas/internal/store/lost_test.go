package store_test

// Lost answers against dynalite: DynamoDB applies a write, and its answer is replaced by
// a 500 on the way back, so the real SDK (with the functions' retryer) retries a write
// that already happened. The handlers must still leave exactly one note, apply an update
// at most once, and never answer a request with a conflict about itself.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/apitest"
	"github.com/example/notesplatform/lambdas/internal/app"
	"github.com/example/notesplatform/lambdas/internal/notes"
	"github.com/example/notesplatform/lambdas/internal/store"
)

// lostAnswers is an HTTP transport that lets matching requests reach DynamoDB and then
// loses their answers, whatever they were (a success, a failed condition): the caller
// gets a DynamoDB InternalServerError (HTTP 500), which the SDK retries.
type lostAnswers struct {
	mu    sync.Mutex
	plans []*lossPlan
}

// lossPlan loses the answers of the next `times` calls of an operation whose request
// body contains `key` (such as "NOTE#" or "IDEM#").
type lossPlan struct {
	op, key string
	times   int
	lost    int
}

func (l *lostAnswers) lose(op, key string, times int) *lossPlan {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := &lossPlan{op: op, key: key, times: times}
	l.plans = append(l.plans, p)
	return p
}

func (l *lostAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range l.plans {
		if p.op == op && bytes.Contains(body, []byte(p.key)) && p.lost < p.times {
			p.lost++
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			msg := `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"injected: applied, answer lost"}`
			return &http.Response{
				StatusCode: http.StatusInternalServerError, Status: "500 Internal Server Error",
				Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
				Body:   io.NopCloser(strings.NewReader(msg)), ContentLength: int64(len(msg)),
				Request: r, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			}, nil
		}
	}
	return resp, nil
}

// lossyStack serves NotesWrite over a client that loses answers as planned, built as
// NotesWrite's main builds its client (the functions' retryer), signing as NotesWrite
// so the recorder attributes its calls.
func lossyStack(t *testing.T) (*stack, *lostAnswers) {
	s := newStack(t, nil)
	lost := &lostAnswers{}
	db := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(recorderURL),
		Credentials: credentials.NewStaticCredentialsProvider("ASIANOTESWRITE", "secret", "token"),
		Retryer:     app.NewRetryer(),
		HTTPClient:  &http.Client{Transport: lost},
	})
	s.h["NotesWrite"] = app.Handlers(app.Deps{TableName: s.table, DB: db})["NotesWrite"]
	return s, lost
}

// invoke calls a function as Lambda would: with the 10 s deadline of its invocation.
func (s *stack) invoke(t *testing.T, r apitest.Req) events.APIGatewayProxyResponse {
	t.Helper()
	r.Gateway = true
	ev := apitest.Event(r)
	fn := "NotesWrite"
	if r.Method == "GET" {
		fn = "NotesRead"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := s.h[fn](ctx, ev)
	require.NoError(t, err)
	if resp.StatusCode >= 400 {
		_, err := apitest.CheckError(resp)
		require.NoError(t, err, "every error is in the error shape")
	}
	return resp
}

// requireUnavailable checks a retryable 503 in the error shape.
func requireUnavailable(t *testing.T, resp events.APIGatewayProxyResponse) {
	t.Helper()
	require.Equal(t, 503, resp.StatusCode, resp.Body)
	code, err := apitest.CheckError(resp)
	require.NoError(t, err)
	assert.Equal(t, api.CodeUnavailable, code)
	assert.Equal(t, "1", resp.Headers["Retry-After"])
	assert.Contains(t, resp.Body, `"requestId":"test-request-id"`)
}

func TestLostCreateAnswersYieldExactlyOneNote(t *testing.T) {
	cases := []struct {
		name    string
		op, key string
		times   int
		first   int // status of the first answer
	}{
		// The SDK's retry meets the write it already made, and recognises it.
		{"pending-record-once", "PutItem", "IDEM#", 1, 201},
		{"note-once", "PutItem", "NOTE#", 1, 201},
		// Every try's answer is lost: a retryable 503, and the client's retry finishes.
		{"pending-record-every-try", "PutItem", "IDEM#", app.SDKMaxAttempts, 503},
		{"note-every-try", "PutItem", "NOTE#", app.SDKMaxAttempts, 503},
		// The note is written, the record stays pending: the create succeeded.
		{"completion-every-try", "UpdateItem", `"SET #st = :done"`, app.SDKMaxAttempts, 201},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, lost := lossyStack(t)
			plan := lost.lose(c.op, c.key, c.times)
			req := apitest.Req{Method: "POST", Path: "/notes", Sub: alice,
				Headers: apitest.With("Idempotency-Key", "lost-1"), Body: `{"title":"exactly once"}`}
			first := s.invoke(t, req)
			require.Equal(t, c.times, plan.lost, "the faults happened")
			require.Equal(t, c.first, first.StatusCode, first.Body)
			if c.first == 503 {
				requireUnavailable(t, first)
			}
			// The client retries at once: no lock left to wait for.
			retry := s.invoke(t, req)
			require.Equal(t, 201, retry.StatusCode, "the retry is not refused: %s", retry.Body)
			if c.first == 201 {
				assert.Equal(t, first.Body, retry.Body)
				assert.Equal(t, "true", retry.Headers["Idempotent-Replayed"])
			}
			ids, _ := s.list(t, alice, nil)
			require.Len(t, ids, 1, "exactly one note")
			var n notes.Note
			require.NoError(t, json.Unmarshal([]byte(retry.Body), &n))
			assert.Equal(t, ids[0], n.ID)
			rec, err := store.New(client, s.table).GetIdempotency(context.Background(), alice, "lost-1")
			require.NoError(t, err)
			assert.True(t, rec.Done)
		})
	}
}

func TestLostUpdateAnswersApplyOnceAndNeverOverwriteANewerVersion(t *testing.T) {
	s, lost := lossyStack(t)
	n := s.create(t, alice, "v1")
	put := func(ifMatch, title string) events.APIGatewayProxyResponse {
		return s.invoke(t, apitest.Req{Method: "PUT", Path: "/notes/" + n.ID, Sub: alice,
			Headers: apitest.With("If-Match", ifMatch), Body: `{"title":"` + title + `"}`})
	}
	get := func() notes.Note {
		resp := s.invoke(t, apitest.Req{Method: "GET", Path: "/notes/" + n.ID, Sub: alice})
		require.Equal(t, 200, resp.StatusCode)
		var got notes.Note
		require.NoError(t, json.Unmarshal([]byte(resp.Body), &got))
		return got
	}

	// One lost answer: the SDK's retry fails its condition and finds its own update.
	lost.lose("UpdateItem", "NOTE#", 1)
	resp := put(`"1"`, "v2")
	require.Equal(t, 200, resp.StatusCode, resp.Body)
	assert.Equal(t, `"2"`, resp.Headers["ETag"])
	assert.EqualValues(t, 2, get().Version, "applied once")

	// Every answer lost: 503, then the client's retry with its If-Match is a 412 that
	// names the current version, which holds its update.
	lost.lose("UpdateItem", "NOTE#", app.SDKMaxAttempts)
	requireUnavailable(t, put(`"2"`, "v3"))
	resp = put(`"2"`, "v3")
	require.Equal(t, 412, resp.StatusCode, resp.Body)
	assert.Equal(t, `"3"`, resp.Headers["ETag"])
	assert.Equal(t, "v3", get().Title)

	// A newer version by someone else is never overwritten by the stale retry.
	require.Equal(t, 200, put(`"3"`, "someone else's").StatusCode)
	resp = put(`"2"`, "v3")
	require.Equal(t, 412, resp.StatusCode, resp.Body)
	assert.Equal(t, `"4"`, resp.Headers["ETag"])
	got := get()
	assert.Equal(t, "someone else's", got.Title)
	assert.EqualValues(t, 4, got.Version)
}

func TestLostDeleteAnswersAreSafeToRetry(t *testing.T) {
	s, lost := lossyStack(t)
	a, b := s.create(t, alice, "a"), s.create(t, alice, "b")
	del := func(id string) events.APIGatewayProxyResponse {
		return s.invoke(t, apitest.Req{Method: "DELETE", Path: "/notes/" + id, Sub: alice})
	}
	lost.lose("DeleteItem", "NOTE#"+a.ID, 1)
	assert.Equal(t, 204, del(a.ID).StatusCode, "the SDK's retry of an applied delete succeeds")
	lost.lose("DeleteItem", "NOTE#"+b.ID, app.SDKMaxAttempts)
	requireUnavailable(t, del(b.ID))
	assert.Equal(t, 204, del(b.ID).StatusCode)
	ids, _ := s.list(t, alice, nil)
	assert.Empty(t, ids)
}
