package fault_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
)

// kind is one fault a request can meet on its way to DynamoDB or Secrets Manager.
type kind string

// The faults. The TCP ones are toxics of the worker's toxiproxy proxy (between the
// function and the services); the AWS-shaped ones are answers of the worker's injector
// (between the proxy and the recorder), for what a TCP proxy cannot fake.
const (
	none kind = "none"
	// latency delays every answer past the function's deadline (the request reaches the
	// service: a write is applied, its answer comes too late).
	latency kind = "latency past the deadline"
	// slow delays every answer by a little, well within the deadline.
	slow kind = "latency within the deadline"
	// reset resets each connection as soon as the function sends on it (RST, nothing
	// reaches the service).
	reset kind = "connection reset"
	// timeout lets requests through, drops every answer and closes the connection after
	// a while: the SDK's try ends without an answer (writes are applied).
	timeout kind = "timeout (answer dropped, connection closed)"
	// throttle, provisioned and internal answer the first n requests with DynamoDB's
	// ThrottlingException, ProvisionedThroughputExceededException (400) and
	// InternalServerError (500) bodies.
	throttle    kind = "ThrottlingException"
	provisioned kind = "ProvisionedThroughputExceededException"
	internal    kind = "500 InternalServerError"
	// afterWrite500 lets the first n writes reach dynalite and replaces their answers by
	// a 500 InternalServerError; afterWriteDrop closes the connection instead of
	// answering.
	afterWrite500  kind = "after the write: 500"
	afterWriteDrop kind = "after the write: answer dropped"
	// secretsThrottle and secretsInternal answer Secrets Manager's GetSecretValue with its
	// ThrottlingException (400) or InternalServiceError (500), the first n times;
	// secretsReset resets the connections to Secrets Manager.
	secretsThrottle kind = "Secrets Manager ThrottlingException"
	secretsInternal kind = "Secrets Manager 500 InternalServiceError"
	secretsReset    kind = "Secrets Manager connection reset"
)

// fault is what one try of an operation meets: a kind, and for the injected answers how
// many requests get it (the SDK tries each call 3 times: n = 3 exhausts one call's tries).
type fault struct {
	kind kind
	n    int
}

func (f fault) tcp() bool {
	switch f.kind {
	case latency, slow, reset, timeout, secretsReset:
		return true
	}
	return false
}

func (f fault) secrets() bool {
	return f.kind == secretsThrottle || f.kind == secretsInternal || f.kind == secretsReset
}

// network is one worker's path to the services: function -> toxiproxy proxy -> injector
// -> recorder -> stand-in, for DynamoDB and for Secrets Manager.
type network struct {
	dynamodb, secrets *path
}

// path is one service's proxy and injector.
type path struct {
	proxy    *toxiproxy.Proxy
	injector *injector
	server   *http.Server
}

// URL is the endpoint the function is given.
func (p *path) URL() string { return "http://" + p.proxy.Listen }

// newPath starts a service's injector, in front of the recorder (next, in this process),
// and the toxiproxy proxy in front of the injector.
func newPath(srv *toxiproxy.ApiServer, name string, next http.Handler) (*path, error) {
	in := &injector{next: next}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &http.Server{Handler: in, ReadHeaderTimeout: 10 * time.Second, ErrorLog: quietLog}
	go func() { _ = s.Serve(l) }()
	p := toxiproxy.NewProxy(srv, name, "127.0.0.1:0", l.Addr().String())
	if err := p.Start(); err != nil {
		s.Close()
		return nil, err
	}
	return &path{proxy: p, injector: in, server: s}, nil
}

func (p *path) close() {
	p.proxy.Stop()
	p.server.Close()
}

// set arms f on this path for the next try (its TCP toxic, or its injected answers);
// deadline is the functions' timeout, which the latency past the deadline matches.
func (p *path) set(f fault, deadline time.Duration) error {
	if f.tcp() {
		var stream string
		attrs := map[string]any{}
		switch f.kind {
		case latency:
			stream, attrs["latency"] = "downstream", deadline.Milliseconds()
		case slow:
			stream, attrs["latency"] = "downstream", slowLatency.Milliseconds()
		case reset, secretsReset:
			stream, attrs["timeout"] = "upstream", 0
		case timeout:
			stream, attrs["timeout"] = "downstream", dropAfter.Milliseconds()
		}
		typ := map[kind]string{latency: "latency", slow: "latency", reset: "reset_peer", secretsReset: "reset_peer", timeout: "timeout"}[f.kind]
		b, _ := json.Marshal(map[string]any{"name": "fault", "type": typ, "stream": stream, "toxicity": 1, "attributes": attrs})
		_, err := p.proxy.Toxics.AddToxicJson(strings.NewReader(string(b)))
		return err
	}
	p.injector.arm(f)
	return nil
}

// clear takes every fault off the path.
func (p *path) clear() {
	p.proxy.Toxics.ResetToxics(context.Background())
	p.injector.arm(fault{kind: none})
}

// injector answers requests as AWS does when it fails, for the faults a TCP proxy cannot
// fake; otherwise it hands them on.
type injector struct {
	next http.Handler

	mu   sync.Mutex
	f    fault
	left int
	hits int // requests that met the armed fault
}

func (in *injector) arm(f fault) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.f, in.left, in.hits = f, f.n, 0
}

// take reports whether this request (operation op) meets the armed fault.
func (in *injector) take(op string) (kind, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.f.kind == none || in.left == 0 {
		return none, false
	}
	if (in.f.kind == afterWrite500 || in.f.kind == afterWriteDrop) && !writes[op] {
		return none, false
	}
	in.left--
	in.hits++
	return in.f.kind, true
}

func (in *injector) hit() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.hits
}

var writes = map[string]bool{"PutItem": true, "UpdateItem": true, "DeleteItem": true, "BatchWriteItem": true, "TransactWriteItems": true}

func (in *injector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target") // DynamoDB_20120810.PutItem, secretsmanager.GetSecretValue
	op := target[strings.LastIndexByte(target, '.')+1:]
	k, ok := in.take(op)
	if !ok {
		in.next.ServeHTTP(w, r)
		return
	}
	const ddb = "com.amazonaws.dynamodb.v20120810#"
	switch k {
	case throttle:
		awsError(w, "1.0", 400, ddb+"ThrottlingException", "Rate of requests exceeds the allowed throughput.")
	case provisioned:
		awsError(w, "1.0", 400, ddb+"ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.")
	case internal:
		awsError(w, "1.0", 500, ddb+"InternalServerError", "Internal server error")
	case secretsThrottle:
		awsError(w, "1.1", 400, "ThrottlingException", "Rate exceeded")
	case secretsInternal:
		awsError(w, "1.1", 500, "InternalServiceError", "An error occurred on the server side.")
	case afterWrite500, afterWriteDrop:
		applied := httptest.NewRecorder()
		in.next.ServeHTTP(applied, r) // the write reaches dynalite
		if k == afterWrite500 {
			awsError(w, "1.0", 500, ddb+"InternalServerError", "Internal server error")
			return
		}
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
}

// awsError answers as the AWS JSON protocol does (version 1.0 DynamoDB, 1.1 Secrets
// Manager).
func awsError(w http.ResponseWriter, version string, status int, typ, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-"+version)
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("FAULT%027d", time.Now().UnixNano()))
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": message})
}
