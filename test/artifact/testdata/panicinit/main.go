// Command panicinit is a broken function for the artifact tests' negative cases: it
// reads the Health function's variables, then panics before lambda.Start, as a bad
// configuration or a nil map would at init.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

var config = map[string]string{
	"app":         os.Getenv("APP_NAME"),
	"environment": os.Getenv("ENV_NAME"),
	"version":     os.Getenv("BUILD_VERSION"),
}

func main() {
	var limits map[string]int
	limits[config["environment"]] = 1 // assignment to a nil map: panics at init
	lambda.Start(func(context.Context, map[string]any) (map[string]any, error) { return nil, nil })
}
