package localserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/example/notesplatform/internal/apigateway"
	"github.com/example/notesplatform/lambdas/api"
)

// Handler is a Lambda handler for API Gateway proxy events (the shape of app.Handler).
type Handler = func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// Verifier checks a bearer token the way the Cognito authorizer does and returns the
// claims that API Gateway would put in requestContext.authorizer.claims.
type Verifier func(token string) (map[string]interface{}, error)

// APIPrefix is where CloudFront (and this server) route the API.
const APIPrefix = "/api"

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
			model: models[route.Model], timeout: apigateway.IntegrationTimeout}
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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, apigateway.MaxRequestPayload))
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
	out, err := apigateway.FromProxyResponse(resp, reqID)
	if err != nil {
		// A malformed response, or one over Lambda's payload limit: 502 in API Gateway.
		rh.log.Error("API Gateway would refuse the function's response", slog.String("requestId", reqID),
			slog.String("function", rh.route.Function), slog.String("error", err.Error()))
		gatewayError(w, api.GatewayDefault5xx, http.StatusBadGateway, "Internal server error", reqID)
		return
	}
	out.Write(w)
}

func (rh *routeHandler) invoke(ctx context.Context, ev events.APIGatewayProxyRequest) (resp events.APIGatewayProxyResponse, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return rh.handler(ctx, ev)
}

// localAPI is the local server's API as a function sees it: stage "local" under /api,
// called by its clients directly (no CloudFront in front).
var localAPI = apigateway.Options{Stage: "local", BasePath: APIPrefix, APIID: "local", Account: "000000000000"}

// appResponses are the deployed API's gateway responses, which the local server answers
// its own errors with.
var appResponses = apigateway.AppResponses()

// ToEvent converts an HTTP request for route into the proxy event that API Gateway's
// Lambda proxy integration would send to the local server's functions (apigateway's
// event with localAPI's options): the path without the /api prefix, the route as
// Resource, the path parameters (params, as api.Table.Match found them), the body, the
// request id and, on User routes, the authorizer's claims.
func ToEvent(r *http.Request, route api.Route, params map[string]string, body []byte, requestID string, claims map[string]interface{}, now time.Time) events.APIGatewayProxyRequest {
	return localAPI.Event(apigateway.FromHTTP(r, APIPrefix, body), apigateway.Invocation{
		Resource: route.Path, PathParameters: params, Claims: claims, RequestID: requestID, Time: now,
	})
}

// gatewayError writes one of the answers API Gateway gives by itself, as the deployed
// API renders it (apigateway.AppResponses): the app's error shape with API Gateway's
// message, and Retry-After on those that invite a retry. status is API Gateway's own status for the error, used where api.GatewayErrors
// does not replace it. Like every answer of the local server's own (writeError), it is
// not to be cached.
func gatewayError(w http.ResponseWriter, kind api.GatewayResponseType, status int, message, requestID string) {
	resp := appResponses.Answer(string(kind), status, message, requestID)
	resp.Header.Set("Cache-Control", "no-store")
	resp.Write(w)
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
