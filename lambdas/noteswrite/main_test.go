package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/lambdatest"
)

func env(k string) string {
	return map[string]string{
		api.EnvAppName: "notes", api.EnvEnvironment: "dev", api.EnvBuildVersion: "abc123",
		api.EnvTableName: "notes-table", api.EnvCursorSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:cursor",
	}[k]
}

// TestSetupMakesNoNetworkCall builds the handler and serves a request that needs no
// table (a 404) with every AWS endpoint pointing at a recorder, which must see nothing.
func TestSetupMakesNoNetworkCall(t *testing.T) {
	requests := lambdatest.NoNetwork(t)
	h, err := setup(context.Background(), env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/unknown"})
	if err != nil || resp.StatusCode != 404 {
		t.Fatalf("got %d %v", resp.StatusCode, err)
	}
	if n := requests(); n != 0 {
		t.Fatalf("setup made %d network requests", n)
	}
}

func TestSetupNeedsItsEnvironment(t *testing.T) {
	_, err := setup(context.Background(), func(string) string { return "" }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), api.EnvTableName) {
		t.Fatalf("want an error naming %s, got %v", api.EnvTableName, err)
	}
}

// TestHandlerIsTheNotesWriteFunction checks that main serves the routes api.Routes gives
// this function and no others.
func TestHandlerIsTheNotesWriteFunction(t *testing.T) {
	lambdatest.NoNetwork(t)
	h, err := setup(context.Background(), env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range api.Routes {
		if r.Function == "NotesWrite" {
			continue
		}
		ev := events.APIGatewayProxyRequest{HTTPMethod: r.Method, Path: strings.ReplaceAll(r.Path, "{id}", "x")}
		resp, _ := h(context.Background(), ev)
		if resp.StatusCode != 404 && resp.StatusCode != 405 {
			t.Errorf("%s %s (served by %s) answered %d", r.Method, r.Path, r.Function, resp.StatusCode)
		}
	}
}

// BenchmarkSetup is the function's cold-init cost up to lambda.Start: reading the
// environment, loading the AWS config (no network) and building clients and handlers.
func BenchmarkSetup(b *testing.B) {
	requests := lambdatest.NoNetwork(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := setup(context.Background(), env, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	if n := requests(); n != 0 {
		b.Fatalf("setup made %d network requests", n)
	}
}
