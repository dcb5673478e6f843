// Command envmismatch is a broken function for the artifact tests' negative cases: a
// health check that reads ENVIRONMENT where the template sets ENV_NAME, so it would
// report an empty environment in production.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		body, _ := json.Marshal(map[string]string{
			"app":         os.Getenv("APP_NAME"),
			"environment": os.Getenv("ENVIRONMENT"),
			"version":     os.Getenv("BUILD_VERSION"),
		})
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: string(body)}, nil
	})
}
