// Command noteswrite is the NotesWrite Lambda function: it creates (idempotently),
// updates (with If-Match) and deletes the caller's notes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/app"
	"github.com/example/notesplatform/lambdas/internal/httpapi"
)

func main() {
	h, err := setup(context.Background(), os.Getenv, os.Stdout)
	if err != nil {
		slog.Error("init failed", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(h)
}

// setup is everything up to lambda.Start, separate so that its cold-start cost can be
// benchmarked. It makes no network call: the SDK resolves credentials on first use.
func setup(ctx context.Context, getenv func(string) string, logOut io.Writer) (app.Handler, error) {
	table := getenv(api.EnvTableName)
	if table == "" {
		return nil, errors.New("noteswrite: " + api.EnvTableName + " must be set")
	}
	cfg, err := app.LoadAWSConfig(ctx) // the retry budget that fits the deadline
	if err != nil {
		return nil, fmt.Errorf("noteswrite: load AWS config: %w", err)
	}
	return app.Handlers(app.Deps{
		AppName:     getenv(api.EnvAppName),
		Environment: getenv(api.EnvEnvironment),
		Version:     getenv(api.EnvBuildVersion),
		TableName:   table,
		DB:          dynamodb.NewFromConfig(cfg),
		Logger:      httpapi.NewLogger(logOut),
	})["NotesWrite"], nil
}
