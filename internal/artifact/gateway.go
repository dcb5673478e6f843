package artifact

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
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
func newGateway(a *Assembly, r *Resolver, fns []*Function) (*Gateway, error) {
	g := &Gateway{}
	for _, s := range a.Stacks {
		for _, res := range s.Resources {
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
		ids := make([]string, 0, len(s.Resources))
		for id := range s.Resources {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			res := s.Resources[id]
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
func ResourcePath(s *Stack, ref any) (string, error) {
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
		res, ok := s.Resources[id]
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
func lambdaTarget(s *Stack, uri any) string {
	switch x := uri.(type) {
	case map[string]any:
		if att, ok := x["Fn::GetAtt"].([]any); ok && len(att) == 2 && att[1] == "Arn" {
			if id, _ := att[0].(string); s.Resources[id].Type == "AWS::Lambda::Function" {
				return id
			}
		}
		// A route that invokes an alias ({"Ref": alias} is the alias ARN) reaches the
		// version the alias points at, a version of the function the alias names.
		if ref, ok := x["Ref"].(string); ok && s.Resources[ref].Type == "AWS::Lambda::Alias" {
			return lambdaTarget(s, s.Resources[ref].Properties["FunctionName"])
		}
		if ref, ok := x["Ref"].(string); ok && s.Resources[ref].Type == "AWS::Lambda::Function" {
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

func userPoolOf(r *Resolver, s *Stack, authorizer any) (string, error) {
	m, _ := authorizer.(map[string]any)
	id, _ := m["Ref"].(string)
	res, ok := s.Resources[id]
	if !ok || res.Type != "AWS::ApiGateway::Authorizer" {
		return "", fmt.Errorf("%s: authorizer %v is not an AWS::ApiGateway::Authorizer", s.Name, authorizer)
	}
	arns, err := r.Resolve(s, res.Properties["ProviderARNs"])
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

// Response is what the API answers.
type Response struct {
	Status int
	// Header keys are canonical (API Gateway answers in the function's spelling; HTTP is
	// case-insensitive).
	Header map[string][]string
	Body   []byte
	// FromGateway is true for answers API Gateway gives by itself (no function ran).
	FromGateway bool
}

// Get returns the first value of a header, case-insensitively.
func (r Response) Get(name string) string {
	for k, v := range r.Header {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// Event builds the Lambda proxy event that the deployed REST API sends for req on route,
// behind the site's CloudFront distribution: resource and path, single- and multi-value
// headers and query parameters (null when absent; the single-value maps keep the last
// value), path parameters, a base64 body when it is not UTF-8, and a requestContext with
// the stage, ids, times and, on Cognito routes, the authorizer's claims as strings.
func (g *Gateway) Event(route Route, params map[string]string, req Request, requestID string, now time.Time) map[string]any {
	domain := fmt.Sprintf("%s.execute-api.%s.amazonaws.com", g.APIID, g.Region)
	headers := map[string]string{}
	multi := map[string][]string{}
	add := func(k, v string) {
		headers[k] = v
		multi[k] = append(multi[k], v)
	}
	names := make([]string, 0, len(req.Header))
	for k := range req.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range req.Header[k] {
			add(k, v)
		}
	}
	has := func(name string) bool {
		for k := range headers {
			if strings.EqualFold(k, name) {
				return true
			}
		}
		return false
	}
	add("Host", domain)
	if !has("User-Agent") {
		add("User-Agent", "Amazon CloudFront")
	}
	add("Via", "2.0 "+hashOf(requestID)[:32]+".cloudfront.net (CloudFront)")
	add("X-Amz-Cf-Id", base64.RawURLEncoding.EncodeToString([]byte(hashOf(requestID)[:42])))
	add("X-Amzn-Trace-Id", fmt.Sprintf("Root=1-%08x-%s", now.Unix(), hashOf(requestID)[:24]))
	add("X-Forwarded-For", "198.51.100.7, 130.176.0.1")
	add("X-Forwarded-Port", "443")
	add("X-Forwarded-Proto", "https")

	var query map[string]string
	var multiQuery map[string][]string
	if len(req.Query) > 0 {
		query, multiQuery = map[string]string{}, map[string][]string{}
		for k, vs := range req.Query {
			query[k] = vs[len(vs)-1]
			multiQuery[k] = vs
		}
	}
	ev := map[string]any{
		"resource":                        route.Path,
		"path":                            req.Path,
		"httpMethod":                      req.Method,
		"headers":                         headers,
		"multiValueHeaders":               multi,
		"queryStringParameters":           nilIfEmpty(query),
		"multiValueQueryStringParameters": nilIfEmptyMulti(multiQuery),
		"pathParameters":                  nilIfEmpty(params),
		"stageVariables":                  nil,
		"body":                            nil,
		"isBase64Encoded":                 false,
	}
	if req.Body != "" {
		if utf8.ValidString(req.Body) {
			ev["body"] = req.Body
		} else {
			ev["body"] = base64.StdEncoding.EncodeToString([]byte(req.Body))
			ev["isBase64Encoded"] = true
		}
	}
	rc := map[string]any{
		"resourceId":        hashOf(route.Method + route.Path)[:6],
		"resourcePath":      route.Path,
		"httpMethod":        req.Method,
		"extendedRequestId": base64.StdEncoding.EncodeToString([]byte(hashOf(requestID)[:12])),
		"requestTime":       now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
		"path":              "/" + g.Stage + req.Path,
		"accountId":         g.Account,
		"protocol":          "HTTP/1.1",
		"stage":             g.Stage,
		"domainPrefix":      g.APIID,
		"requestTimeEpoch":  now.UnixMilli(),
		"requestId":         requestID,
		"identity": map[string]any{
			"cognitoIdentityPoolId": nil, "accountId": nil, "cognitoIdentityId": nil, "caller": nil,
			"sourceIp": "198.51.100.7", "principalOrgId": nil, "accessKey": nil,
			"cognitoAuthenticationType": nil, "cognitoAuthenticationProvider": nil, "userArn": nil,
			"userAgent": headers["User-Agent"], "user": nil,
		},
		"domainName": domain,
		"apiId":      g.APIID,
	}
	if route.Cognito && req.User != "" {
		rc["authorizer"] = map[string]any{"claims": g.Claims(req.User, now)}
	}
	ev["requestContext"] = rc
	return ev
}

// Claims are the ID token's claims as the Cognito user pool authorizer of a REST API
// passes them: every value a string, exp and iat as dates.
func (g *Gateway) Claims(sub string, now time.Time) map[string]any {
	const cognitoDate = "Mon Jan 02 15:04:05 MST 2006"
	iat := now.Add(-5 * time.Minute).UTC()
	return map[string]any{
		"sub":              sub,
		"iss":              fmt.Sprintf("https://cognito-idp.%s.amazonaws.com/%s", g.Region, g.UserPoolID),
		"aud":              hashOf("client/" + g.UserPoolID)[:26],
		"cognito:username": "user-" + hashOf(sub)[:8],
		"email":            "user-" + hashOf(sub)[:8] + "@example.com",
		"email_verified":   "true",
		"token_use":        "id",
		"auth_time":        fmt.Sprint(iat.Unix()),
		"iat":              iat.Format(cognitoDate),
		"exp":              iat.Add(time.Hour).Format(cognitoDate),
		"event_id":         uuidOf("event/" + sub),
		"jti":              uuidOf("jti/" + sub + now.String()),
		"origin_jti":       uuidOf("origin/" + sub),
	}
}

func nilIfEmpty(m map[string]string) any {
	if len(m) == 0 {
		return nil
	}
	return m
}

func nilIfEmptyMulti(m map[string][]string) any {
	if len(m) == 0 {
		return nil
	}
	return m
}

// proxyResponse is the Lambda proxy integration's response format.
type proxyResponse struct {
	StatusCode        int                 `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

// ToResponse turns a function's answer into the HTTP response API Gateway sends, or an
// error where API Gateway would answer 502 (malformed proxy response).
func ToResponse(function string, payload []byte) (Response, error) {
	var pr proxyResponse
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	if err := dec.Decode(&pr); err != nil || pr.StatusCode < 100 || pr.StatusCode > 599 {
		return Response{}, fmt.Errorf("%s answered %q, which is not a Lambda proxy response: API Gateway would answer 502 (Malformed Lambda proxy response)", function, payload)
	}
	resp := Response{Status: pr.StatusCode, Header: map[string][]string{}, Body: []byte(pr.Body)}
	for k, v := range pr.Headers {
		resp.Header[k] = []string{v}
	}
	for k, vs := range pr.MultiValueHeaders {
		resp.Header[k] = vs
	}
	if pr.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(pr.Body)
		if err != nil {
			return Response{}, fmt.Errorf("%s answered isBase64Encoded with a body that is not base64: API Gateway would answer 502", function)
		}
		resp.Body = b
	}
	if resp.Get("Content-Type") == "" {
		resp.Header["Content-Type"] = []string{"application/json"}
	}
	return resp, nil
}

// gatewayResponse is the deployed API's own answer of a kind (UNAUTHORIZED...), rendered
// from the template's AWS::ApiGateway::GatewayResponse as API Gateway renders it: status,
// header parameters and the application/json template with $context.requestId and
// $context.error.messageString. Without one, API Gateway's default answer.
func (g *Gateway) gatewayResponse(kind string, status int, message, requestID string) Response {
	resp := Response{Status: status, Header: map[string][]string{"Content-Type": {"application/json"}}, FromGateway: true,
		Body: []byte(`{"message":"` + message + `"}`)}
	if g.responses == nil {
		return resp
	}
	props, ok := g.responses[kind]
	if !ok {
		return resp
	}
	if code, ok := props["StatusCode"].(string); ok {
		_, _ = fmt.Sscan(code, &resp.Status)
	}
	if params, ok := props["ResponseParameters"].(map[string]any); ok {
		for k, v := range params {
			name, isHeader := strings.CutPrefix(k, "gatewayresponse.header.")
			value, _ := v.(string)
			if isHeader && len(value) >= 2 && value[0] == '\'' {
				resp.Header[name] = []string{strings.Trim(value, "'")}
			}
		}
	}
	if tpls, ok := props["ResponseTemplates"].(map[string]any); ok {
		if tpl, ok := tpls["application/json"].(string); ok {
			quoted, _ := json.Marshal(message)
			tpl = strings.ReplaceAll(tpl, "$context.error.messageString", string(quoted))
			tpl = strings.ReplaceAll(tpl, "$context.requestId", requestID)
			resp.Body = []byte(tpl)
		}
	}
	return resp
}
