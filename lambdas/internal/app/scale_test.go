package app

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/httpapi"
	"github.com/example/notesplatform/lambdas/internal/memstore"
)

// The scale benchmark's 200 generated routes (test/scale) are served as an added endpoint
// is: one handler per route beside the function's own, and the router dispatches each
// to its handler, with 405 for another method on the same path.
func TestGeneratedRoutesAreServed(t *testing.T) {
	table := api.Shipped().WithScaleRoutes(200)
	sets := handlerSets(Deps{Table: table, Store: memstore.New(), CursorKey: StaticCursorKey([]byte("0123456789abcdef0123456789abcdef"))})
	generated := table.Routes[len(api.Routes):]
	for _, r := range generated {
		sets[r.Function][httpapi.RouteKey(r)] = func(_ context.Context, req *httpapi.Request) (events.APIGatewayProxyResponse, error) {
			return httpapi.JSON(http.StatusOK, map[string]string{"route": req.Route.Path, "caller": req.Caller}, nil), nil
		}
	}
	routers := map[string]*httpapi.Router{}
	for _, f := range table.Functions {
		rt, err := httpapi.NewRouter(table, f.Name, nil, sets[f.Name])
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		routers[f.Name] = rt
	}
	claims := map[string]any{"claims": map[string]any{"sub": "user-1"}}
	for _, r := range generated {
		ev := events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: r.Path, Resource: r.Path,
			RequestContext: events.APIGatewayProxyRequestContext{Authorizer: claims}}
		resp, _ := routers[r.Function].Handle(context.Background(), ev)
		if resp.StatusCode != 200 || resp.Body != `{"caller":"user-1","route":"`+r.Path+`"}` {
			t.Fatalf("GET %s via %s: %d %s", r.Path, r.Function, resp.StatusCode, resp.Body)
		}
		ev.HTTPMethod = "POST"
		if resp, _ := routers[r.Function].Handle(context.Background(), ev); resp.StatusCode != 405 || resp.Headers["Allow"] != "GET" {
			t.Fatalf("POST %s: %d %v", r.Path, resp.StatusCode, resp.Headers)
		}
	}
}
