package localserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/example/notesplatform/lambdas/api"
)

// Handler is a Lambda handler for API Gateway proxy events (the shape of app.Handler).
type Handler = func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// Verifier checks a bearer token the way the Cognito authorizer does and returns the
// claims that API Gateway would put in requestContext.authorizer.claims.
type Verifier func(token string) (map[string]interface{}, error)

const (
	// APIPrefix is where CloudFront (and this server) route the API.
	APIPrefix = "/api"
	// maxPayloadBytes is API Gateway's request payload limit.
	maxPayloadBytes = 10 << 20
	// integrationTimeout is API Gateway's default integration timeout.
	integrationTimeout = 29 * time.Second
)

// NewGateway returns an http.Handler that behaves like the deployed API behind
// CloudFront's /api/* behaviour, for the routes of table: it matches the path after /api
// against the table (api.Table.Match: a non-canonical path is a 404 in the app's error
// shape, never cleaned or redirected; stricter than API Gateway may be, see the README),
// answers a known path with another method 405 with Allow
// (as the deployed API's ANY mock does), enforces the route's Auth like the Cognito
// authorizer (401), converts the request into the proxy event that API Gateway would send,
// calls handlers[route.Function] and writes the proxy response back, or a 502 where API
// Gateway would give one (function error, malformed response, a response over Lambda's
// payload limit). A body that fails its route's model (api.Table.Models, rendered by
// api.Schema.JSONSchema as the template's model is) gets 400 validation_failed before any
// function runs, as the deployed API's request validator answers (BAD_REQUEST_BODY).
// Every answer of its own is in the app's error shape.
func NewGateway(table api.Table, handlers map[string]Handler, verify Verifier, log *slog.Logger) (http.Handler, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := table.Validate(); err != nil {
		return nil, fmt.Errorf("localserver: route table: %w", err)
	}
	g := &gateway{table: table, routes: map[string]*routeHandler{}}
	var errs []error
	models := map[string]*Model{}
	for name, schema := range table.Models {
		m, err := CompileModel(name, schema.JSONSchema())
		if err != nil {
			errs = append(errs, fmt.Errorf("localserver: %w", err))
		}
		models[name] = m
	}
	for _, route := range table.Routes {
		h := handlers[route.Function]
		if h == nil {
			errs = append(errs, fmt.Errorf("localserver: no handler for function %s (route %s %s)", route.Function, route.Method, route.Path))
			continue
		}
		g.routes[string(route.Method)+" "+route.Path] = &routeHandler{route: route, handler: h, verify: verify, log: log,
			model: models[route.Model], timeout: integrationTimeout}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return g, nil
}

// IsAPIPath reports whether a request path belongs to the API: /api and everything under
// /api/, as given (never cleaned first).
func IsAPIPath(path string) bool {
	return path == APIPrefix || strings.HasPrefix(path, APIPrefix+"/")
}

type gateway struct {
	table  api.Table
	routes map[string]*routeHandler // "METHOD /path/{param}"
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	path, _ := strings.CutPrefix(r.URL.Path, APIPrefix)
	tmpl, params, ok := g.table.Match(path)
	if !ok {
		// API Gateway's "Missing Authentication Token", re-mapped to the app's 404.
		gatewayError(w, api.GatewayMissingAuthToken, http.StatusForbidden, "Missing Authentication Token", reqID)
		return
	}
	rh := g.routes[r.Method+" "+tmpl]
	if rh == nil {
		// HEAD and OPTIONS land here too: API Gateway does not serve them from GET.
		writeError(w, http.StatusMethodNotAllowed, api.CodeMethodNotAllowed, api.MethodNotAllowedMessage(r.Method, tmpl), reqID,
			map[string]string{"Allow": api.AllowHeader(g.table.AllowedMethods(tmpl))})
		return
	}
	rh.serve(w, r, params, reqID)
}

type routeHandler struct {
	route   api.Route
	handler Handler
	verify  Verifier
	log     *slog.Logger
	// model is the route's body model, checked like the deployed API's request
	// validator; nil for routes without one.
	model *Model
	// timeout is the integration timeout: the function's context deadline, and past it
	// the gateway's own 504.
	timeout time.Duration
}

func (rh *routeHandler) serve(w http.ResponseWriter, r *http.Request, params map[string]string, reqID string) {
	var claims map[string]interface{}
	if rh.route.Auth == api.User {
		token := r.Header.Get("Authorization")
		if token == "" {
			gatewayError(w, api.GatewayUnauthorized, http.StatusUnauthorized, "Unauthorized", reqID)
			return
		}
		c, err := rh.verify(token)
		if err != nil {
			rh.log.Info("authorizer refused token", slog.String("requestId", reqID), slog.String("reason", err.Error()))
			gatewayError(w, api.GatewayUnauthorized, http.StatusUnauthorized, "Unauthorized", reqID)
			return
		}
		claims = c
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPayloadBytes))
	if err != nil {
		gatewayError(w, api.GatewayRequestTooLarge, http.StatusRequestEntityTooLarge, "Request Too Long", reqID)
		return
	}
	if rh.model != nil && validatesBody(r.Header) {
		if problems := rh.model.Check(body); problems != nil {
			// API Gateway's BAD_REQUEST_BODY, with its validation errors as the message.
			gatewayError(w, api.GatewayBadRequestBody, http.StatusBadRequest, "["+strings.Join(problems, ", ")+"]", reqID)
			return
		}
	}
	ev := ToEvent(r, rh.route, params, body, reqID, claims, time.Now())

	ctx, cancel := context.WithTimeout(r.Context(), rh.timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: reqID})
	resp, err := rh.invoke(ctx, ev)
	if err == nil {
		err = checkPayloadSize(resp)
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		// The handlers answer before it (their deadline is this one less
		// httpapi.DeadlineMargin); a handler that does not gets API Gateway's answer.
		gatewayError(w, api.GatewayIntegrationTimeout, http.StatusGatewayTimeout, "Endpoint request timed out", reqID)
		return
	case err != nil:
		// A function error is a bare 502 in API Gateway; the log says why.
		rh.log.Error("function returned an error", slog.String("requestId", reqID),
			slog.String("function", rh.route.Function), slog.String("error", err.Error()))
		gatewayError(w, api.GatewayDefault5xx, http.StatusBadGateway, "Internal server error", reqID)
		return
	}
	if err := WriteResponse(w, resp, reqID); err != nil {
		rh.log.Error("malformed Lambda proxy response", slog.String("requestId", reqID),
			slog.String("function", rh.route.Function), slog.String("error", err.Error()))
		gatewayError(w, api.GatewayDefault5xx, http.StatusBadGateway, "Internal server error", reqID)
	}
}

// checkPayloadSize refuses, like Lambda, a response whose payload (the proxy response as
// aws-lambda-go encodes it: JSON without HTML escaping, the body escaped as a string) is
// over Lambda's limit; API Gateway then answers 502.
func checkPayloadSize(resp events.APIGatewayProxyResponse) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(resp); err != nil {
		return err
	}
	if buf.Len() > api.MaxLambdaResponseBytes {
		return fmt.Errorf("response payload size (%d bytes) exceeded maximum allowed payload size (%d bytes)", buf.Len(), api.MaxLambdaResponseBytes)
	}
	return nil
}

func (rh *routeHandler) invoke(ctx context.Context, ev events.APIGatewayProxyRequest) (resp events.APIGatewayProxyResponse, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return rh.handler(ctx, ev)
}

// ToEvent converts an HTTP request for route into the proxy event that API Gateway's
// Lambda proxy integration would send: the path without the /api prefix, the route as
// Resource, single- and multi-value headers and query parameters (the single-value maps
// keep the last value, as API Gateway does), the path parameters (params, as
// api.Table.Match found them), the body (base64 when it is not UTF-8), the request id and,
// on User routes, the authorizer's claims.
func ToEvent(r *http.Request, route api.Route, params map[string]string, body []byte, requestID string, claims map[string]interface{}, now time.Time) events.APIGatewayProxyRequest {
	path := strings.TrimPrefix(r.URL.Path, APIPrefix)
	if path == "" {
		path = "/"
	}
	headers := map[string]string{}
	multiHeaders := map[string][]string{}
	for k, vs := range r.Header {
		if len(vs) == 0 {
			continue
		}
		headers[k] = vs[len(vs)-1]
		multiHeaders[k] = append([]string(nil), vs...)
	}
	// Go moves Host out of the header map; API Gateway keeps it.
	headers["Host"] = r.Host
	multiHeaders["Host"] = []string{r.Host}
	sourceIP := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = host
	}
	headers["X-Forwarded-For"] = sourceIP
	multiHeaders["X-Forwarded-For"] = []string{sourceIP}
	headers["X-Forwarded-Proto"] = "http"
	multiHeaders["X-Forwarded-Proto"] = []string{"http"}

	var query map[string]string
	var multiQuery map[string][]string
	if q := r.URL.Query(); len(q) > 0 {
		query = make(map[string]string, len(q))
		multiQuery = make(map[string][]string, len(q))
		for k, vs := range q {
			query[k] = vs[len(vs)-1]
			multiQuery[k] = vs
		}
	}

	var pathParams map[string]string
	if len(params) > 0 {
		pathParams = maps.Clone(params)
	}

	ev := events.APIGatewayProxyRequest{
		Resource:                        route.Path,
		Path:                            path,
		HTTPMethod:                      r.Method,
		Headers:                         headers,
		MultiValueHeaders:               multiHeaders,
		QueryStringParameters:           query,
		MultiValueQueryStringParameters: multiQuery,
		PathParameters:                  pathParams,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:        "000000000000",
			ResourceID:       "local",
			Stage:            "local",
			RequestID:        requestID,
			ResourcePath:     route.Path,
			HTTPMethod:       r.Method,
			APIID:            "local",
			Path:             r.URL.Path,
			Protocol:         r.Proto,
			DomainName:       r.Host,
			RequestTime:      now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch: now.UnixMilli(),
			Identity: events.APIGatewayRequestIdentity{
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if claims != nil {
		ev.RequestContext.Authorizer = map[string]interface{}{"claims": claims}
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// WriteResponse writes a Lambda proxy response the way API Gateway does: headers and
// multi-value headers merged, the body base64-decoded when the function says so, and
// application/json when the function set no Content-Type. It returns an error, having
// written nothing, for a response API Gateway would refuse (bad status, bad base64).
func WriteResponse(w http.ResponseWriter, resp events.APIGatewayProxyResponse, requestID string) error {
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return fmt.Errorf("status code %d", resp.StatusCode)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			return fmt.Errorf("body is not valid base64: %w", err)
		}
		body = b
	}
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
	return nil
}

// gatewayError writes one of the answers API Gateway gives by itself, as the deployed
// API renders it (api.GatewayErrors): the app's error shape with API Gateway's message,
// and Retry-After on those that invite a retry (api.GatewayRetryable). status is API
// Gateway's own status for the error, used where the table keeps it.
func gatewayError(w http.ResponseWriter, kind api.GatewayResponseType, status int, message, requestID string) {
	e := api.GatewayErrors[kind]
	if e.Status == 0 {
		e.Status = status
	}
	var header map[string]string
	if api.GatewayRetryable(e.Status) {
		header = map[string]string{"Retry-After": strconv.Itoa(api.RetryAfterSeconds)}
	}
	writeError(w, e.Status, e.Code, message, requestID, header)
}

// writeError writes an answer of the local server's own in the app's error shape.
func writeError(w http.ResponseWriter, status int, code api.ErrorCode, message, requestID string, header map[string]string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("Cache-Control", "no-store")
	for k, v := range header {
		h.Set(k, v)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, api.ErrorBody(code, message, requestID))
}

// newRequestID returns a random UUID (v4), the shape of API Gateway's request ids.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
