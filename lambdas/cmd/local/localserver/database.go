package localserver

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/example/notesplatform/internal/dynalite"
	"github.com/example/notesplatform/lambdas/internal/app"
	"github.com/example/notesplatform/lambdas/internal/store"
)

type database struct {
	endpoint string
	// client is the handlers' client: the deployed functions' retry budget
	// (app.NewRetryer, app.NewHTTPClient), so that a failing dynalite is answered as a
	// failing DynamoDB would be.
	client *dynamodb.Client
	stop   func() error
}

// startDatabase starts dynalite (through the shared harness) with its files in dir, or in
// memory when dir is empty, and creates the application table if it is missing.
func startDatabase(ctx context.Context, dir, table string) (*database, error) {
	endpoint, stop, err := dynalite.Start(ctx, dynalite.Options{Path: dir})
	if err != nil {
		return nil, fmt.Errorf("localserver: %w", err)
	}
	client := dynalite.NewClient(endpoint)
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := store.CreateTable(tctx, client, table); err != nil {
		_ = stop()
		return nil, fmt.Errorf("localserver: %w", err)
	}
	handlers := dynamodb.New(client.Options(), func(o *dynamodb.Options) {
		o.Retryer = app.NewRetryer()
		o.HTTPClient = app.NewHTTPClient()
	})
	return &database{endpoint: endpoint, client: handlers, stop: stop}, nil
}
