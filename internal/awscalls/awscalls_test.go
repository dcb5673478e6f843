package awscalls_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/example/notesplatform/internal/awscalls"
	"github.com/example/notesplatform/internal/dynalite"
)

const account = "111111111111"

func dynamoClient(endpoint, key string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(key, "secret", "token"),
	})
}

// TestRecordsEveryCallWithCallerActionAndResource runs real SDK calls through the recorder
// into dynalite and checks what it wrote down, errors included.
func TestRecordsEveryCallWithCallerActionAndResource(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	endpoint, stop, err := dynalite.Start(ctx, dynalite.Options{})
	if err != nil {
		t.Fatalf("dynalite did not start: %v", err)
	}
	defer stop()
	rec := awscalls.New(account)
	if err := rec.Forward("dynamodb", endpoint); err != nil {
		t.Fatal(err)
	}
	rec.Principal("ASIAWRITER", "Writer")
	srv := httptest.NewServer(rec)
	defer srv.Close()

	db := dynamoClient(srv.URL, "ASIAWRITER")
	_, err = db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("notes"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: "S"}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: "HASH"}},
		BillingMode:          "PAY_PER_REQUEST",
	})
	if err != nil {
		t.Fatal(err)
	}
	// dynalite answers CreateTable with the table CREATING, as DynamoDB does: wait for it,
	// through a client the recorder does not see.
	waiter := dynamodb.NewTableExistsWaiter(dynamoClient(endpoint, "setup"), func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("notes")}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	item := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("notes"), Item: item}); err != nil {
		t.Fatal(err)
	}
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("notes"), Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("want a failed condition, got %v", err)
	}
	_, _ = db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"notes": {{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "b"}}}}},
	}})
	_, _ = db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("arn:aws:dynamodb:eu-west-1:" + account + ":table/notes"), IndexName: aws.String("byTag"),
		KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "a"}}})

	table := "arn:aws:dynamodb:eu-west-1:" + account + ":table/notes"
	want := []struct {
		action, resource string
		status           int
		errorType        string
	}{
		{"dynamodb:CreateTable", table, 200, ""},
		{"dynamodb:PutItem", table, 200, ""},
		{"dynamodb:PutItem", table, 400, "ConditionalCheckFailedException"},
		{"dynamodb:BatchWriteItem", table, 200, ""},
		{"dynamodb:Query", table + "/index/byTag", 400, "ValidationException"},
	}
	calls := rec.CallsBy("Writer")
	if len(calls) != len(want) {
		t.Fatalf("recorded %d calls, want %d: %v", len(calls), len(want), calls)
	}
	for i, w := range want {
		c := calls[i]
		if c.Action != w.action || !slices.Equal(c.Resources, []string{w.resource}) || c.Status != w.status || c.ErrorType != w.errorType {
			t.Errorf("call %d = %s, want %s on %s -> %d %s", i, c, w.action, w.resource, w.status, w.errorType)
		}
		if c.Service != "dynamodb" || c.Region != "eu-west-1" || c.AccessKeyID != "ASIAWRITER" {
			t.Errorf("call %d: service %q region %q key %q", i, c.Service, c.Region, c.AccessKeyID)
		}
	}
}

// TestUnknownCallersAndServicesAreRefusedAndRecorded: a key nobody registered and a service
// without a stand-in both fail the caller, and both are on the record.
func TestUnknownCallersAndServicesAreRefusedAndRecorded(t *testing.T) {
	rec := awscalls.New(account)
	rec.Principal("ASIAREADER", "Reader")
	srv := httptest.NewServer(rec)
	defer srv.Close()
	ctx := context.Background()

	_, err := dynamoClient(srv.URL, "ASIASTRANGER").ListTables(ctx, &dynamodb.ListTablesInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnrecognizedClientException" {
		t.Errorf("unregistered key: want UnrecognizedClientException, got %v", err)
	}
	sm := secretsmanager.New(secretsmanager.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("ASIAREADER", "s", ""),
	})
	_, err = sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("cursor")})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "NotEmulated" || !strings.Contains(apiErr.ErrorMessage(), "secretsmanager:GetSecretValue") {
		t.Errorf("service without stand-in: want NotEmulated naming the action, got %v", err)
	}
	calls := rec.Calls()
	if len(calls) != 2 {
		t.Fatalf("want both refused calls recorded, got %v", calls)
	}
	if c := calls[0]; c.Principal != "" || c.AccessKeyID != "ASIASTRANGER" || c.Status != 403 || c.Action != "dynamodb:ListTables" || c.Resources[0] != "*" {
		t.Errorf("unregistered call recorded as %+v", c)
	}
	if c := calls[1]; c.Principal != "Reader" || c.Resources[0] != "arn:aws:secretsmanager:eu-west-1:"+account+":secret:cursor" || c.ErrorType != "NotEmulated" {
		t.Errorf("unemulated call recorded as %+v", c)
	}
}

func TestForwardRejectsARelativeEndpoint(t *testing.T) {
	if err := awscalls.New(account).Forward("dynamodb", "127.0.0.1:8000"); err == nil {
		t.Error("an endpoint without scheme was accepted")
	}
}

// restStandIn answers like a REST service and names the action and resource itself.
type restStandIn struct{}

func (restStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.awsgirt/")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(`{"Type":"User","Message":"Function not found"}`))
}

func (restStandIn) Describe(r *http.Request, _ []byte, region, account string) (string, []string) {
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/2015-03-31/functions/"), "/invocations")
	return "lambda:InvokeFunction", []string{"arn:aws:lambda:" + region + ":" + account + ":function:" + name + ":" + r.URL.Query().Get("Qualifier")}
}

// TestDescriberNamesRESTCalls: a stand-in that implements Describer gives the action and
// resource of a REST call, which has no X-Amz-Target, and its REST error code is recorded.
func TestDescriberNamesRESTCalls(t *testing.T) {
	rec := awscalls.New(account)
	rec.Service("lambda", restStandIn{})
	rec.Principal("ASIACHECK", "Check")
	req := httptest.NewRequest("POST", "/2015-03-31/functions/fn/invocations?Qualifier=7", strings.NewReader("{}"))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=ASIACHECK/20260101/eu-west-1/lambda/aws4_request, SignedHeaders=host, Signature=0")
	rec.ServeHTTP(httptest.NewRecorder(), req)
	calls := rec.Calls()
	if len(calls) != 1 {
		t.Fatalf("calls %v", calls)
	}
	c := calls[0]
	if c.Principal != "Check" || c.Action != "lambda:InvokeFunction" || !slices.Equal(c.Resources, []string{"arn:aws:lambda:eu-west-1:111111111111:function:fn:7"}) ||
		c.Status != 404 || c.ErrorType != "ResourceNotFoundException" {
		t.Errorf("recorded %+v", c)
	}
}
