package app

import (
	"context"
	"errors"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/notesplatform/lambdas/internal/httpapi"
)

func notImplemented(context.Context, *httpapi.Request) (events.APIGatewayProxyResponse, error) {
	return events.APIGatewayProxyResponse{}, errors.New("not implemented yet")
}

func notesRead(Deps) map[string]httpapi.HandlerFunc {
	return map[string]httpapi.HandlerFunc{"GET /notes": notImplemented, "GET /notes/{id}": notImplemented}
}

func notesWrite(Deps) map[string]httpapi.HandlerFunc {
	return map[string]httpapi.HandlerFunc{"POST /notes": notImplemented, "PUT /notes/{id}": notImplemented, "DELETE /notes/{id}": notImplemented}
}
