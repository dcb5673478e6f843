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
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/example/notesplatform/lambdas/api"
)

// HandlerFunc serves one route. It returns a response, or an error: an *Error becomes
// that status in the error shape; an AWS error that is the dependency's fault (throttling,
// a 5xx, the deadline) becomes a 503 or 504 with Retry-After (see dependencyFailure); any
// other error becomes a logged 500.
type HandlerFunc func(ctx context.Context, r *Request) (events.APIGatewayProxyResponse, error)

// Router dispatches the events of one Lambda function over that function's routes in a
// route table. It owns everything every route needs: matching (404/405), the caller's
// identity (401), query and body checks (400/413/415), the panic guard and one log line
// per request. It never returns a Go error, because API Gateway would turn that into a
// bare 502 that the client cannot read.
type Router struct {
	function string
	table    api.Table
	log      *slog.Logger
	routes   []boundRoute
}

type boundRoute struct {
	route api.Route
	h     HandlerFunc
}

// RouteKey is the key of a handler in NewRouter's map: "METHOD /path/{param}".
func RouteKey(r api.Route) string { return string(r.Method) + " " + r.Path }

// NewRouter binds handlers (keyed by RouteKey) to the routes that table gives function.
// Every route of the function needs a handler and every handler a route, so a line added
// to the route table without a handler fails at start-up and in the tests, not at the
// first request. The whole table is kept for matching: a path that another function
// serves is a 405 here, not a 404.
func NewRouter(table api.Table, function string, log *slog.Logger, handlers map[string]HandlerFunc) (*Router, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rt := &Router{function: function, table: table, log: log}
	var errs []error
	if _, ok := table.Function(function); !ok {
		errs = append(errs, fmt.Errorf("function %s is not in the route table", function))
	}
	used := map[string]bool{}
	for _, r := range table.RoutesOf(function) {
		k := RouteKey(r)
		h := handlers[k]
		if h == nil {
			errs = append(errs, fmt.Errorf("function %s: route %s has no handler", function, k))
			continue
		}
		used[k] = true
		rt.routes = append(rt.routes, boundRoute{route: r, h: h})
	}
	for k := range handlers {
		if !used[k] {
			errs = append(errs, fmt.Errorf("function %s: handler %s matches no route of the function in the route table", function, k))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return rt, nil
}

// Handle is the Lambda handler. Its error result is always nil. Handlers get a context
// whose deadline is the invocation's less DeadlineMargin, so a request whose AWS calls
// cannot finish answers 503 or 504 in the error shape before Lambda would time it out.
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
			resp = ErrorResponse(Errorf(http.StatusInternalServerError, api.CodeInternal, "internal error"), reqID)
		}
		log.Info("request", slog.String("method", ev.HTTPMethod), slog.String("route", routeName),
			slog.Int("status", resp.StatusCode), slog.Int64("durationUs", time.Since(start).Microseconds()))
	}()
	ctx, cancel := callContext(ctx)
	defer cancel()
	resp = rt.serve(ctx, &ev, reqID, log, &routeName)
	return resp, nil
}

func (rt *Router) serve(ctx context.Context, ev *events.APIGatewayProxyRequest, reqID string, log *slog.Logger, routeName *string) events.APIGatewayProxyResponse {
	fail := func(e *Error) events.APIGatewayProxyResponse { return ErrorResponse(e, reqID) }
	tmpl, params, ok := rt.matchPath(ev)
	if !ok {
		return fail(NotFound())
	}
	var br *boundRoute
	for i := range rt.routes {
		if rt.routes[i].route.Path == tmpl && string(rt.routes[i].route.Method) == ev.HTTPMethod {
			br = &rt.routes[i]
			break
		}
	}
	if br == nil {
		allow := rt.table.AllowedMethods(tmpl)
		if slices.Contains(allow, api.Method(ev.HTTPMethod)) {
			log.Warn("route is served by another function; check the API Gateway integration",
				slog.String("method", ev.HTTPMethod), slog.String("route", tmpl))
		}
		return fail(MethodNotAllowed(ev.HTTPMethod, tmpl, allow))
	}
	*routeName = RouteKey(br.route)
	r := &Request{Event: ev, Route: br.route, RequestID: reqID, Params: params, Log: log}
	if br.route.Auth == api.User {
		sub, ok := Caller(ev)
		if !ok {
			return fail(Errorf(http.StatusUnauthorized, api.CodeUnauthorized, "a valid token is required"))
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
		if e, kind := dependencyFailure(ctx, err); e != nil {
			log.Warn("dependency failed", slog.String("failure", kind), slog.String("error", err.Error()))
			return fail(e)
		}
		log.Error("request failed", slog.String("error", err.Error()))
		return fail(Errorf(http.StatusInternalServerError, api.CodeInternal, "internal error"))
	}
	return resp
}

// matchPath finds the path template of the table that the event addresses. API Gateway
// names it in Resource (and the values in PathParameters); other callers (tests) may only
// set Path. Either way a non-canonical Path (empty, "." or ".." segments) is a 404, never
// a resource reached through a cleaned path (a DELETE of /notes/.. must not answer 204).
func (rt *Router) matchPath(ev *events.APIGatewayProxyRequest) (tmpl string, params map[string]string, ok bool) {
	segs, canonical := api.SplitPath(ev.Path)
	if ev.Path != "" && !canonical {
		return "", nil, false
	}
	if ev.Resource != "" && slices.Contains(rt.table.Paths(), ev.Resource) {
		tsegs, _ := api.SplitPath(ev.Resource)
		params = map[string]string{}
		for i, t := range tsegs {
			if name, isParam := api.ParamName(t); isParam {
				v, found := ev.PathParameters[name]
				if !found && canonical && len(segs) == len(tsegs) {
					v = segs[i]
				}
				params[name] = v
			}
		}
		return ev.Resource, params, true
	}
	return rt.table.Match(ev.Path)
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
