// Command health is a correct, minimal stand-in for the Health function, built broken
// ways (another architecture, dynamically linked) by the artifact tests' negative cases.
// It depends on aws-lambda-go only, so those builds stay quick on a cold cache.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	body, _ := json.Marshal(map[string]string{
		"app":         os.Getenv("APP_NAME"),
		"environment": os.Getenv("ENV_NAME"),
		"version":     os.Getenv("BUILD_VERSION"),
	})
	lambda.Start(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body)}, nil
	})
}
