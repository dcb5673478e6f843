package app

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/httpapi"
	"github.com/example/notesplatform/lambdas/internal/notes"
	"github.com/example/notesplatform/lambdas/internal/store"
)

// errNotConfigured is returned (as a 500) when a function is invoked without the
// dependencies it needs, for example a notes route wired to the Health deployment.
var errNotConfigured = errors.New("app: function invoked without a DB or table name")

// notesRead builds the NotesRead handlers. They hold only a notes.Reader over a
// store.ReadStore over a store.Reader, so this code path cannot write to the table.
func notesRead(d Deps) map[string]httpapi.HandlerFunc {
	key := notes.KeyFunc(d.CursorKey)
	if key == nil {
		key = func(context.Context) ([]byte, error) { return nil, errors.New("no cursor key configured") }
	}
	var r *notes.Reader
	switch {
	case d.Store != nil:
		r = notes.NewReader(d.Store, key)
	case d.DB != nil && d.TableName != "":
		r = notes.NewReader(store.NewReader(d.DB, d.TableName), key)
	}
	return readHandlers(r)
}

// readHandlers binds the read routes to a notes.Reader (nil: not configured).
func readHandlers(r *notes.Reader) map[string]httpapi.HandlerFunc {
	return map[string]httpapi.HandlerFunc{
		"GET /notes": func(ctx context.Context, req *httpapi.Request) (events.APIGatewayProxyResponse, error) {
			if r == nil {
				return events.APIGatewayProxyResponse{}, errNotConfigured
			}
			p := notes.ListParams{}
			if v, ok := req.Query("limit"); ok {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > notes.MaxLimit || strings.TrimSpace(v) != v {
					return events.APIGatewayProxyResponse{}, httpapi.Validation("limit: must be an integer from 1 to %d", notes.MaxLimit)
				}
				p.Limit = n
			}
			if v, ok := req.Query("cursor"); ok {
				if v == "" {
					return events.APIGatewayProxyResponse{}, httpapi.BadRequest("cursor: must not be empty")
				}
				p.Cursor = v
			}
			if v, ok := req.Query("tag"); ok {
				if v == "" {
					return events.APIGatewayProxyResponse{}, httpapi.Validation("tag: must not be empty")
				}
				p.Tag = v
			}
			page, err := r.List(ctx, req.Caller, p)
			if err != nil {
				return events.APIGatewayProxyResponse{}, domainError(err)
			}
			return httpapi.JSON(http.StatusOK, page, nil), nil
		},
		"GET /notes/{id}": func(ctx context.Context, req *httpapi.Request) (events.APIGatewayProxyResponse, error) {
			if r == nil {
				return events.APIGatewayProxyResponse{}, errNotConfigured
			}
			n, err := r.Get(ctx, req.Caller, req.Params["id"])
			if err != nil {
				return events.APIGatewayProxyResponse{}, domainError(err)
			}
			return noteResponse(http.StatusOK, n, nil), nil
		},
	}
}

// notesWrite builds the NotesWrite handlers.
func notesWrite(d Deps) map[string]httpapi.HandlerFunc {
	var w *notes.Writer
	switch {
	case d.Store != nil:
		w = notes.NewWriter(d.Store, d.Now, d.Logger)
	case d.DB != nil && d.TableName != "":
		w = notes.NewWriter(store.New(d.DB, d.TableName), d.Now, d.Logger)
	}
	return writeHandlers(w)
}

// writeHandlers binds the write routes to a notes.Writer (nil: not configured).
func writeHandlers(w *notes.Writer) map[string]httpapi.HandlerFunc {
	return map[string]httpapi.HandlerFunc{
		"POST /notes": func(ctx context.Context, req *httpapi.Request) (events.APIGatewayProxyResponse, error) {
			if w == nil {
				return events.APIGatewayProxyResponse{}, errNotConfigured
			}
			key, hasKey := req.Header("Idempotency-Key")
			if hasKey && !notes.ValidIdempotencyKey(key) {
				return events.APIGatewayProxyResponse{}, httpapi.BadRequest(
					"Idempotency-Key must be 1 to %d visible ASCII characters", notes.MaxIdempotencyKeyLen)
			}
			in, err := decodeInput(req.Body)
			if err != nil {
				return events.APIGatewayProxyResponse{}, err
			}
			n, replayed, err := w.Create(ctx, req.Caller, in, key)
			if err != nil {
				return events.APIGatewayProxyResponse{}, domainError(err)
			}
			h := map[string]string{"Location": basePath(req.Event) + "/notes/" + n.ID}
			if replayed {
				h["Idempotent-Replayed"] = "true"
			}
			return noteResponse(http.StatusCreated, n, h), nil
		},
		"PUT /notes/{id}": func(ctx context.Context, req *httpapi.Request) (events.APIGatewayProxyResponse, error) {
			if w == nil {
				return events.APIGatewayProxyResponse{}, errNotConfigured
			}
			ifMatch, ok := req.Header("If-Match")
			if !ok {
				return events.APIGatewayProxyResponse{}, httpapi.Errorf(http.StatusPreconditionRequired,
					api.CodePreconditionRequired, "If-Match is required: send the ETag from GET /notes/{id}")
			}
			version, perr := parseIfMatch(ifMatch)
			if perr != nil {
				return events.APIGatewayProxyResponse{}, perr
			}
			in, err := decodeInput(req.Body)
			if err != nil {
				return events.APIGatewayProxyResponse{}, err
			}
			n, err := w.Update(ctx, req.Caller, req.Params["id"], in, version)
			if err != nil {
				return events.APIGatewayProxyResponse{}, domainError(err)
			}
			return noteResponse(http.StatusOK, n, nil), nil
		},
		"DELETE /notes/{id}": func(ctx context.Context, req *httpapi.Request) (events.APIGatewayProxyResponse, error) {
			if w == nil {
				return events.APIGatewayProxyResponse{}, errNotConfigured
			}
			if err := w.Delete(ctx, req.Caller, req.Params["id"]); err != nil {
				return events.APIGatewayProxyResponse{}, domainError(err)
			}
			return httpapi.NoContent(), nil
		},
	}
}

// decodeInput reads the wire form of api.Models["NoteInput"].
func decodeInput(body []byte) (notes.Input, error) {
	var in notes.Input
	if e := httpapi.DecodeObject(body,
		httpapi.Field{Name: "title", Into: &in.Title, Required: true},
		httpapi.Field{Name: "body", Into: &in.Body},
		httpapi.Field{Name: "tags", Into: &in.Tags},
	); e != nil {
		return notes.Input{}, e
	}
	return in, nil
}

// parseIfMatch reads an If-Match header: "*" (any version, returned as 0) or one strong
// ETag as sent by GET ("3"). Weak tags never match (RFC 9110 uses strong comparison).
func parseIfMatch(v string) (int64, *httpapi.Error) {
	v = strings.TrimSpace(v)
	if v == "*" {
		return 0, nil
	}
	if strings.HasPrefix(v, "W/") {
		return 0, httpapi.Errorf(http.StatusPreconditionFailed, api.CodePreconditionFailed,
			"weak ETags never match If-Match; send the ETag from GET /notes/{id}")
	}
	if len(v) >= 3 && v[0] == '"' && v[len(v)-1] == '"' {
		if n, err := strconv.ParseInt(v[1:len(v)-1], 10, 64); err == nil && n > 0 {
			return n, nil
		}
	}
	return 0, httpapi.BadRequest(`If-Match must be an ETag from GET /notes/{id}, such as "3", or *`)
}

// basePath is the part of the public path before the route: "/api" behind API Gateway's
// "api" stage (which CloudFront forwards unchanged), "" when the caller gives no
// request-context path (local server, tests). Location headers are built on it.
func basePath(ev *events.APIGatewayProxyRequest) string {
	full := ev.RequestContext.Path
	if full == "" || ev.Path == "" || !strings.HasSuffix(full, ev.Path) {
		return ""
	}
	prefix := strings.TrimSuffix(full, ev.Path)
	if !strings.HasPrefix(prefix, "/") || strings.ContainsAny(prefix, "\r\n") || len(prefix) > 64 {
		return ""
	}
	return prefix
}

func noteResponse(status int, n notes.Note, h map[string]string) events.APIGatewayProxyResponse {
	if h == nil {
		h = make(map[string]string, 1)
	}
	h["ETag"] = n.ETag()
	return httpapi.JSON(status, n, h)
}

// domainError maps domain errors to client errors. Anything it does not know stays a Go
// error, which the router turns into a 503 or 504 when it is a dependency's failure
// (throttling, a 5xx, the deadline) and otherwise logs and reports as a 500 without
// details.
func domainError(err error) error {
	var ve *notes.ValidationError
	switch {
	case errors.As(err, &ve):
		return httpapi.Validation("%s", ve.Error())
	case errors.Is(err, notes.ErrNotFound):
		return httpapi.NotFound()
	case errors.Is(err, notes.ErrVersionMismatch):
		e := httpapi.Errorf(http.StatusPreconditionFailed, api.CodePreconditionFailed,
			"the note has changed since that version; GET it again and retry")
		var mismatch *notes.VersionMismatchError
		if errors.As(err, &mismatch) {
			// The current version, so a client whose update's answer was lost can tell
			// whether the note now holds its update.
			e.Header = map[string]string{"ETag": mismatch.Current.ETag()}
		}
		return e
	case errors.Is(err, notes.ErrKeyReused):
		return httpapi.Errorf(http.StatusUnprocessableEntity, api.CodeUnprocessable,
			"this Idempotency-Key was already used with a different request")
	case errors.Is(err, notes.ErrInProgress):
		e := httpapi.Errorf(http.StatusConflict, api.CodeConflict,
			"a request with this Idempotency-Key is still in progress; retry later")
		retryAfter := time.Duration(api.RetryAfterSeconds) * time.Second
		var busy *notes.InProgressError
		if errors.As(err, &busy) {
			retryAfter = busy.RetryAfter // until the other attempt's deadline
		}
		e.Header = map[string]string{"Retry-After": httpapi.RetryAfter(retryAfter)}
		return e
	case errors.Is(err, notes.ErrInvalidCursor):
		return httpapi.BadRequest("cursor is not valid for this caller and query")
	}
	return err
}
