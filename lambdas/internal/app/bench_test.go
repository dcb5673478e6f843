package app_test

import (
	"context"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/notesplatform/lambdas/internal/apitest"
	"github.com/example/notesplatform/lambdas/internal/app"
)

// roundTrip runs the event through the handler b.N times, failing on another status.
func roundTrip(b *testing.B, h app.Handler, ev events.APIGatewayProxyRequest, status int) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if resp, _ := h(ctx, ev); resp.StatusCode != status {
			b.Fatal(resp.StatusCode, resp.Body)
		}
	}
}

// The handler benchmarks measure one in-process round trip through the real router,
// decoding, validation, domain logic and JSON encoding, with the in-memory store: the
// Lambda's own cost per request, without the network and DynamoDB.

func BenchmarkCreateNote(b *testing.B) {
	e := newEnv(b, nil)
	ev := apitest.Event(apitest.Req{Method: "POST", Path: "/notes", Sub: alice, Gateway: true, Headers: apitest.JSON,
		Body: `{"title":"Benchmark note","body":"Some text for the body of the note.","tags":["bench","go"]}`})
	roundTrip(b, e.h["NotesWrite"], ev, 201)
}

func BenchmarkGetNote(b *testing.B) {
	e := newEnv(b, nil)
	n := e.create(b, alice, "Benchmark note", "bench")
	ev := apitest.Event(apitest.Req{Method: "GET", Path: "/notes/" + n.ID, Sub: alice, Gateway: true})
	roundTrip(b, e.h["NotesRead"], ev, 200)
}

func BenchmarkUpdateNote(b *testing.B) {
	e := newEnv(b, nil)
	n := e.create(b, alice, "Benchmark note", "bench")
	ev := apitest.Event(apitest.Req{Method: "PUT", Path: "/notes/" + n.ID, Sub: alice, Gateway: true,
		Headers: apitest.With("If-Match", "*"), Body: `{"title":"Updated","body":"text","tags":["bench"]}`})
	roundTrip(b, e.h["NotesWrite"], ev, 200)
}

// BenchmarkListNotes lists a page of 20 from 100 notes and signs the next cursor.
func BenchmarkListNotes(b *testing.B) {
	e := newEnv(b, nil)
	for range 100 {
		e.create(b, alice, "Benchmark note", "bench")
	}
	ev := apitest.Event(apitest.Req{Method: "GET", Path: "/notes", Sub: alice, Gateway: true, Query: map[string]string{"limit": "20"}})
	roundTrip(b, e.h["NotesRead"], ev, 200)
}

func BenchmarkHealth(b *testing.B) {
	e := newEnv(b, nil)
	ev := apitest.Event(apitest.Req{Method: "GET", Path: "/health", Gateway: true})
	roundTrip(b, e.h["Health"], ev, 200)
}
