// Package lambdatest helps test a function's setup: it proves that the cold start makes
// no network call by pointing every AWS endpoint the SDK could use at a local recorder.
package lambdatest

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// NoNetwork points the SDK's endpoints (service, metadata service, container
// credentials) at a loopback recorder and gives fixed credentials and region. The returned
// function reports how many requests reached it; a setup that makes none is network-free.
func NoNetwork(tb testing.TB) (requests func() int64) {
	tb.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	tb.Cleanup(srv.Close)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":                   srv.URL,
		"AWS_EC2_METADATA_SERVICE_ENDPOINT":  srv.URL,
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": srv.URL + "/creds",
		"AWS_REGION":                         "us-east-1",
		"AWS_ACCESS_KEY_ID":                  "test",
		"AWS_SECRET_ACCESS_KEY":              "test",
		"AWS_CONFIG_FILE":                    "/nonexistent",
		"AWS_SHARED_CREDENTIALS_FILE":        "/nonexistent",
		// Lambda sets no custom CA bundle; a developer machine or CI may, and parsing one
		// costs milliseconds that the deployed function never pays.
		"AWS_CA_BUNDLE": "",
	} {
		tb.Setenv(k, v)
	}
	return n.Load
}
