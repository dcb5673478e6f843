package main

import (
	"context"
	"io"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/notesplatform/lambdas/api"
)

func env(k string) string {
	return map[string]string{api.EnvAppName: "notes", api.EnvEnvironment: "dev", api.EnvBuildVersion: "abc123"}[k]
}

func TestSetupServesHealth(t *testing.T) {
	h := setup(env, io.Discard)
	resp, err := h(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/health"})
	if err != nil || resp.StatusCode != 200 || resp.Body != `{"app":"notes","environment":"dev","version":"abc123"}` {
		t.Fatalf("got %d %q %v", resp.StatusCode, resp.Body, err)
	}
}

// BenchmarkSetup is the function's cold-init cost up to lambda.Start.
func BenchmarkSetup(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if setup(env, io.Discard) == nil {
			b.Fatal("no handler")
		}
	}
}
