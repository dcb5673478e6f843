package artifact_test

import (
	"reflect"
	"sort"
	"testing"

	"github.com/example/notesplatform/internal/apigateway"
	"github.com/example/notesplatform/internal/artifact"
	"github.com/example/notesplatform/lambdas/api"
)

// TestGatewayResponsesAreTheLocalServers: every gateway response of the synthesized REST
// API, rendered as API Gateway renders it, gives the answer that the local server gives
// for that kind (apigateway.AppResponses), and the template has one for every kind of
// api.GatewayErrors and no other. So the deployed API's own errors and the local server's
// cannot drift apart.
func TestGatewayResponsesAreTheLocalServers(t *testing.T) {
	shippedTier(t)
	t.Parallel()
	h, err := artifact.Load(artifact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	deployed, local := h.Gateway.Responses(), apigateway.AppResponses()
	var got, want []string
	for kind := range deployed {
		got = append(got, kind)
	}
	for kind := range api.GatewayErrors {
		want = append(want, string(kind))
	}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the template's gateway responses %v, api.GatewayErrors %v", got, want)
	}
	for _, kind := range want {
		for _, message := range []string{"Unauthorized", `[/title: length must be <= 200, but got 201]`, `it's "quoted" \ <&> é`} {
			d := deployed.Answer(kind, 418, message, "9f0c2a1e-0000-4000-8000-000000000000")
			l := local.Answer(kind, 418, message, "9f0c2a1e-0000-4000-8000-000000000000")
			if !reflect.DeepEqual(d, l) {
				t.Errorf("%s, message %q: the deployed API answers\n%d %v %s\nthe local server\n%d %v %s",
					kind, message, d.Status, d.Header, d.Body, l.Status, l.Header, l.Body)
			}
		}
	}
}
