// Command pretraffic is CodeDeploy's pre-traffic hook: it checks each new version of the
// API's functions before the live alias sends it traffic, and fails the deployment (which
// then rolls back) when the version crashes or answers wrongly. It reads no data and
// changes nothing.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/example/notesplatform/lambdas/internal/httpapi"
	"github.com/example/notesplatform/lambdas/internal/pretraffic"
)

// EnvFunctions names the environment variable that maps each deployed function name to
// its name in the route table, as JSON.
const EnvFunctions = "FUNCTIONS"

func main() {
	check, err := setup(context.Background(), os.Getenv, os.Stdout)
	if err != nil {
		slog.Error("init failed", slog.String("error", err.Error()))
		os.Exit(1)
	}
	lambda.Start(check.Handle)
}

// setup builds the check from the environment; it makes no network call.
func setup(ctx context.Context, getenv func(string) string, logOut io.Writer) (*pretraffic.Check, error) {
	var functions map[string]string
	if err := json.Unmarshal([]byte(getenv(EnvFunctions)), &functions); err != nil || len(functions) == 0 {
		return nil, errors.New("pretraffic: " + EnvFunctions + " must map deployed function names to route-table names, as JSON")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("pretraffic: load AWS config: %w", err)
	}
	return &pretraffic.Check{
		Lambda:     awslambda.NewFromConfig(cfg),
		CodeDeploy: codedeploy.NewFromConfig(cfg),
		Functions:  functions,
		Log:        httpapi.NewLogger(logOut),
	}, nil
}
