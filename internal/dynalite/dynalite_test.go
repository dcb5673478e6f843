package dynalite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestMissingInstallSaysRunNpmCi(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	_, _, err := Start(context.Background(), Options{})
	if err == nil || !strings.Contains(err.Error(), "npm ci") {
		t.Fatalf("want an error telling to run npm ci, got %v", err)
	}
}

// TestStartPersistsWithPath starts dynalite on a data directory, writes a table, restarts
// it and finds the table again: what the local dev server relies on.
func TestStartPersistsWithPath(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for round := range 2 {
		endpoint, stop, err := Start(ctx, Options{Path: dir})
		if err != nil {
			t.Fatalf("dynalite did not start: %v", err)
		}
		if !strings.HasPrefix(endpoint, "http://127.0.0.1:") {
			t.Errorf("endpoint %q is not on loopback", endpoint)
		}
		c := NewClient(endpoint)
		if round == 0 {
			_, err = c.CreateTable(ctx, &dynamodb.CreateTableInput{
				TableName:            ptr("persisted"),
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: ptr("pk"), AttributeType: "S"}},
				KeySchema:            []types.KeySchemaElement{{AttributeName: ptr("pk"), KeyType: "HASH"}},
				BillingMode:          "PAY_PER_REQUEST",
			})
			if err != nil {
				t.Fatalf("create table: %v", err)
			}
		}
		out, err := c.ListTables(ctx, &dynamodb.ListTablesInput{})
		if err != nil {
			t.Fatalf("list tables: %v", err)
		}
		if len(out.TableNames) != 1 || out.TableNames[0] != "persisted" {
			t.Errorf("round %d: tables %v", round, out.TableNames)
		}
		if err := stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
		if _, err := c.ListTables(ctx, &dynamodb.ListTablesInput{}, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }); err == nil {
			t.Error("dynalite still answers after stop")
		}
	}
}

func ptr(s string) *string { return &s }
