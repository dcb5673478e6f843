// Package apigateway is the one model of API Gateway's REST API Lambda proxy integration,
// shared by the local server and the artifact tests: an HTTP request becomes the proxy
// event API Gateway sends, a function's proxy response becomes the HTTP answer it sends,
// and the gateway's own errors are rendered as the deployed API renders them.
package apigateway

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Limits of API Gateway that a stand-in for it enforces.
const (
	// MaxRequestPayload is API Gateway's request payload limit: a larger body is its own
	// REQUEST_TOO_LARGE answer.
	MaxRequestPayload = 10 << 20
	// IntegrationTimeout is API Gateway's default integration timeout: a function that
	// has not answered by then is its own 504.
	IntegrationTimeout = 29 * time.Second
)

// cloudFrontEdgeIP is the address a CloudFront edge calls the API from (one of
// CloudFront's origin-facing ranges): the last entry of X-Forwarded-For behind CloudFront.
const cloudFrontEdgeIP = "130.176.0.1"

// Options describe the API that a request reaches and how it gets there. The same request
// makes a different event on the deployed stage behind CloudFront than on the local
// server; these fields are everything that differs, so both go through one builder.
type Options struct {
	// Stage is the stage name, requestContext.stage ("api" when deployed).
	Stage string
	// BasePath is what precedes the API's resource paths in the client's URL:
	// requestContext.path is BasePath followed by the event's path. Default: "/" + Stage,
	// as on the stage's own URL and behind CloudFront's /api/* behaviour.
	BasePath string
	// APIID and Account are requestContext.apiId and accountId.
	APIID, Account string
	// DomainName is the API's host: the Host header the function sees,
	// requestContext.domainName and, by its first label, domainPrefix. Default: the
	// request's own Host and no domainPrefix, as for a client of a local server.
	DomainName string
	// CloudFront says that clients reach the API through a CloudFront distribution, as
	// the deployed site's are: the event then carries CloudFront's Via and X-Amz-Cf-Id,
	// X-Forwarded-For with the client's and then the edge's address, X-Forwarded-Port 443
	// and X-Forwarded-Proto https, User-Agent "Amazon CloudFront" when the client sent
	// none, and protocol HTTP/1.1 (CloudFront's to the origin). Default: the client talks
	// to the API itself: X-Forwarded-For is its address, X-Forwarded-Proto its scheme.
	CloudFront bool
	// Tracing says that the stage has X-Ray tracing on, so API Gateway adds an
	// X-Amzn-Trace-Id header. Default: no trace header.
	Tracing bool
}

// Request is a client's HTTP request as API Gateway receives it: what a proxy event is
// made of, apart from what the gateway itself decides (Invocation).
type Request struct {
	Method string
	// Path is the decoded path below BasePath: "/notes/n 1" for /api/notes/n%201.
	Path string
	// Query is the query string; repeated keys keep every value, in order.
	Query url.Values
	// Header holds the client's headers, names spelled as the client sent them.
	Header map[string][]string
	// Host is the Host the client sent.
	Host string
	// Body is the request body.
	Body []byte
	// Binary says that API Gateway treats the body as binary (a binary media type of the
	// API) and base64-encodes it even when it is UTF-8 text. Default: base64 only for a
	// body that is not UTF-8.
	Binary bool
	// SourceIP is the client's address.
	SourceIP string
	// Proto and Scheme are the client's protocol and scheme: "HTTP/1.1", "http".
	Proto, Scheme string
}

// FromHTTP reads r as a request to an API served under basePath (the prefix is cut from
// the path as given, never cleaned). body is r's body, read (and bounded) by the caller,
// which has to answer a body over API Gateway's limit before there is any event.
func FromHTTP(r *http.Request, basePath string, body []byte) Request {
	sourceIP := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = host
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return Request{
		Method:   r.Method,
		Path:     strings.TrimPrefix(r.URL.Path, basePath),
		Query:    r.URL.Query(),
		Header:   r.Header,
		Host:     r.Host,
		Body:     body,
		SourceIP: sourceIP,
		Proto:    r.Proto,
		Scheme:   scheme,
	}
}

// Invocation is what API Gateway has decided about a request by the time it calls the
// function: the resource that matched and its path parameters, the authorizer's claims,
// and the request's id and time.
type Invocation struct {
	// Resource is the matched resource path: "/notes/{id}". Empty for none.
	Resource string
	// PathParameters are the resource's parameters in the request path.
	PathParameters map[string]string
	// Claims are what the authorizer passes on (see IDToken.Claims); nil on a method
	// without an authorizer.
	Claims map[string]any
	// RequestID is API Gateway's id of the request; the other ids derive from it.
	RequestID string
	// Time is when the request arrived.
	Time time.Time
}

// Event builds the proxy event that API Gateway's Lambda proxy integration sends for req:
// the resource and path, single- and multi-value headers and query parameters (nil when
// absent, as API Gateway's null; a single-value map keeps a name's last value), the path
// parameters, the body (base64 when it is not UTF-8 or is binary), the headers the gateway
// and what stands in front of it add, and a requestContext with the stage, ids, times,
// the caller's identity and, with claims, the authorizer's.
func (o Options) Event(req Request, in Invocation) events.APIGatewayProxyRequest {
	headers := map[string]string{}
	multi := map[string][]string{}
	for _, k := range slices.Sorted(maps.Keys(req.Header)) {
		vs := req.Header[k]
		if len(vs) == 0 {
			continue
		}
		headers[k] = vs[len(vs)-1]
		multi[k] = append(multi[k], vs...)
	}
	// set puts a header of the gateway's (or CloudFront's) in place of what the client
	// sent under that name, in whatever spelling.
	set := func(name, value string) {
		for k := range headers {
			if strings.EqualFold(k, name) {
				delete(headers, k)
				delete(multi, k)
			}
		}
		headers[name] = value
		multi[name] = []string{value}
	}

	domain := cmp.Or(o.DomainName, req.Host)
	set("Host", domain) // Go moves Host out of the header map; API Gateway keeps it.
	protocol, scheme := req.Proto, cmp.Or(req.Scheme, "http")
	forwardedFor := req.SourceIP
	if o.CloudFront {
		if _, ok := header(headers, "User-Agent"); !ok {
			set("User-Agent", "Amazon CloudFront")
		}
		set("Via", "2.0 "+digest(in.RequestID)[:32]+".cloudfront.net (CloudFront)")
		set("X-Amz-Cf-Id", base64.RawURLEncoding.EncodeToString([]byte(digest(in.RequestID)[:42])))
		forwardedFor += ", " + cloudFrontEdgeIP
		set("X-Forwarded-Port", "443")
		protocol, scheme = "HTTP/1.1", "https"
	}
	if o.Tracing {
		set("X-Amzn-Trace-Id", fmt.Sprintf("Root=1-%08x-%s", in.Time.Unix(), digest(in.RequestID)[:24]))
	}
	set("X-Forwarded-For", forwardedFor)
	set("X-Forwarded-Proto", scheme)
	userAgent, _ := header(headers, "User-Agent")

	var query map[string]string
	var multiQuery map[string][]string
	if len(req.Query) > 0 {
		query = make(map[string]string, len(req.Query))
		multiQuery = make(map[string][]string, len(req.Query))
		for k, vs := range req.Query {
			query[k] = vs[len(vs)-1]
			multiQuery[k] = vs
		}
	}
	var params map[string]string
	if len(in.PathParameters) > 0 {
		params = maps.Clone(in.PathParameters)
	}
	var domainPrefix string
	if o.DomainName != "" {
		domainPrefix, _, _ = strings.Cut(o.DomainName, ".")
	}

	ev := events.APIGatewayProxyRequest{
		Resource:                        in.Resource,
		Path:                            cmp.Or(req.Path, "/"),
		HTTPMethod:                      req.Method,
		Headers:                         headers,
		MultiValueHeaders:               multi,
		QueryStringParameters:           query,
		MultiValueQueryStringParameters: multiQuery,
		PathParameters:                  params,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID:         o.Account,
			ResourceID:        digest(req.Method + in.Resource)[:6],
			Stage:             o.Stage,
			DomainName:        domain,
			DomainPrefix:      domainPrefix,
			RequestID:         in.RequestID,
			ExtendedRequestID: base64.StdEncoding.EncodeToString([]byte(digest(in.RequestID)[:12])),
			Protocol:          protocol,
			Identity:          events.APIGatewayRequestIdentity{SourceIP: req.SourceIP, UserAgent: userAgent},
			ResourcePath:      in.Resource,
			Path:              cmp.Or(o.BasePath, "/"+o.Stage) + req.Path,
			HTTPMethod:        req.Method,
			RequestTime:       in.Time.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			RequestTimeEpoch:  in.Time.UnixMilli(),
			APIID:             o.APIID,
		},
	}
	if in.Claims != nil {
		ev.RequestContext.Authorizer = map[string]any{"claims": in.Claims}
	}
	if len(req.Body) > 0 {
		if utf8.Valid(req.Body) && !req.Binary {
			ev.Body = string(req.Body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(req.Body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// header finds a header case-insensitively, as HTTP names are.
func header(h map[string]string, name string) (string, bool) {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// EventPayload encodes ev as API Gateway sends it to Lambda. Where the Go type has an
// empty string, API Gateway sends null (no body, the identity's unknown fields), it sends
// isBase64Encoded even when false, and leaves out the authorizer on a method without one;
// the function decodes either the same way, but a test of the deployed artifact should
// send what the deployed API sends.
func EventPayload(ev events.APIGatewayProxyRequest) ([]byte, error) {
	id := ev.RequestContext.Identity
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	type wireContext struct {
		events.APIGatewayProxyRequestContext
		Identity   map[string]any `json:"identity"`
		Authorizer map[string]any `json:"authorizer,omitempty"`
	}
	wire := struct {
		events.APIGatewayProxyRequest
		Body            any         `json:"body"`
		IsBase64Encoded bool        `json:"isBase64Encoded"`
		RequestContext  wireContext `json:"requestContext"`
	}{
		APIGatewayProxyRequest: ev,
		Body:                   null(ev.Body),
		IsBase64Encoded:        ev.IsBase64Encoded,
		RequestContext: wireContext{
			APIGatewayProxyRequestContext: ev.RequestContext,
			Authorizer:                    ev.RequestContext.Authorizer,
			Identity: map[string]any{
				"cognitoIdentityPoolId": null(id.CognitoIdentityPoolID), "accountId": null(id.AccountID),
				"cognitoIdentityId": null(id.CognitoIdentityID), "caller": null(id.Caller),
				"sourceIp": null(id.SourceIP), "principalOrgId": nil, "accessKey": null(id.AccessKey),
				"cognitoAuthenticationType":     null(id.CognitoAuthenticationType),
				"cognitoAuthenticationProvider": null(id.CognitoAuthenticationProvider),
				"userArn":                       null(id.UserArn), "userAgent": null(id.UserAgent), "user": null(id.User),
			},
		},
	}
	return json.Marshal(wire)
}

// digest is the hex SHA-256 of s: the deterministic stand-in for the random ids that
// API Gateway and CloudFront make up, so that the same request makes the same event.
func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
