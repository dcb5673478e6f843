package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/example/notesplatform/lambdas/api"
)

// HandlerFunc serves one route. It returns a response, or an error: an *Error becomes
// that status in the error shape; any other error becomes a logged 500.
type HandlerFunc func(ctx context.Context, r *Request) (events.APIGatewayProxyResponse, error)

// Router dispatches the events of one Lambda function over that function's routes in
// api.Routes. It owns everything every route needs: matching (404/405), the caller's
// identity (401), query and body checks (400/413/415), the panic guard and one log line
// per request. It never returns a Go error, because API Gateway would turn that into a
// bare 502 that the client cannot read.
type Router struct {
	function string
	log      *slog.Logger
	routes   []boundRoute
}

type boundRoute struct {
	route api.Route
	segs  []string
	h     HandlerFunc
}

// RouteKey is the key of a handler in NewRouter's map: "METHOD /path/{param}".
func RouteKey(r api.Route) string { return r.Method + " " + r.Path }

// NewRouter binds handlers (keyed by RouteKey) to the routes of function. Every route of
// the function needs a handler and every handler a route, so a line added to api.Routes
// without a handler fails at start-up and in the tests, not at the first request.
func NewRouter(function string, log *slog.Logger, handlers map[string]HandlerFunc) (*Router, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rt := &Router{function: function, log: log}
	var errs []error
	used := map[string]bool{}
	for _, r := range api.RoutesOf(function) {
		k := RouteKey(r)
		h := handlers[k]
		if h == nil {
			errs = append(errs, fmt.Errorf("function %s: route %s has no handler", function, k))
			continue
		}
		used[k] = true
		rt.routes = append(rt.routes, boundRoute{route: r, segs: splitPath(r.Path), h: h})
	}
	for k := range handlers {
		if !used[k] {
			errs = append(errs, fmt.Errorf("function %s: handler %s matches no route of the function in api.Routes", function, k))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rt, nil
}

// Handle is the Lambda handler. Its error result is always nil.
func (rt *Router) Handle(ctx context.Context, ev events.APIGatewayProxyRequest) (resp events.APIGatewayProxyResponse, _ error) {
	start := time.Now()
	reqID := requestID(ctx, &ev)
	log := rt.log.With(slog.String("requestId", reqID), slog.String("function", rt.function))
	routeName := "unmatched"
	defer func() {
		if p := recover(); p != nil {
			// The stack says where; the panic value may hold request data, so only its type.
			log.Error("handler panicked", slog.String("panic", fmt.Sprintf("%T", p)),
				slog.String("stack", string(debug.Stack())))
			resp = ErrorResponse(Errorf(http.StatusInternalServerError, CodeInternal, "internal error"), reqID)
		}
		log.Info("request", slog.String("method", ev.HTTPMethod), slog.String("route", routeName),
			slog.Int("status", resp.StatusCode), slog.Int64("durationUs", time.Since(start).Microseconds()))
	}()
	resp = rt.serve(ctx, &ev, reqID, log, &routeName)
	return resp, nil
}

func (rt *Router) serve(ctx context.Context, ev *events.APIGatewayProxyRequest, reqID string, log *slog.Logger, routeName *string) events.APIGatewayProxyResponse {
	fail := func(e *Error) events.APIGatewayProxyResponse { return ErrorResponse(e, reqID) }
	tmpl, params, ok := matchPath(ev)
	if !ok {
		return fail(NotFound())
	}
	var br *boundRoute
	for i := range rt.routes {
		if rt.routes[i].route.Path == tmpl && rt.routes[i].route.Method == ev.HTTPMethod {
			br = &rt.routes[i]
			break
		}
	}
	if br == nil {
		allow := allowedMethods(tmpl)
		if slices.Contains(allow, ev.HTTPMethod) {
			log.Warn("route is served by another function; check the API Gateway integration",
				slog.String("method", ev.HTTPMethod), slog.String("route", tmpl))
		}
		e := Errorf(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method not allowed on this path")
		e.Header = map[string]string{"Allow": strings.Join(allow, ", ")}
		return fail(e)
	}
	*routeName = RouteKey(br.route)
	r := &Request{Event: ev, Route: br.route, RequestID: reqID, Params: params, Log: log}
	if br.route.Auth == api.User {
		sub, ok := Caller(ev)
		if !ok {
			return fail(Errorf(http.StatusUnauthorized, CodeUnauthorized, "a valid token is required"))
		}
		r.Caller = sub
	}
	if e := checkQuery(ev, br.route.Query); e != nil {
		return fail(e)
	}
	if br.route.Model != "" {
		body, e := readBody(ev)
		if e != nil {
			return fail(e)
		}
		r.Body = body
	}
	resp, err := br.h(ctx, r)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return fail(e)
		}
		log.Error("request failed", slog.String("error", err.Error()))
		return fail(Errorf(http.StatusInternalServerError, CodeInternal, "internal error"))
	}
	return resp
}

// matchPath finds the api.Routes path template that the event addresses. API Gateway
// names it in Resource; other callers (the local server, tests) may only set Path, so
// that is matched segment by segment.
func matchPath(ev *events.APIGatewayProxyRequest) (tmpl string, params map[string]string, ok bool) {
	segs := splitPath(ev.Path)
	if ev.Resource != "" && hasTemplate(ev.Resource) {
		tsegs := splitPath(ev.Resource)
		params = map[string]string{}
		for i, t := range tsegs {
			if name, isParam := paramName(t); isParam {
				v, found := ev.PathParameters[name]
				if !found && len(segs) == len(tsegs) {
					v = segs[i]
				}
				params[name] = v
			}
		}
		return ev.Resource, params, true
	}
	if segs == nil {
		return "", nil, false
	}
	seen := map[string]bool{}
	for _, r := range api.Routes {
		if seen[r.Path] {
			continue
		}
		seen[r.Path] = true
		if p, ok := matchSegs(splitPath(r.Path), segs); ok {
			return r.Path, p, true
		}
	}
	return "", nil, false
}

func matchSegs(tmpl, segs []string) (map[string]string, bool) {
	if len(tmpl) != len(segs) {
		return nil, false
	}
	var params map[string]string
	for i, t := range tmpl {
		if name, ok := paramName(t); ok {
			if params == nil {
				params = map[string]string{}
			}
			params[name] = segs[i]
			continue
		}
		if t != segs[i] {
			return nil, false
		}
	}
	return params, true
}

func hasTemplate(path string) bool {
	return slices.ContainsFunc(api.Routes, func(r api.Route) bool { return r.Path == path })
}

// allowedMethods lists, in route-table order, the methods the API serves on a path.
func allowedMethods(tmpl string) []string {
	var out []string
	for _, r := range api.Routes {
		if r.Path == tmpl && !slices.Contains(out, r.Method) {
			out = append(out, r.Method)
		}
	}
	return out
}

func paramName(seg string) (string, bool) {
	if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// splitPath splits "/a/b" into [a b]; nil for paths with empty segments or no leading
// slash. One trailing slash is tolerated.
func splitPath(p string) []string {
	if !strings.HasPrefix(p, "/") || len(p) < 2 {
		return nil
	}
	p = strings.TrimSuffix(p[1:], "/")
	segs := strings.Split(p, "/")
	if slices.Contains(segs, "") {
		return nil
	}
	return segs
}

// requestID prefers API Gateway's id (what the client can quote), then Lambda's, and
// makes one up only for callers that provide neither.
func requestID(ctx context.Context, ev *events.APIGatewayProxyRequest) string {
	if id := ev.RequestContext.RequestID; id != "" && len(id) <= 128 {
		return id
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
