package localserver

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
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
// CloudFront's /api/* behaviour: for each entry of api.Routes it registers
// "METHOD /api<path>", enforces the route's Auth like the Cognito authorizer (401 in the
// app's error shape, as the deployed gateway responses render it), converts the request into the proxy event that API Gateway
// would send, calls handlers[route.Function] and writes the proxy response back. Paths and
// methods that are not in the table get the deployed API's 404 (API Gateway's "Missing
// Authentication Token").
func NewGateway(handlers map[string]Handler, verify Verifier, log *slog.Logger) (http.Handler, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	var errs []error
	for _, route := range api.Routes {
		h := handlers[route.Function]
		if h == nil {
			errs = append(errs, fmt.Errorf("localserver: no handler for function %s (route %s %s)", route.Function, route.Method, route.Path))
			continue
		}
		mux.Handle(route.Method+" "+APIPrefix+route.Path, &routeHandler{route: route, handler: h, verify: verify, log: log})
	}
	// A known path with a method the table does not list: 405 with Allow, as the deployed
	// API's ANY method answers from its mock integration.
	allowed := map[string][]string{}
	for _, route := range api.Routes {
		allowed[route.Path] = append(allowed[route.Path], route.Method)
	}
	for path, methods := range allowed {
		slices.Sort(methods)
		mux.HandleFunc(APIPrefix+path, func(w http.ResponseWriter, r *http.Request) {
			methodNotAllowed(w, path, methods, r.Method, newRequestID())
		})
	}
	mux.HandleFunc(APIPrefix+"/", func(w http.ResponseWriter, r *http.Request) {
		gatewayError(w, "MISSING_AUTHENTICATION_TOKEN", http.StatusForbidden, "Missing Authentication Token", newRequestID())
	})
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return mux, nil
}

type routeHandler struct {
	route   api.Route
	handler Handler
	verify  Verifier
	log     *slog.Logger
}

func (rh *routeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	// ServeMux lets HEAD through to GET patterns; API Gateway does not.
	if r.Method != rh.route.Method {
		var methods []string
		for _, route := range api.Routes {
			if route.Path == rh.route.Path {
				methods = append(methods, route.Method)
			}
		}
		slices.Sort(methods)
		methodNotAllowed(w, rh.route.Path, methods, r.Method, reqID)
		return
	}
	var claims map[string]interface{}
	if rh.route.Auth == api.User {
		token := r.Header.Get("Authorization")
		if token == "" {
			gatewayError(w, "UNAUTHORIZED", http.StatusUnauthorized, "Unauthorized", reqID)
			return
		}
		c, err := rh.verify(token)
		if err != nil {
			rh.log.Info("authorizer refused token", slog.String("requestId", reqID), slog.String("reason", err.Error()))
			gatewayError(w, "UNAUTHORIZED", http.StatusUnauthorized, "Unauthorized", reqID)
			return
		}
		claims = c
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPayloadBytes))
	if err != nil {
		gatewayError(w, "REQUEST_TOO_LARGE", http.StatusRequestEntityTooLarge, "Request Too Long", reqID)
		return
	}
	ev := ToEvent(r, rh.route, body, reqID, claims, time.Now())

	ctx, cancel := context.WithTimeout(r.Context(), integrationTimeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: reqID})
	resp, err := rh.invoke(ctx, ev)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		gatewayError(w, "DEFAULT_5XX", http.StatusGatewayTimeout, "Endpoint request timed out", reqID)
		return
	case err != nil:
		// A function error is a bare 502 in API Gateway; the log says why.
		rh.log.Error("function returned an error", slog.String("requestId", reqID),
			slog.String("function", rh.route.Function), slog.String("error", err.Error()))
		gatewayError(w, "DEFAULT_5XX", http.StatusBadGateway, "Internal server error", reqID)
		return
	}
	if err := WriteResponse(w, resp, reqID); err != nil {
		rh.log.Error("malformed Lambda proxy response", slog.String("requestId", reqID),
			slog.String("function", rh.route.Function), slog.String("error", err.Error()))
		gatewayError(w, "DEFAULT_5XX", http.StatusBadGateway, "Internal server error", reqID)
	}
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
// keep the last value, as API Gateway does), path parameters, the body (base64 when it is
// not UTF-8), the request id and, on User routes, the authorizer's claims.
func ToEvent(r *http.Request, route api.Route, body []byte, requestID string, claims map[string]interface{}, now time.Time) events.APIGatewayProxyRequest {
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
	for _, seg := range strings.Split(route.Path, "/") {
		if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
			if pathParams == nil {
				pathParams = map[string]string{}
			}
			name := seg[1 : len(seg)-1]
			pathParams[name] = r.PathValue(name)
		}
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
// API renders it (api.GatewayErrors): the app's {"error": {...}} shape.
// status is API Gateway's own status for the error, used where the table keeps it.
func gatewayError(w http.ResponseWriter, kind string, status int, message, requestID string) {
	e := api.GatewayErrors[kind]
	if e.Status == 0 {
		e.Status = status
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(e.Status)
	b, _ := json.Marshal(map[string]map[string]string{"error": {"code": e.Code, "message": message, "requestId": requestID}})
	_, _ = w.Write(b)
}

// methodNotAllowed is the deployed API's 405 for a known path (see restapi's ANY method).
func methodNotAllowed(w http.ResponseWriter, path string, allow []string, method, requestID string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Allow", strings.Join(allow, ","))
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusMethodNotAllowed)
	b, _ := json.Marshal(map[string]map[string]string{"error": {
		"code": "method_not_allowed", "message": "method " + method + " is not allowed on " + path, "requestId": requestID,
	}})
	_, _ = w.Write(b)
}

// newRequestID returns a random UUID (v4), the shape of API Gateway's request ids.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
