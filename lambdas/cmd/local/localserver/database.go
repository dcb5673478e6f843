package localserver

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/example/notesplatform/internal/dynalite"
	"github.com/example/notesplatform/lambdas/internal/store"
)

type database struct {
	endpoint string
	client   *dynamodb.Client
	stop     func() error
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
	return &database{endpoint: endpoint, client: client, stop: stop}, nil
}
