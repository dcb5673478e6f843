// Package store keeps notes and idempotency records in the application's single DynamoDB
// table. A user's notes are one partition (pk USER#<sub>, sk NOTE#<id>, ids sortable by
// time) so a list is one Query, newest first; idempotency records share the partition
// (sk IDEM#<key>) and expire through the table's TTL attribute.
package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Reader is the part of the DynamoDB API that reading notes needs. The NotesRead function
// is granted only these two actions, and its code only ever holds a Reader, so the
// compiler enforces what IAM enforces.
type Reader interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// DB is the part of the DynamoDB API that the notes store uses. No Scan, no transactions:
// see notes.Writer.Create for how idempotent creates stay safe without them.
type DB interface {
	Reader
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

var (
	_ Reader = (*dynamodb.Client)(nil)
	_ DB     = (*dynamodb.Client)(nil)
)
