// Command health is the Health Lambda function: a public liveness check that reports the
// app name, environment and build version, so a deploy can be verified with one curl.
package main

import (
	"io"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/app"
	"github.com/example/notesplatform/lambdas/internal/httpapi"
)

func main() {
	h := setup(os.Getenv, os.Stdout)
	lambda.Start(h)
}

// setup is everything up to lambda.Start, separate so that its cold-start cost can be
// benchmarked. Health needs no AWS client and no table.
func setup(getenv func(string) string, logOut io.Writer) app.Handler {
	return app.Handlers(app.Deps{
		AppName:     getenv(api.EnvAppName),
		Environment: getenv(api.EnvEnvironment),
		Version:     getenv(api.EnvBuildVersion),
		Logger:      httpapi.NewLogger(logOut),
	})["Health"]
}
