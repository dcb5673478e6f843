package app_test

import (
	"context"
	"testing"

	"github.com/example/notesplatform/lambdas/internal/apitest"
)

// The handler benchmarks measure one in-process round trip through the real router,
// decoding, validation, domain logic and JSON encoding, with the in-memory store: the
// Lambda's own cost per request, without the network and DynamoDB.

func BenchmarkCreateNote(b *testing.B) {
	e := newEnv(b, nil)
	ev := apitest.Event(apitest.Req{Method: "POST", Path: "/notes", Sub: alice, Gateway: true, Headers: apitest.JSON,
		Body: `{"title":"Benchmark note","body":"Some text for the body of the note.","tags":["bench","go"]}`})
	h := e.h["NotesWrite"]
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, _ := h(ctx, ev)
		if resp.StatusCode != 201 {
			b.Fatal(resp.StatusCode, resp.Body)
		}
	}
}

func BenchmarkGetNote(b *testing.B) {
	e := newEnv(b, nil)
	n := e.create(b, alice, "Benchmark note", "bench")
	ev := apitest.Event(apitest.Req{Method: "GET", Path: "/notes/" + n.ID, Sub: alice, Gateway: true})
	h := e.h["NotesRead"]
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, _ := h(ctx, ev)
		if resp.StatusCode != 200 {
			b.Fatal(resp.StatusCode, resp.Body)
		}
	}
}

func BenchmarkUpdateNote(b *testing.B) {
	e := newEnv(b, nil)
	n := e.create(b, alice, "Benchmark note", "bench")
	ev := apitest.Event(apitest.Req{Method: "PUT", Path: "/notes/" + n.ID, Sub: alice, Gateway: true,
		Headers: apitest.With("If-Match", "*"), Body: `{"title":"Updated","body":"text","tags":["bench"]}`})
	h := e.h["NotesWrite"]
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, _ := h(ctx, ev)
		if resp.StatusCode != 200 {
			b.Fatal(resp.StatusCode, resp.Body)
		}
	}
}

// BenchmarkListNotes lists a page of 20 from 100 notes and signs the next cursor.
func BenchmarkListNotes(b *testing.B) {
	e := newEnv(b, nil)
	for range 100 {
		e.create(b, alice, "Benchmark note", "bench")
	}
	ev := apitest.Event(apitest.Req{Method: "GET", Path: "/notes", Sub: alice, Gateway: true, Query: map[string]string{"limit": "20"}})
	h := e.h["NotesRead"]
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, _ := h(ctx, ev)
		if resp.StatusCode != 200 {
			b.Fatal(resp.StatusCode, resp.Body)
		}
	}
}

func BenchmarkHealth(b *testing.B) {
	e := newEnv(b, nil)
	ev := apitest.Event(apitest.Req{Method: "GET", Path: "/health", Gateway: true})
	h := e.h["Health"]
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if resp, _ := h(ctx, ev); resp.StatusCode != 200 {
			b.Fatal(resp.StatusCode)
		}
	}
}
