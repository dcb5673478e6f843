package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/example/notesplatform/lambdas/api"
)

// TableCreator is the part of the DynamoDB API that CreateTable uses.
type TableCreator interface {
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

var _ TableCreator = (*dynamodb.Client)(nil)

// CreateTable creates the application table with the key schema and TTL attribute of the
// Data stack (pk/sk strings, TTL on expiresAt, on-demand, no indexes) and waits until it
// is active. It is for tests and the local server; in AWS the Data stack owns the table.
// An existing table with that name is left as it is.
//
// dynalite does not implement UpdateTimeToLive; on such a server the TTL step is skipped,
// which is harmless because the code never relies on TTL deletion (expired records are
// ignored on read and may be overwritten).
func CreateTable(ctx context.Context, client TableCreator, name string) error {
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(api.TablePartitionKey), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(api.TableSortKey), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(api.TablePartitionKey), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(api.TableSortKey), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	for {
		out, derr := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if derr != nil {
			return fmt.Errorf("describe table %s: %w", name, derr)
		}
		if out.Table.TableStatus == types.TableStatusActive {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("table %s not active: %w", name, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(api.TableTTLAttribute), Enabled: aws.Bool(true),
		},
	})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "UnknownOperationException" {
		return nil
	}
	if err != nil && !(errors.As(err, &ae) && ae.ErrorCode() == "ValidationException") {
		// ValidationException: TTL is already enabled on an existing table.
		return fmt.Errorf("enable TTL on %s: %w", name, err)
	}
	return nil
}
