package staticsite

import (
	"encoding/json"
	"maps"
	"os/exec"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidate(t *testing.T) {
	p := (&Props{SourceDir: "/does/not/exist", DomainName: "app.example.com", ContentSecurityPolicy: "a\nb"}).withDefaults()
	err := p.validate()
	assert.ErrorContains(t, err, `SourceDir "/does/not/exist"`)
	assert.ErrorContains(t, err, `DomainName "app.example.com" and Certificate: set both or neither`)
	assert.ErrorContains(t, err, "ContentSecurityPolicy")
	assert.ErrorContains(t, err, "LogKey is required")
	assert.Equal(t, 365, (&Props{}).withDefaults().AccessLogDays)

	// An origin check needs an API to protect and a name for its web ACL.
	p = (&Props{APIOriginCheck: &OriginCheck{}}).withDefaults()
	err = p.validate()
	assert.ErrorContains(t, err, "APIOriginCheck without API")
	assert.ErrorContains(t, err, "APIOriginCheck.Name is required")
}

// The SPA routing function is JavaScript that CloudFront runs at the edge; run it here
// with Node (which jsii needs anyway) against the paths that matter.
func TestSPARoutingFunction(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is required to test the CloudFront Function: %v", err)
	}
	cases := map[string]string{
		"/":                   "/index.html",
		"/notes":              "/index.html",
		"/notes/01HX7Q":       "/index.html",
		"/notes/01HX7Q/":      "/index.html",
		"/index.html":         "/index.html",
		"/app.js":             "/app.js",
		"/assets/app.1a2b.js": "/assets/app.1a2b.js",
		"/missing.png":        "/missing.png",
		"/config.json":        "/config.json",
		"/api/notes":          "/api/notes",
		"/api/notes/abc":      "/api/notes/abc",
	}
	uris, _ := json.Marshal(slices.Sorted(maps.Keys(cases)))
	script := spaRouting + `
const out = {};
for (const uri of ` + string(uris) + `) { out[uri] = handler({request: {uri: uri}}).uri; }
console.log(JSON.stringify(out));`
	raw, err := exec.Command(node, "-e", script).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var got map[string]string
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	assert.Equal(t, cases, got)
}
