// Command notesread is the NotesRead Lambda function: it lists and reads the caller's
// notes. It is granted only GetItem and Query on the table and GetSecretValue on the
// cursor secret, and its code holds only a read-only view of the DynamoDB client.
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
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/app"
	"github.com/example/notesplatform/lambdas/internal/httpapi"
	"github.com/example/notesplatform/lambdas/internal/secretkey"
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
// benchmarked. It makes no network call: the SDK resolves credentials on first use and
// the cursor key is fetched on the first list that needs it.
func setup(ctx context.Context, getenv func(string) string, logOut io.Writer) (app.Handler, error) {
	table, secretARN := getenv(api.EnvTableName), getenv(api.EnvCursorSecretArn)
	if table == "" || secretARN == "" {
		return nil, errors.New("notesread: " + api.EnvTableName + " and " + api.EnvCursorSecretArn + " must be set")
	}
	cfg, err := app.LoadAWSConfig(ctx) // the retry budget that fits the deadline
	if err != nil {
		return nil, fmt.Errorf("notesread: load AWS config: %w", err)
	}
	key := secretkey.New(secretsmanager.NewFromConfig(cfg), secretARN)
	return app.Handlers(app.Deps{
		AppName:     getenv(api.EnvAppName),
		Environment: getenv(api.EnvEnvironment),
		Version:     getenv(api.EnvBuildVersion),
		TableName:   table,
		DB:          dynamodb.NewFromConfig(cfg),
		CursorKey:   key.Key,
		Logger:      httpapi.NewLogger(logOut),
	})["NotesRead"], nil
}
