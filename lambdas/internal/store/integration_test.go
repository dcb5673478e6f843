package store_test

// Integration tests: the real AWS SDK for Go v2 and the real store, driven through the
// real handlers, against dynalite started here on a free loopback port. If dynalite
// cannot start, the whole package fails: these tests are never skipped.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/awscalls"
	"github.com/example/notesplatform/internal/dynalite"
	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/apitest"
	"github.com/example/notesplatform/lambdas/internal/app"
	"github.com/example/notesplatform/lambdas/internal/notes"
	"github.com/example/notesplatform/lambdas/internal/store"
)

// client reaches dynalite directly, unrecorded: test setup (tables, seeded items, raw
// reads) and the store contract suite, which is no function's code path.
var client *dynamodb.Client

// Every call the handlers make goes through a recorder of AWS calls (internal/awscalls)
// in front of dynalite. A call is attributed to the function whose code path it is: the
// handlers are built as each function's main builds them (app.Handlers with that
// function's client), and each function's client signs with its own access key, which
// the recorder maps to the function's name. So a GetItem that NotesWrite makes to tell
// 404 from 412 is NotesWrite's, and the same GetItem from GET /notes/{id} is
// NotesRead's. test/artifact replays the record against each function's IAM policies
// in the synthesized template: it runs this package with RecordEnv naming a file, and
// TestMain writes every recorded call there as JSON.
var (
	recorder      *awscalls.Recorder
	recorderURL   string
	functionDBs   = map[string]*dynamodb.Client{}
	recordedFuncs = []string{"NotesRead", "NotesWrite"}
)

// RecordEnv names the environment variable that asks TestMain to write the recorded
// calls, as a JSON array of awscalls.Call, to the file it names.
const RecordEnv = "AWSCALLS_RECORD"

// recordAccount is the account of the ARNs the recorder writes; test/artifact maps them
// (and the test tables) to the stage's.
const recordAccount = "000000000000"

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	endpoint, stop, err := dynalite.Start(ctx, dynalite.Options{})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: cannot start dynalite for the integration tests: %v\n", err)
		os.Exit(1)
	}
	client = dynalite.NewClient(endpoint)
	recorder = awscalls.New(recordAccount)
	if err := recorder.Forward("dynamodb", endpoint); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		os.Exit(1)
	}
	srv := httptest.NewServer(recorder)
	recorderURL = srv.URL
	for _, fn := range recordedFuncs {
		key := "ASIA" + strings.ToUpper(fn)
		recorder.Principal(key, fn)
		functionDBs[fn] = dynamodb.New(dynamodb.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
			Credentials: credentials.NewStaticCredentialsProvider(key, "secret", "token"),
		})
	}
	code := m.Run()
	srv.Close()
	if err := stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stopping dynalite: %v\n", err)
	}
	if code == 0 {
		code = writeRecord()
	}
	os.Exit(code)
}

// writeRecord writes the recorded calls where RecordEnv says, after checking that every
// call was signed by one of the functions' clients.
func writeRecord() int {
	calls := recorder.Calls()
	for _, c := range calls {
		if c.Principal == "" {
			fmt.Fprintf(os.Stderr, "FAIL: a call reached the recorder unattributed: %s\n", c)
			return 1
		}
	}
	path := os.Getenv(RecordEnv)
	if path == "" {
		return 0
	}
	b, err := json.Marshal(calls)
	if err == nil {
		err = os.WriteFile(path, b, 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: writing the recorded calls to %s: %v\n", path, err)
		return 1
	}
	return 0
}

var tableSeq atomic.Int64

// newTable creates a fresh table so tests do not see each other's items.
func newTable(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("notes-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), tableSeq.Add(1))
	if len(name) > 255 {
		name = name[:255]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, store.CreateTable(ctx, client, name))
	return name
}

type stack struct {
	h     map[string]app.Handler
	table string
	now   atomic.Int64 // unix ms of the fake clock; 0 means real time
}

// newStack builds the handlers over a fresh table, each function's handler with its own
// recorded client (see recorder). readDB, when not nil, stands in for NotesRead's client.
func newStack(t *testing.T, readDB store.DB) *stack {
	s := &stack{table: newTable(t), h: map[string]app.Handler{}}
	now := func() time.Time {
		if ms := s.now.Load(); ms != 0 {
			return time.UnixMilli(s.now.Add(1))
		}
		return time.Now()
	}
	for _, f := range api.Functions {
		deps := app.Deps{
			TableName: s.table,
			CursorKey: app.StaticCursorKey([]byte("integration-test-cursor-key-0123")),
			Now:       now,
		}
		if c := functionDBs[f.Name]; c != nil { // a function without table access gets none, as in its main
			deps.DB = c
		}
		if f.Name == "NotesRead" && readDB != nil {
			deps.DB = readDB
		}
		s.h[f.Name] = app.Handlers(deps)[f.Name]
	}
	return s
}

func (s *stack) do(t *testing.T, r apitest.Req) events.APIGatewayProxyResponse {
	t.Helper()
	r.Gateway = true
	ev := apitest.Event(r)
	fn := ""
	for _, rt := range api.Routes {
		if string(rt.Method) == r.Method && rt.Path == ev.Resource {
			fn = rt.Function
		}
	}
	require.NotEmpty(t, fn, "no route for %s %s", r.Method, r.Path)
	resp, err := s.h[fn](context.Background(), ev)
	require.NoError(t, err)
	if resp.StatusCode >= 400 {
		_, err := apitest.CheckError(resp)
		require.NoError(t, err)
	}
	return resp
}

func (s *stack) create(t *testing.T, sub, title string, tags ...string) notes.Note {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"title": title, "tags": append([]string{}, tags...)})
	resp := s.do(t, apitest.Req{Method: "POST", Path: "/notes", Sub: sub, Headers: apitest.JSON, Body: string(b)})
	require.Equal(t, 201, resp.StatusCode, resp.Body)
	var n notes.Note
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &n))
	return n
}

func (s *stack) list(t *testing.T, sub string, query map[string]string) (ids []string, pages int) {
	t.Helper()
	q := map[string]string{}
	for k, v := range query {
		q[k] = v
	}
	for {
		resp := s.do(t, apitest.Req{Method: "GET", Path: "/notes", Sub: sub, Query: q})
		require.Equal(t, 200, resp.StatusCode, resp.Body)
		var p notes.Page
		require.NoError(t, json.Unmarshal([]byte(resp.Body), &p))
		pages++
		for _, n := range p.Items {
			ids = append(ids, n.ID)
		}
		if p.NextCursor == "" {
			return ids, pages
		}
		q["cursor"] = p.NextCursor
		require.Less(t, pages, 1000, "pagination does not end")
	}
}

const (
	alice = "aaaaaaaa-0000-4000-8000-000000000001"
	bob   = "bbbbbbbb-0000-4000-8000-000000000002"
)

func TestCreateTableMatchesTheDataStack(t *testing.T) {
	name := newTable(t)
	require.NoError(t, store.CreateTable(context.Background(), client, name), "creating an existing table is a no-op")
	out, err := client.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	require.NoError(t, err)
	keys := map[string]types.KeyType{}
	for _, k := range out.Table.KeySchema {
		keys[*k.AttributeName] = k.KeyType
	}
	assert.Equal(t, map[string]types.KeyType{api.TablePartitionKey: types.KeyTypeHash, api.TableSortKey: types.KeyTypeRange}, keys)
	assert.Empty(t, out.Table.GlobalSecondaryIndexes)
	assert.Empty(t, out.Table.LocalSecondaryIndexes)
}

func TestCreateGetUpdateDelete(t *testing.T) {
	s := newStack(t, nil)
	n := s.create(t, alice, "first ✓", "work")
	assert.Equal(t, []string{"work"}, n.Tags)
	assert.EqualValues(t, 1, n.Version)

	resp := s.do(t, apitest.Req{Method: "GET", Path: "/notes/" + n.ID, Sub: alice})
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, `"1"`, resp.Headers["ETag"])
	var got notes.Note
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &got))
	assert.Equal(t, n, got)

	resp = s.do(t, apitest.Req{Method: "PUT", Path: "/notes/" + n.ID, Sub: alice,
		Headers: apitest.With("If-Match", `"1"`), Body: `{"title":"second","body":"text","tags":[]}`})
	require.Equal(t, 200, resp.StatusCode, resp.Body)
	assert.Equal(t, `"2"`, resp.Headers["ETag"])
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &got))
	assert.Equal(t, "second", got.Title)
	assert.Equal(t, "text", got.Body)
	assert.Equal(t, []string{}, got.Tags)
	assert.Equal(t, n.CreatedAt, got.CreatedAt)

	resp = s.do(t, apitest.Req{Method: "PUT", Path: "/notes/" + n.ID, Sub: alice,
		Headers: apitest.With("If-Match", `"1"`), Body: `{"title":"stale"}`})
	assert.Equal(t, 412, resp.StatusCode)
	missing := (&notes.IDs{}).New(time.Now())
	resp = s.do(t, apitest.Req{Method: "PUT", Path: "/notes/" + missing, Sub: alice,
		Headers: apitest.With("If-Match", `"1"`), Body: `{"title":"x"}`})
	assert.Equal(t, 404, resp.StatusCode)

	for range 2 {
		resp = s.do(t, apitest.Req{Method: "DELETE", Path: "/notes/" + n.ID, Sub: alice})
		assert.Equal(t, 204, resp.StatusCode)
	}
	resp = s.do(t, apitest.Req{Method: "GET", Path: "/notes/" + n.ID, Sub: alice})
	assert.Equal(t, 404, resp.StatusCode)
}

func TestListPaginatesNewestFirst(t *testing.T) {
	s := newStack(t, nil)
	var want []string
	for i := range 25 {
		tags := []string{}
		if i%5 == 0 {
			tags = append(tags, "rare")
		}
		want = append(want, s.create(t, alice, fmt.Sprintf("note %d", i), tags...).ID)
	}
	s.create(t, bob, "bob's")
	slices.Reverse(want)

	got, pages := s.list(t, alice, map[string]string{"limit": "10"})
	assert.Equal(t, want, got)
	assert.Equal(t, 3, pages)

	got, pages = s.list(t, alice, map[string]string{"limit": "5"})
	assert.Equal(t, want, got)
	assert.Equal(t, 5, pages, "an exact multiple has no empty last page")

	got, _ = s.list(t, alice, map[string]string{"limit": "2", "tag": "rare"})
	assert.Equal(t, []string{want[4], want[9], want[14], want[19], want[24]}, got)

	// A cursor still works when the note it points after was deleted meanwhile.
	resp := s.do(t, apitest.Req{Method: "GET", Path: "/notes", Sub: alice, Query: map[string]string{"limit": "3"}})
	var p notes.Page
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &p))
	require.Equal(t, 204, s.do(t, apitest.Req{Method: "DELETE", Path: "/notes/" + want[2], Sub: alice}).StatusCode)
	resp = s.do(t, apitest.Req{Method: "GET", Path: "/notes", Sub: alice, Query: map[string]string{"limit": "3", "cursor": p.NextCursor}})
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &p))
	require.Len(t, p.Items, 3)
	assert.Equal(t, want[3], p.Items[0].ID)

	// Bob's cursor is not Alice's.
	resp = s.do(t, apitest.Req{Method: "GET", Path: "/notes", Sub: bob, Query: map[string]string{"cursor": p.NextCursor}})
	assert.Equal(t, 400, resp.StatusCode)
}

func TestTagFilterAcrossManyPagesOfOtherNotes(t *testing.T) {
	s := newStack(t, nil)
	var tagged []string
	ctx := context.Background()
	st := store.New(client, s.table)
	base := time.Now().UTC().Truncate(time.Millisecond)
	ids := &notes.IDs{}
	// 1,200 notes with the tag on every 400th: more than one request's read budget.
	for i := range 1200 {
		at := base.Add(time.Duration(i) * time.Millisecond)
		n := notes.Note{ID: ids.New(at), Title: "t", Tags: []string{}, CreatedAt: notes.At(at), UpdatedAt: notes.At(at), Version: 1}
		if i%400 == 0 {
			n.Tags = []string{"needle"}
			tagged = append(tagged, n.ID)
		}
		require.NoError(t, st.PutNote(ctx, alice, n))
	}
	slices.Reverse(tagged)
	got, pages := s.list(t, alice, map[string]string{"limit": "10", "tag": "needle"})
	assert.Equal(t, tagged, got)
	assert.GreaterOrEqual(t, pages, 2, "a short page with a cursor continues past the read budget")
	all, _ := s.list(t, alice, map[string]string{"limit": "100"})
	assert.Len(t, all, 1200)
}

func TestConcurrentUpdatesOneWins(t *testing.T) {
	s := newStack(t, nil)
	n := s.create(t, alice, "contended")
	for round := int64(1); round <= 5; round++ {
		const writers = 4
		statuses := make([]int, writers)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				resp := s.do(t, apitest.Req{Method: "PUT", Path: "/notes/" + n.ID, Sub: alice,
					Headers: apitest.With("If-Match", fmt.Sprintf(`"%d"`, round)), Body: fmt.Sprintf(`{"title":"writer %d"}`, w)})
				statuses[w] = resp.StatusCode
			})
		}
		wg.Wait()
		slices.Sort(statuses)
		assert.Equal(t, []int{200, 412, 412, 412}, statuses, "round %d", round)
	}
	resp := s.do(t, apitest.Req{Method: "GET", Path: "/notes/" + n.ID, Sub: alice})
	assert.Equal(t, `"6"`, resp.Headers["ETag"])
}

func TestIdempotentCreateRetries(t *testing.T) {
	s := newStack(t, nil)
	req := apitest.Req{Method: "POST", Path: "/notes", Sub: alice,
		Headers: apitest.With("Idempotency-Key", "retry-1"), Body: `{"title":"once"}`}
	first := s.do(t, req)
	require.Equal(t, 201, first.StatusCode, first.Body)
	for range 3 {
		again := s.do(t, req)
		require.Equal(t, 201, again.StatusCode)
		assert.Equal(t, first.Body, again.Body)
		assert.Equal(t, first.Headers["Location"], again.Headers["Location"])
		assert.Equal(t, "true", again.Headers["Idempotent-Replayed"])
	}
	req.Body = `{"title":"another"}`
	assert.Equal(t, 422, s.do(t, req).StatusCode)
	ids, _ := s.list(t, alice, nil)
	assert.Len(t, ids, 1)

	// Concurrent attempts with one key: exactly one note; the others replay or are told
	// to retry (409).
	var wg sync.WaitGroup
	statuses := make([]int, 6)
	bodies := make([]string, 6)
	for i := range statuses {
		wg.Go(func() {
			resp := s.do(t, apitest.Req{Method: "POST", Path: "/notes", Sub: alice,
				Headers: apitest.With("Idempotency-Key", "burst"), Body: `{"title":"burst"}`})
			statuses[i], bodies[i] = resp.StatusCode, resp.Body
		})
	}
	wg.Wait()
	var created string
	for i, st := range statuses {
		require.Contains(t, []int{201, 409}, st)
		if st == 201 {
			if created == "" {
				created = bodies[i]
			}
			assert.Equal(t, created, bodies[i])
		}
	}
	require.NotEmpty(t, created)
	ids, _ = s.list(t, alice, nil)
	assert.Len(t, ids, 2)
}

func TestIdempotencyRecoversAnAbandonedCreateAndExpires(t *testing.T) {
	s := newStack(t, nil)
	ctx := context.Background()
	st := store.New(client, s.table)
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now.Store(start.UnixMilli())
	// A first attempt wrote its pending record and died before writing the note.
	n := notes.Note{ID: (&notes.IDs{}).New(start), Title: "t", Tags: []string{}, CreatedAt: notes.At(start), UpdatedAt: notes.At(start), Version: 1}
	require.NoError(t, st.PutIdempotency(ctx, alice, notes.Idempotency{Key: "k", RequestHash: notes.Input{Title: "t"}.Hash(),
		Note: n, CreatedAt: start, ExpiresAt: start.Add(notes.IdempotencyTTL)}, start))
	assert.ErrorIs(t, st.PutIdempotency(ctx, alice, notes.Idempotency{Key: "k", CreatedAt: start, ExpiresAt: start.Add(time.Hour)}, start),
		notes.ErrConflict, "a live record blocks a second one")

	req := apitest.Req{Method: "POST", Path: "/notes", Sub: alice, Headers: apitest.With("Idempotency-Key", "k"), Body: `{"title":"t"}`}
	assert.Equal(t, 409, s.do(t, req).StatusCode)
	s.now.Add(notes.PendingTimeout.Milliseconds())
	resp := s.do(t, req)
	require.Equal(t, 201, resp.StatusCode, resp.Body)
	assert.Contains(t, resp.Body, n.ID)
	assert.Equal(t, 200, s.do(t, apitest.Req{Method: "GET", Path: "/notes/" + n.ID, Sub: alice}).StatusCode)
	rec, err := st.GetIdempotency(ctx, alice, "k")
	require.NoError(t, err)
	assert.True(t, rec.Done)

	// Past its TTL the record no longer counts, even before DynamoDB deletes it.
	s.now.Add(notes.IdempotencyTTL.Milliseconds())
	resp = s.do(t, req)
	require.Equal(t, 201, resp.StatusCode)
	assert.NotContains(t, resp.Body, n.ID)
	ids, _ := s.list(t, alice, nil)
	assert.Len(t, ids, 2)
}

var fixedWidthTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// Items are written with fixed-width times, and items written before (RFC 3339 with
// trailing zeros trimmed, and a note JSON in the same form inside idempotency records)
// still read, update and replay.
func TestTimesAreFixedWidthAndOldItemsStillRead(t *testing.T) {
	s := newStack(t, nil)
	ctx := context.Background()
	s.now.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() - 1) // the first reading is a whole second
	n := s.create(t, alice, "new")
	raw := func(sk string) map[string]types.AttributeValue {
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: map[string]types.AttributeValue{
			api.TablePartitionKey: &types.AttributeValueMemberS{Value: "USER#" + alice},
			api.TableSortKey:      &types.AttributeValueMemberS{Value: sk},
		}})
		require.NoError(t, err)
		require.NotNil(t, out.Item, sk)
		return out.Item
	}
	str := func(item map[string]types.AttributeValue, name string) string {
		return item[name].(*types.AttributeValueMemberS).Value
	}
	item := raw("NOTE#" + n.ID)
	assert.Equal(t, "2030-01-01T00:00:00.000Z", str(item, "createdAt"))
	assert.Regexp(t, fixedWidthTime, str(item, "updatedAt"))

	// An item as the previous version wrote it.
	oldID := (&notes.IDs{}).New(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: map[string]types.AttributeValue{
		api.TablePartitionKey: &types.AttributeValueMemberS{Value: "USER#" + alice},
		api.TableSortKey:      &types.AttributeValueMemberS{Value: "NOTE#" + oldID},
		"id":                  &types.AttributeValueMemberS{Value: oldID},
		"title":               &types.AttributeValueMemberS{Value: "old"},
		"body":                &types.AttributeValueMemberS{Value: ""},
		"tags":                &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
		"createdAt":           &types.AttributeValueMemberS{Value: "2025-01-02T03:04:05Z"},
		"updatedAt":           &types.AttributeValueMemberS{Value: "2025-01-02T03:04:05.01Z"},
		"version":             &types.AttributeValueMemberN{Value: "1"},
	}})
	require.NoError(t, err)
	resp := s.do(t, apitest.Req{Method: "GET", Path: "/notes/" + oldID, Sub: alice})
	require.Equal(t, 200, resp.StatusCode, resp.Body)
	assert.Contains(t, resp.Body, `"createdAt":"2025-01-02T03:04:05.000Z","updatedAt":"2025-01-02T03:04:05.010Z"`)
	resp = s.do(t, apitest.Req{Method: "PUT", Path: "/notes/" + oldID, Sub: alice, Headers: apitest.With("If-Match", `"1"`), Body: `{"title":"old, edited"}`})
	require.Equal(t, 200, resp.StatusCode, resp.Body)
	item = raw("NOTE#" + oldID)
	assert.Equal(t, "2025-01-02T03:04:05Z", str(item, "createdAt"), "an update leaves createdAt as it was stored")
	assert.Regexp(t, fixedWidthTime, str(item, "updatedAt"))
	ids, _ := s.list(t, alice, nil)
	assert.Equal(t, []string{n.ID, oldID}, ids)

	// An idempotency record as the previous version wrote it replays.
	s.now.Store(time.Date(2025, 1, 2, 3, 4, 6, 0, time.UTC).UnixMilli())
	oldNote := `{"id":"` + oldID + `","title":"old","body":"","tags":[],"createdAt":"2025-01-02T03:04:05Z","updatedAt":"2025-01-02T03:04:05Z","version":1}`
	_, err = client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: map[string]types.AttributeValue{
		api.TablePartitionKey: &types.AttributeValueMemberS{Value: "USER#" + alice},
		api.TableSortKey:      &types.AttributeValueMemberS{Value: "IDEM#old-key"},
		"requestHash":         &types.AttributeValueMemberS{Value: notes.Input{Title: "old"}.Hash()},
		"note":                &types.AttributeValueMemberS{Value: oldNote},
		"state":               &types.AttributeValueMemberS{Value: "done"},
		"createdAt":           &types.AttributeValueMemberS{Value: "2025-01-02T03:04:05Z"},
		api.TableTTLAttribute: &types.AttributeValueMemberN{Value: "1735873445"}, // + 24 h
	}})
	require.NoError(t, err)
	resp = s.do(t, apitest.Req{Method: "POST", Path: "/notes", Sub: alice, Headers: apitest.With("Idempotency-Key", "old-key"), Body: `{"title":"old"}`})
	require.Equal(t, 201, resp.StatusCode, resp.Body)
	assert.Equal(t, "true", resp.Headers["Idempotent-Replayed"])
	assert.Contains(t, resp.Body, `"createdAt":"2025-01-02T03:04:05.000Z"`)

	// New records are written with fixed-width times.
	resp = s.do(t, apitest.Req{Method: "POST", Path: "/notes", Sub: alice, Headers: apitest.With("Idempotency-Key", "new-key"), Body: `{"title":"<&>"}`})
	require.Equal(t, 201, resp.StatusCode, resp.Body)
	rec := raw("IDEM#new-key")
	assert.Regexp(t, fixedWidthTime, str(rec, "createdAt"))
	assert.Contains(t, str(rec, "note"), `"title":"<&>"`)
	assert.Regexp(t, `"createdAt":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"`, str(rec, "note"))
}

func TestUsersAreIsolated(t *testing.T) {
	s := newStack(t, nil)
	a := s.create(t, alice, "alice's", "shared")
	b := s.create(t, bob, "bob's", "shared")
	for _, r := range []apitest.Req{
		{Method: "GET", Path: "/notes/" + b.ID, Sub: alice},
		{Method: "PUT", Path: "/notes/" + b.ID, Sub: alice, Headers: apitest.With("If-Match", `"1"`), Body: `{"title":"mine now"}`},
		{Method: "PUT", Path: "/notes/" + b.ID, Sub: alice, Headers: apitest.With("If-Match", `*`), Body: `{"title":"mine now"}`},
	} {
		assert.Equal(t, 404, s.do(t, r).StatusCode, "%s %s", r.Method, r.Path)
	}
	assert.Equal(t, 204, s.do(t, apitest.Req{Method: "DELETE", Path: "/notes/" + b.ID, Sub: alice}).StatusCode)
	resp := s.do(t, apitest.Req{Method: "GET", Path: "/notes/" + b.ID, Sub: bob})
	require.Equal(t, 200, resp.StatusCode, "bob's note survived alice's delete")
	assert.Contains(t, resp.Body, "bob's")
	ids, _ := s.list(t, alice, map[string]string{"tag": "shared"})
	assert.Equal(t, []string{a.ID}, ids)
	ids, _ = s.list(t, bob, nil)
	assert.Equal(t, []string{b.ID}, ids)
}

// recordingDB wraps the client and records which DynamoDB operations run.
type recordingDB struct {
	store.DB
	mu  sync.Mutex
	ops map[string]int
}

func (r *recordingDB) rec(op string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops[op]++
}

func (r *recordingDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	r.rec("GetItem")
	return r.DB.GetItem(ctx, in, o...)
}

func (r *recordingDB) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	r.rec("Query")
	return r.DB.Query(ctx, in, o...)
}

func (r *recordingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	r.rec("PutItem")
	return r.DB.PutItem(ctx, in, o...)
}

func (r *recordingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	r.rec("UpdateItem")
	return r.DB.UpdateItem(ctx, in, o...)
}

func (r *recordingDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	r.rec("DeleteItem")
	return r.DB.DeleteItem(ctx, in, o...)
}

// TestReadFunctionOnlyReads backs the IAM grant: the NotesRead function, serving every
// one of its routes (hits, misses and errors), calls only GetItem and Query.
func TestReadFunctionOnlyReads(t *testing.T) {
	db := &recordingDB{DB: functionDBs["NotesRead"], ops: map[string]int{}}
	s := newStack(t, db)
	var ids []string
	for i := range 3 {
		ids = append(ids, s.create(t, alice, fmt.Sprintf("n%d", i), "x").ID)
	}
	db.ops = map[string]int{}
	s.list(t, alice, map[string]string{"limit": "1"})
	s.list(t, alice, map[string]string{"limit": "1", "tag": "x"})
	s.do(t, apitest.Req{Method: "GET", Path: "/notes/" + ids[0], Sub: alice})
	s.do(t, apitest.Req{Method: "GET", Path: "/notes/" + ids[0], Sub: bob})
	s.do(t, apitest.Req{Method: "GET", Path: "/notes", Sub: alice, Query: map[string]string{"cursor": "bad"}})
	for _, f := range api.Functions {
		if f.Name != "NotesRead" {
			continue
		}
		require.Equal(t, api.ReadTable, f.Access)
	}
	ops := []string{}
	for op := range db.ops {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	assert.Equal(t, []string{"GetItem", "Query"}, ops)
}
