// Package api is the single description of the HTTP API: which functions exist, which
// routes they serve, who may call them, what they may do to the table and what request
// bodies look like. The Backend stack, the local dev server and the tests all read it, so
// adding an endpoint is a handler plus one line in Routes.
package api

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Auth says who may call a route.
type Auth string

const (
	// Public routes need no token (only /health).
	Public Auth = "public"
	// User routes need a valid Cognito ID token; the caller is its `sub` claim.
	User Auth = "user"
)

// Access is what a function may do to the application table; the Backend stack grants
// exactly this and no more.
type Access string

const (
	// NoTable functions get no table permission and no TABLE_NAME.
	NoTable Access = "none"
	// ReadTable functions may only read (GetItem, Query).
	ReadTable Access = "read"
	// ReadWriteTable functions may read and write items.
	ReadWriteTable Access = "readwrite"
)

// Function is one Lambda function: one folder with a thin main package.
type Function struct {
	// Name is the construct id and the handler key of the local server. Stable: renaming
	// it replaces the function.
	Name string
	// Package is the Go package directory relative to the module root.
	Package string
	// Access is the function's table permission.
	Access Access
	// CursorKey is true when the function signs or checks list cursors and so needs the
	// cursor-signing secret.
	CursorKey bool
	// MemoryMB is the function's memory size. Default: 256 when zero.
	MemoryMB int
	// Description is shown in the Lambda console.
	Description string
}

// Route maps one method and path to a function.
type Route struct {
	// Method is an upper-case HTTP method.
	Method string
	// Path uses API Gateway syntax ({id}), which is also Go's http.ServeMux syntax.
	Path string
	// Function names an entry of Functions.
	Function string
	// Auth says who may call it.
	Auth Auth
	// Model names an entry of Models that the request body must satisfy. Default: no body.
	Model string
	// Query lists the query-string parameters the route accepts.
	Query []string
}

// Environment variables that the Backend stack sets and the functions read.
const (
	EnvAppName         = "APP_NAME"
	EnvEnvironment     = "ENV_NAME"
	EnvBuildVersion    = "BUILD_VERSION"
	EnvTableName       = "TABLE_NAME"
	EnvCursorSecretArn = "CURSOR_SECRET_ARN"
)

// Table key schema shared by the Data stack and the domain code.
const (
	TablePartitionKey = "pk"
	TableSortKey      = "sk"
	TableTTLAttribute = "expiresAt"
)

// Functions lists every Lambda function of the API.
var Functions = []Function{
	{Name: "Health", Package: "lambdas/health", Access: NoTable, MemoryMB: 128,
		Description: "Public liveness check: app, environment and build version"},
	{Name: "NotesRead", Package: "lambdas/notesread", Access: ReadTable, CursorKey: true,
		Description: "Lists and reads the caller's notes"},
	{Name: "NotesWrite", Package: "lambdas/noteswrite", Access: ReadWriteTable,
		Description: "Creates, updates and deletes the caller's notes"},
}

// Routes is the route table: method + path -> function and auth.
var Routes = []Route{
	{Method: "GET", Path: "/health", Function: "Health", Auth: Public},
	{Method: "POST", Path: "/notes", Function: "NotesWrite", Auth: User, Model: "NoteInput"},
	{Method: "GET", Path: "/notes", Function: "NotesRead", Auth: User, Query: []string{"limit", "cursor", "tag"}},
	{Method: "GET", Path: "/notes/{id}", Function: "NotesRead", Auth: User},
	{Method: "PUT", Path: "/notes/{id}", Function: "NotesWrite", Auth: User, Model: "NoteInput"},
	{Method: "DELETE", Path: "/notes/{id}", Function: "NotesWrite", Auth: User},
}

// Limits of a note, enforced by the gateway model and again by the domain code.
const (
	MaxTitleChars   = 200
	MaxBodyBytes    = 10 * 1024
	MaxTags         = 10
	MaxTagChars     = 32
	TagPattern      = `^[a-z0-9][a-z0-9_-]*$`
	MaxRequestBytes = 16 * 1024
)

// Schema is the subset of JSON Schema draft-04 that API Gateway request models use.
type Schema struct {
	Type                 string
	Properties           map[string]*Schema
	Required             []string
	AdditionalProperties bool
	MinLength            int
	MaxLength            int
	Pattern              string
	MaxItems             int
	UniqueItems          bool
	Items                *Schema
}

// Models are the request body schemas, by name.
var Models = map[string]*Schema{
	"NoteInput": {
		Type:     "object",
		Required: []string{"title"},
		Properties: map[string]*Schema{
			"title": {Type: "string", MinLength: 1, MaxLength: MaxTitleChars},
			"body":  {Type: "string", MaxLength: MaxBodyBytes},
			"tags": {Type: "array", MaxItems: MaxTags, UniqueItems: true,
				Items: &Schema{Type: "string", MinLength: 1, MaxLength: MaxTagChars, Pattern: TagPattern}},
		},
	},
}

// FunctionByName returns the function with that name.
func FunctionByName(name string) (Function, bool) {
	i := slices.IndexFunc(Functions, func(f Function) bool { return f.Name == name })
	if i < 0 {
		return Function{}, false
	}
	return Functions[i], true
}

// RoutesOf returns the routes a function serves.
func RoutesOf(function string) []Route {
	var out []Route
	for _, r := range Routes {
		if r.Function == function {
			out = append(out, r)
		}
	}
	return out
}

var (
	namePattern = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
	pathPattern = regexp.MustCompile(`^(/([a-z0-9-]+|\{[a-z][A-Za-z0-9]*\}))+$`)
	methods     = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
)

// Validate checks that the table is consistent, so a typo in a new line fails the tests
// and synth instead of deploying a broken API.
func Validate() error {
	return validate(Functions, Routes, Models)
}

func validate(functions []Function, routes []Route, models map[string]*Schema) error {
	var errs []error
	names := map[string]bool{}
	for _, f := range functions {
		if !namePattern.MatchString(f.Name) {
			errs = append(errs, fmt.Errorf("function name %q: must match %s", f.Name, namePattern))
		}
		if names[f.Name] {
			errs = append(errs, fmt.Errorf("function name %q: used twice", f.Name))
		}
		names[f.Name] = true
		if !strings.HasPrefix(f.Package, "lambdas/") {
			errs = append(errs, fmt.Errorf("function %s: package %q must be under lambdas/", f.Name, f.Package))
		}
		if !slices.Contains([]Access{NoTable, ReadTable, ReadWriteTable}, f.Access) {
			errs = append(errs, fmt.Errorf("function %s: access %q: allowed are none, read, readwrite", f.Name, f.Access))
		}
		if f.MemoryMB != 0 && (f.MemoryMB < 128 || f.MemoryMB > 10240) {
			errs = append(errs, fmt.Errorf("function %s: memory %d MB: allowed is 128..10240", f.Name, f.MemoryMB))
		}
	}
	seen := map[string]bool{}
	used := map[string]bool{}
	for _, r := range routes {
		key := r.Method + " " + r.Path
		if seen[key] {
			errs = append(errs, fmt.Errorf("route %s: listed twice", key))
		}
		seen[key] = true
		if !slices.Contains(methods, r.Method) {
			errs = append(errs, fmt.Errorf("route %s: method %q: allowed are %v", key, r.Method, methods))
		}
		if !pathPattern.MatchString(r.Path) {
			errs = append(errs, fmt.Errorf("route %s: path %q: must be /segments of a-z0-9- or {param}", key, r.Path))
		}
		if !names[r.Function] {
			errs = append(errs, fmt.Errorf("route %s: function %q is not in Functions", key, r.Function))
		}
		used[r.Function] = true
		if r.Auth != Public && r.Auth != User {
			errs = append(errs, fmt.Errorf("route %s: auth %q: allowed are public, user", key, r.Auth))
		}
		if r.Model != "" && models[r.Model] == nil {
			errs = append(errs, fmt.Errorf("route %s: model %q is not in Models", key, r.Model))
		}
	}
	for _, f := range functions {
		if !used[f.Name] {
			errs = append(errs, fmt.Errorf("function %s: serves no route", f.Name))
		}
	}
	return errors.Join(errs...)
}

// GatewayError is an answer that API Gateway gives by itself, before any function runs
// (no or bad token, unknown path, throttling, a body that fails its model...). The
// Backend stack renders each in the app's one error shape, {"error": {"code", "message",
// "requestId"}}, and the local server answers the same, so clients see one shape.
type GatewayError struct {
	// Status replaces API Gateway's status. Default: API Gateway's own when zero.
	Status int
	// Code is the error code, one of the codes the functions use where one fits.
	Code string
}

// GatewayErrors are keyed by API Gateway response type.
var GatewayErrors = map[string]GatewayError{
	"DEFAULT_4XX":                  {Code: "bad_request"},
	"DEFAULT_5XX":                  {Code: "internal_error"},
	"UNAUTHORIZED":                 {Status: 401, Code: "unauthorized"},
	"ACCESS_DENIED":                {Status: 403, Code: "forbidden"},
	"MISSING_AUTHENTICATION_TOKEN": {Status: 404, Code: "not_found"}, // unknown path or method
	"THROTTLED":                    {Status: 429, Code: "throttled"},
	"REQUEST_TOO_LARGE":            {Status: 413, Code: "payload_too_large"},
	"UNSUPPORTED_MEDIA_TYPE":       {Status: 415, Code: "unsupported_media_type"},
	"BAD_REQUEST_BODY":             {Status: 400, Code: "validation_failed"},
}
