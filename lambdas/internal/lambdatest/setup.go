package lambdatest

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/app"
)

// Setup is a table function's composition root: everything its main does before
// lambda.Start.
type Setup func(ctx context.Context, getenv func(string) string, logs io.Writer) (app.Handler, error)

// Env is the environment the Backend stack gives a table function.
func Env(k string) string {
	return map[string]string{
		api.EnvAppName: "notes", api.EnvEnvironment: "dev", api.EnvBuildVersion: "abc123",
		api.EnvTableName: "notes-table", api.EnvCursorSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:cursor",
	}[k]
}

// CheckSetup proves what every table function's main must do: build its handler with no
// network call, refuse to start without its environment, and serve the routes the
// shipped route table gives the function and no others.
func CheckSetup(t *testing.T, function string, setup Setup) {
	t.Run("NoNetworkCall", func(t *testing.T) {
		requests := NoNetwork(t)
		h, err := setup(context.Background(), Env, io.Discard)
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
	})
	t.Run("NeedsItsEnvironment", func(t *testing.T) {
		_, err := setup(context.Background(), func(string) string { return "" }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), api.EnvTableName) {
			t.Fatalf("want an error naming %s, got %v", api.EnvTableName, err)
		}
	})
	t.Run("ServesOnlyItsRoutes", func(t *testing.T) {
		NoNetwork(t)
		h, err := setup(context.Background(), Env, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range api.Shipped().Routes {
			if r.Function == function {
				continue
			}
			ev := events.APIGatewayProxyRequest{HTTPMethod: string(r.Method), Path: strings.ReplaceAll(r.Path, "{id}", "x")}
			resp, _ := h(context.Background(), ev)
			if resp.StatusCode != 404 && resp.StatusCode != 405 {
				t.Errorf("%s %s (served by %s) answered %d", r.Method, r.Path, r.Function, resp.StatusCode)
			}
		}
	})
}

// BenchmarkSetup measures the cold-init cost up to lambda.Start: reading the
// environment, loading the AWS config (no network) and building clients and handlers.
func BenchmarkSetup(b *testing.B, setup Setup) {
	requests := NoNetwork(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := setup(context.Background(), Env, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	if n := requests(); n != 0 {
		b.Fatalf("setup made %d network requests", n)
	}
}
