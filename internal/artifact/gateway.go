package artifact

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/notesplatform/internal/apigateway"
	"github.com/example/notesplatform/internal/cfn"
)

// Route is one method of the stage's REST API that a Lambda proxy integration serves, as
// the template defines it.
type Route struct {
	// Method and Path as API Gateway matches them: GET, /notes/{id}.
	Method, Path string
	// Function is the function the integration invokes.
	Function *Function
	// Cognito is true when a Cognito user pool authorizer guards the method.
	Cognito bool
}

// Gateway is the stage's REST API as deployed: its proxy routes, stage and identifiers.
// It turns requests into the events API Gateway sends and the functions' answers into
// HTTP responses, as the deployed API does.
type Gateway struct {
	Routes []Route
	// Stage is the API stage name ("api"), the first segment of every deployed URL.
	Stage string
	// APIID, Region and Account identify the API (local ids, see Resolver).
	APIID, Region, Account string
	// UserPoolID is the Cognito user pool of the authorizer, for the claims' issuer.
	UserPoolID string

	responses map[string]map[string]any // gateway responses by type
}

// newGateway reads the REST API from the templates: every AWS::ApiGateway::Method with an
// AWS_PROXY integration, its resource path and the function its URI names.
func newGateway(a *Assembly, r *cfn.Resolver, fns []*Function) (*Gateway, error) {
	g := &Gateway{}
	for _, s := range a.Stacks {
		for _, res := range s.Template.Resources {
			if res.Type != "AWS::ApiGateway::Stage" {
				continue
			}
			if g.Stage != "" {
				return nil, fmt.Errorf("stage %s has more than one API Gateway stage: the artifact tests drive one", a.Stage)
			}
			g.Stage, _ = res.Properties["StageName"].(string)
			id, err := r.String(s, res.Properties["RestApiId"])
			if err != nil {
				return nil, err
			}
			g.APIID, g.Region, g.Account = id, s.Region, s.Account
		}
		for _, id := range sortedIDs(s) {
			res := s.Template.Resources[id]
			if res.Type == "AWS::ApiGateway::GatewayResponse" {
				if g.responses == nil {
					g.responses = map[string]map[string]any{}
				}
				kind, _ := res.Properties["ResponseType"].(string)
				g.responses[kind] = res.Properties
				continue
			}
			if res.Type != "AWS::ApiGateway::Method" {
				continue
			}
			integration, _ := res.Properties["Integration"].(map[string]any)
			if integration["Type"] != "AWS_PROXY" {
				continue
			}
			method, _ := res.Properties["HttpMethod"].(string)
			path, err := ResourcePath(s, res.Properties["ResourceId"])
			if err != nil {
				return nil, fmt.Errorf("%s: method %s: %w", s.Name, id, err)
			}
			target := lambdaTarget(s, integration["Uri"])
			var fn *Function
			for _, f := range fns {
				if f.Stack == s && f.LogicalID == target {
					fn = f
				}
			}
			if fn == nil {
				return nil, fmt.Errorf("%s: %s %s invokes %q, which is not one of the stage's Go functions", s.Name, method, path, target)
			}
			route := Route{Method: method, Path: path, Function: fn, Cognito: res.Properties["AuthorizationType"] == "COGNITO_USER_POOLS"}
			if route.Cognito && g.UserPoolID == "" {
				if g.UserPoolID, err = userPoolOf(r, s, res.Properties["AuthorizerId"]); err != nil {
					return nil, err
				}
			}
			g.Routes = append(g.Routes, route)
		}
	}
	if g.Stage == "" {
		return nil, fmt.Errorf("stage %s has no API Gateway stage", a.Stage)
	}
	return g, nil
}

// ResourcePath follows AWS::ApiGateway::Resource parents up to the API's root.
func ResourcePath(s *cfn.Stack, ref any) (string, error) {
	var parts []string
	for range 50 {
		m, _ := ref.(map[string]any)
		id, isRef := m["Ref"].(string)
		if !isRef {
			if _, root := m["Fn::GetAtt"]; root {
				break // RootResourceId
			}
			return "", fmt.Errorf("resource reference %v is neither a Ref nor the root", ref)
		}
		res, ok := s.Template.Resources[id]
		if !ok || res.Type != "AWS::ApiGateway::Resource" {
			return "", fmt.Errorf("%s is not an API Gateway resource", id)
		}
		part, _ := res.Properties["PathPart"].(string)
		parts = append([]string{part}, parts...)
		ref = res.Properties["ParentId"]
	}
	return "/" + strings.Join(parts, "/"), nil
}

// lambdaTarget finds the function logical id in an integration URI
// (arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<Fn::GetAtt X.Arn>/invocations).
func lambdaTarget(s *cfn.Stack, uri any) string {
	switch x := uri.(type) {
	case map[string]any:
		if att, ok := x["Fn::GetAtt"].([]any); ok && len(att) == 2 && att[1] == "Arn" {
			if id, _ := att[0].(string); s.Template.Resources[id].Type == "AWS::Lambda::Function" {
				return id
			}
		}
		// A route that invokes an alias ({"Ref": alias} is the alias ARN) reaches the
		// version the alias points at, a version of the function the alias names.
		if ref, ok := x["Ref"].(string); ok && s.Template.Resources[ref].Type == "AWS::Lambda::Alias" {
			return lambdaTarget(s, s.Template.Resources[ref].Properties["FunctionName"])
		}
		if ref, ok := x["Ref"].(string); ok && s.Template.Resources[ref].Type == "AWS::Lambda::Function" {
			return ref
		}
		for _, v := range x {
			if id := lambdaTarget(s, v); id != "" {
				return id
			}
		}
	case []any:
		for _, v := range x {
			if id := lambdaTarget(s, v); id != "" {
				return id
			}
		}
	}
	return ""
}

func userPoolOf(r *cfn.Resolver, s *cfn.Stack, authorizer any) (string, error) {
	m, _ := authorizer.(map[string]any)
	id, _ := m["Ref"].(string)
	res, ok := s.Template.Resources[id]
	if !ok || res.Type != "AWS::ApiGateway::Authorizer" {
		return "", fmt.Errorf("%s: authorizer %v is not an AWS::ApiGateway::Authorizer", s.Name, authorizer)
	}
	arns, err := r.Value(s, res.Properties["ProviderARNs"])
	if err != nil {
		return "", err
	}
	list, _ := arns.([]any)
	if len(list) == 0 {
		return "", fmt.Errorf("%s: authorizer %s names no user pool", s.Name, id)
	}
	arn, _ := list[0].(string)
	return arn[strings.LastIndexByte(arn, '/')+1:], nil
}

// Match finds the route of a method and concrete path, and its path parameters. Where
// several routes match, a literal segment wins over a parameter, as in API Gateway's
// resource tree (/notes/limits before /notes/{id}).
func (g *Gateway) Match(method, path string) (Route, map[string]string, bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best Route
	var bestParams map[string]string
	var bestSegs []string
	for _, rt := range g.Routes {
		if rt.Method != method {
			continue
		}
		tsegs := strings.Split(strings.Trim(rt.Path, "/"), "/")
		if len(tsegs) != len(segs) {
			continue
		}
		params := map[string]string{}
		ok := true
		for i, t := range tsegs {
			if isParam(t) && segs[i] != "" {
				params[t[1:len(t)-1]] = segs[i]
			} else if t != segs[i] {
				ok = false
				break
			}
		}
		if ok && (bestSegs == nil || moreLiteral(tsegs, bestSegs)) {
			best, bestParams, bestSegs = rt, params, tsegs
		}
	}
	return best, bestParams, bestSegs != nil
}

func isParam(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// moreLiteral reports whether template a has a literal segment where b, at the first
// segment where they differ in kind, has a parameter.
func moreLiteral(a, b []string) bool {
	for i := range a {
		if isParam(a[i]) != isParam(b[i]) {
			return isParam(b[i])
		}
	}
	return false
}

// Request is an HTTP request to the deployed API, below the stage (Path "/notes", not
// "/api/notes").
type Request struct {
	Method string
	Path   string
	// Query is the query string; repeated keys keep every value.
	Query url.Values
	// Header holds the client's headers with their names spelled as the client sent them
	// (HTTP/2 clients send lower case).
	Header map[string][]string
	Body   string
	// User is the caller's Cognito `sub`; empty sends no token.
	User string
}

// Response is what the API answers (the answer apigateway renders).
type Response = apigateway.Response

// clientIP is the address the harness's requests come from (a documentation address).
const clientIP = "198.51.100.7"

// options are the deployed stage's, as its functions see it: the execute-api domain of
// the API, reached through the site's CloudFront distribution, with X-Ray tracing on.
func (g *Gateway) options() apigateway.Options {
	return apigateway.Options{
		Stage: g.Stage, APIID: g.APIID, Account: g.Account,
		DomainName: fmt.Sprintf("%s.execute-api.%s.amazonaws.com", g.APIID, g.Region),
		CloudFront: true, Tracing: true,
	}
}

// Event builds the Lambda proxy event that the deployed REST API sends for req on route,
// behind the site's CloudFront distribution (apigateway's event with the stage's options),
// with, on Cognito routes, the authorizer's claims for req.User.
func (g *Gateway) Event(route Route, params map[string]string, req Request, requestID string, now time.Time) events.APIGatewayProxyRequest {
	in := apigateway.Invocation{Resource: route.Path, PathParameters: params, RequestID: requestID, Time: now}
	if route.Cognito && req.User != "" {
		in.Claims = g.Claims(req.User, now)
	}
	return g.options().Event(apigateway.Request{
		Method: req.Method, Path: req.Path, Query: req.Query, Header: req.Header,
		Body: []byte(req.Body), SourceIP: clientIP,
	}, in)
}

// Claims are the claims of an ID token of the stage's user pool for sub, signed in five
// minutes before now, as the Cognito user pool authorizer passes them (apigateway.IDToken).
func (g *Gateway) Claims(sub string, now time.Time) map[string]any {
	iat := now.Add(-5 * time.Minute)
	user := "user-" + hashOf(sub)[:8]
	return apigateway.IDToken{
		Subject:  sub,
		Issuer:   fmt.Sprintf("https://cognito-idp.%s.amazonaws.com/%s", g.Region, g.UserPoolID),
		Audience: hashOf("client/" + g.UserPoolID)[:26],
		Username: user, Email: user + "@example.com", EmailVerified: true, TokenUse: "id",
		AuthTime: iat, IssuedAt: iat, ExpiresAt: iat.Add(time.Hour),
		EventID: uuidOf("event/" + sub), JTI: uuidOf("jti/" + sub + now.String()), OriginJTI: uuidOf("origin/" + sub),
	}.Claims()
}

// ToResponse turns a function's answer into the HTTP response API Gateway sends, or an
// error where API Gateway would answer 502 (apigateway.FromPayload).
func ToResponse(function string, payload []byte) (Response, error) {
	return toResponse(function, payload, "")
}

// toResponse is ToResponse for the request of requestID, which the answer then carries.
func toResponse(function string, payload []byte, requestID string) (Response, error) {
	resp, err := apigateway.FromPayload(payload, requestID)
	if err != nil {
		shown := string(payload)
		if len(shown) > 512 {
			shown = shown[:512] + "…"
		}
		return Response{}, fmt.Errorf("%s answered %q: %w; API Gateway would answer 502 (Malformed Lambda proxy response)", function, shown, err)
	}
	return resp, nil
}

// Responses are the deployed API's gateway responses: each
// AWS::ApiGateway::GatewayResponse of the template, its status, static header parameters
// and application/json template.
func (g *Gateway) Responses() apigateway.GatewayResponses {
	out := apigateway.GatewayResponses{}
	for kind, props := range g.responses {
		var r apigateway.GatewayResponse
		if code, ok := props["StatusCode"].(string); ok {
			_, _ = fmt.Sscan(code, &r.Status)
		}
		if params, ok := props["ResponseParameters"].(map[string]any); ok {
			for k, v := range params {
				name, isHeader := strings.CutPrefix(k, "gatewayresponse.header.")
				value, _ := v.(string)
				if isHeader && len(value) >= 2 && value[0] == '\'' {
					if r.Header == nil {
						r.Header = map[string]string{}
					}
					r.Header[name] = strings.Trim(value, "'")
				}
			}
		}
		if tpls, ok := props["ResponseTemplates"].(map[string]any); ok {
			r.Template, _ = tpls["application/json"].(string)
		}
		out[kind] = r
	}
	return out
}
