package artifact_test

import (
	"testing"

	"github.com/example/notesplatform/internal/artifact"
)

// The harness routes a request as API Gateway's resource tree does: a literal segment
// wins over a parameter, whatever the order of the routes.
func TestGatewayMatchPrefersLiterals(t *testing.T) {
	for _, routes := range [][]artifact.Route{
		{{Method: "GET", Path: "/notes/{id}"}, {Method: "GET", Path: "/notes/limits"}, {Method: "GET", Path: "/notes"}},
		{{Method: "GET", Path: "/notes"}, {Method: "GET", Path: "/notes/limits"}, {Method: "GET", Path: "/notes/{id}"}},
	} {
		g := artifact.Gateway{Routes: routes}
		for path, want := range map[string]string{"/notes/limits": "/notes/limits", "/notes/01ARZ": "/notes/{id}", "/notes": "/notes"} {
			got, params, ok := g.Match("GET", path)
			if !ok || got.Path != want {
				t.Errorf("Match(GET %s) = %q, %v; want %q", path, got.Path, ok, want)
			}
			if want == "/notes/{id}" && params["id"] != "01ARZ" {
				t.Errorf("Match(GET %s) params %v", path, params)
			}
		}
		if _, _, ok := g.Match("PUT", "/notes/limits"); ok {
			t.Error("Match(PUT /notes/limits) matched a GET route")
		}
	}
}
