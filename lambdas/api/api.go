// Package api is the single description of the HTTP API: which functions exist, which
// routes they serve, who may call them, what they may do to the table, what request
// bodies look like, and how errors and 405 answers are rendered. The Backend stack, the
// Lambda router, the local dev server and the tests all read it, so adding an endpoint is
// a handler plus one line in Routes.
package api

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

// Method is an upper-case HTTP method that a route serves.
type Method string

// The methods a route may serve (API Gateway REST APIs also know HEAD, OPTIONS and ANY;
// the route table does not use them).
const (
	MethodGet    Method = "GET"
	MethodPost   Method = "POST"
	MethodPut    Method = "PUT"
	MethodPatch  Method = "PATCH"
	MethodDelete Method = "DELETE"
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
	// Method is the HTTP method.
	Method Method
	// Path uses API Gateway syntax: /segments, with {param} for a path parameter.
	Path string
	// Function names an entry of the table's Functions.
	Function string
	// Auth says who may call it.
	Auth Auth
	// Model names an entry of the table's Models that the request body must satisfy.
	// Default: no body.
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

// Functions lists every Lambda function of the shipped API.
var Functions = []Function{
	{Name: "Health", Package: "lambdas/health", Access: NoTable, MemoryMB: 128,
		Description: "Public liveness check: app, environment and build version"},
	{Name: "NotesRead", Package: "lambdas/notesread", Access: ReadTable, CursorKey: true,
		Description: "Lists and reads the caller's notes"},
	{Name: "NotesWrite", Package: "lambdas/noteswrite", Access: ReadWriteTable,
		Description: "Creates, updates and deletes the caller's notes"},
}

// Routes is the shipped route table: method + path -> function and auth.
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

// Response size limits.
const (
	// MaxLambdaResponseBytes is Lambda's limit on the response payload of a synchronous
	// invocation (6 MiB; Lambda reports a larger one as "exceeded maximum allowed payload
	// size (6291456 bytes)" and API Gateway answers 502). It counts the whole proxy
	// response JSON, in which the body is a JSON string: escaped a second time.
	MaxLambdaResponseBytes = 6 * 1024 * 1024
	// ListPageBudgetBytes bounds a list page: its items, measured as they appear in the
	// proxy response (their JSON escaped again as part of the body string), stop before
	// they pass it, and the page ends with a cursor. A third of MaxLambdaResponseBytes:
	// the rest of the response (status, headers, the envelope, nextCursor) is under 2 KB,
	// so the margin covers any miscount, and no ordinary page is ever cut (a page of 100
	// notes of 10 KiB of plain text is about 1 MiB). Notes at every limit, written in the
	// characters that grow most (quotes and U+2028), are about 33 KB each in the proxy
	// response: about 60 fit in a page.
	ListPageBudgetBytes = 2 * 1024 * 1024
)

// SchemaType is a JSON Schema primitive type.
type SchemaType string

// The schema types the models use.
const (
	TypeObject SchemaType = "object"
	TypeArray  SchemaType = "array"
	TypeString SchemaType = "string"
)

// Schema is the subset of JSON Schema draft-04 that API Gateway request models use.
type Schema struct {
	Type                 SchemaType
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

// Models are the shipped request body schemas, by name.
var Models = map[string]*Schema{
	"NoteInput": {
		Type:     TypeObject,
		Required: []string{"title"},
		Properties: map[string]*Schema{
			"title": {Type: TypeString, MinLength: 1, MaxLength: MaxTitleChars},
			"body":  {Type: TypeString, MaxLength: MaxBodyBytes},
			"tags": {Type: TypeArray, MaxItems: MaxTags, UniqueItems: true,
				Items: &Schema{Type: TypeString, MinLength: 1, MaxLength: MaxTagChars, Pattern: TagPattern}},
		},
	},
}

// GatewayResponseType is an API Gateway gateway response type: a kind of answer that
// API Gateway gives by itself, before any function runs.
type GatewayResponseType string

// The gateway response types the API renders in its own error shape.
const (
	GatewayDefault4xx       GatewayResponseType = "DEFAULT_4XX"
	GatewayDefault5xx       GatewayResponseType = "DEFAULT_5XX"
	GatewayUnauthorized     GatewayResponseType = "UNAUTHORIZED"
	GatewayAccessDenied     GatewayResponseType = "ACCESS_DENIED"
	GatewayMissingAuthToken GatewayResponseType = "MISSING_AUTHENTICATION_TOKEN"
	GatewayThrottled        GatewayResponseType = "THROTTLED"
	GatewayRequestTooLarge  GatewayResponseType = "REQUEST_TOO_LARGE"
	GatewayUnsupportedMedia GatewayResponseType = "UNSUPPORTED_MEDIA_TYPE"
	GatewayBadRequestBody   GatewayResponseType = "BAD_REQUEST_BODY"
	// GatewayIntegrationTimeout: the function did not answer within API Gateway's
	// integration timeout (29 s; the functions answer long before, see httpapi's
	// deadline).
	GatewayIntegrationTimeout GatewayResponseType = "INTEGRATION_TIMEOUT"
	// GatewayIntegrationFailure: Lambda refused the invocation, for example because the
	// function's or the account's concurrency is exhausted (Lambda throttling). A function
	// that runs and fails (an error, a crash, Lambda's own timeout, a malformed response)
	// is DEFAULT_5XX's 502 instead.
	GatewayIntegrationFailure GatewayResponseType = "INTEGRATION_FAILURE"
)

// GatewayError is how the API answers one gateway response type (no or bad token,
// unknown path, throttling, a body that fails its model...). The Backend stack renders
// each with ErrorJSON and the local server with ErrorBody, so clients see one shape.
type GatewayError struct {
	// Status replaces API Gateway's status. Default: API Gateway's own when zero.
	Status int
	// Code is the error code, one of the codes the functions use where one fits.
	Code ErrorCode
}

// GatewayErrors are keyed by API Gateway response type.
var GatewayErrors = map[GatewayResponseType]GatewayError{
	GatewayDefault4xx:       {Code: CodeBadRequest},
	GatewayDefault5xx:       {Code: CodeInternal},
	GatewayUnauthorized:     {Status: 401, Code: CodeUnauthorized},
	GatewayAccessDenied:     {Status: 403, Code: CodeForbidden},
	GatewayMissingAuthToken: {Status: 404, Code: CodeNotFound}, // unknown path (and the stage root)
	GatewayThrottled:        {Status: 429, Code: CodeThrottled},
	GatewayRequestTooLarge:  {Status: 413, Code: CodePayloadTooLarge},
	GatewayUnsupportedMedia: {Status: 415, Code: CodeUnsupportedMedia},
	GatewayBadRequestBody:   {Status: 400, Code: CodeValidation},
	// API Gateway's own status for these is 504 for both: a refused invocation is a
	// dependency that is unavailable, not a timeout.
	GatewayIntegrationTimeout: {Status: 504, Code: CodeTimeout},
	GatewayIntegrationFailure: {Status: 503, Code: CodeUnavailable},
}

// GatewayRetryable reports whether an answer the gateway gives itself, with the status it
// ends up with, invites a retry: throttling (429) and every 5xx. Such answers carry
// Retry-After: RetryAfterSeconds, from the deployed API (constructs/restapi, Props.RetryAfter)
// and from the local server alike.
func GatewayRetryable(status int) bool { return status == 429 || status >= 500 }
