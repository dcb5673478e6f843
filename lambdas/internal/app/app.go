// Package app wires the API's handlers from their dependencies. It is the one place that
// knows which handler serves which route, and both the deployed functions (each main.go)
// and the local dev server call Handlers, so what runs locally is what runs in Lambda.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/httpapi"
	"github.com/example/notesplatform/lambdas/internal/notes"
	"github.com/example/notesplatform/lambdas/internal/store"
)

// Handler is a Lambda handler for API Gateway proxy events. It never returns an error:
// every failure is already a JSON response.
type Handler func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// Deps is everything the handlers need from the outside world. Each function's main.go
// fills in only what its function uses (Health needs no DB, NotesWrite no CursorKey).
type Deps struct {
	// Table is the route table the handlers serve. Default: api.Shipped().
	Table api.Table
	// AppName, Environment and Version are reported by /health.
	AppName, Environment, Version string
	// TableName is the application table.
	TableName string
	// DB is the DynamoDB client (a *dynamodb.Client in Lambda, one pointed at dynalite
	// locally and in tests). NotesRead only ever uses its read methods.
	DB store.DB
	// Store, when set, replaces DB and TableName with a ready notes store: handler tests,
	// fuzzing and benchmarks use an in-memory one. Default: the DynamoDB store over DB.
	Store notes.Store
	// CursorKey returns the key that signs list cursors. It is called on each list
	// request and may fetch lazily and cache (see secretkey).
	CursorKey func(ctx context.Context) ([]byte, error)
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Logger receives JSON logs. Default: discard.
	Logger *slog.Logger
}

// StaticCursorKey returns a CursorKey that always yields key: for tests and the local
// server, which have no Secrets Manager.
func StaticCursorKey(key []byte) func(context.Context) ([]byte, error) {
	k := append([]byte(nil), key...)
	return func(context.Context) ([]byte, error) { return k, nil }
}

// Handlers returns one handler per function of the route table, keyed by its Name. It
// panics if the route table and the handlers disagree (a route without a handler, a
// handler without a route, a function this package does not know), which the tests catch
// before deploy.
func Handlers(d Deps) map[string]Handler {
	if d.Table.Functions == nil && d.Table.Routes == nil {
		d.Table = api.Shipped()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	byFunction := handlerSets(d)
	out := make(map[string]Handler, len(d.Table.Functions))
	for _, f := range d.Table.Functions {
		rt, err := httpapi.NewRouter(d.Table, f.Name, d.Logger, byFunction[f.Name])
		if err != nil {
			panic(fmt.Sprintf("app: %v", err))
		}
		out[f.Name] = rt.Handle
	}
	return out
}

// handlerSets are the handlers of each function, keyed by httpapi.RouteKey: the one
// place that says which code serves which route.
func handlerSets(d Deps) map[string]map[string]httpapi.HandlerFunc {
	return map[string]map[string]httpapi.HandlerFunc{
		"Health":     {"GET /health": health(d)},
		"NotesRead":  notesRead(d),
		"NotesWrite": notesWrite(d),
	}
}

// healthBody is the /health response.
type healthBody struct {
	App         string `json:"app"`
	Environment string `json:"environment"`
	Version     string `json:"version"`
}

func health(d Deps) httpapi.HandlerFunc {
	resp := httpapi.JSON(http.StatusOK, healthBody{App: d.AppName, Environment: d.Environment, Version: d.Version}, nil)
	return func(context.Context, *httpapi.Request) (events.APIGatewayProxyResponse, error) {
		return resp, nil
	}
}
