// Package localserver is the Docker-free local development server: one loopback HTTP
// server that serves the SPA from web/, the API under /api/... through the same route table
// and the same handlers as the deployed Lambda functions (app.Handlers), backed by a local
// dynalite, and a local OAuth 2.0 issuer (localauth) in place of Cognito managed login.
//
// It is for `go run ./lambdas/cmd/local` and the browser tests only. It refuses to listen
// on anything but a loopback address and answers only loopback host names, and no Lambda
// function depends on it (see lambdas/cmd/local's dependency test; the issuer itself is
// under lambdas/cmd/local/internal, out of the functions' reach).
package localserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/example/notesplatform/internal/repo"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/cmd/local/internal/localauth"
	"github.com/example/notesplatform/lambdas/internal/app"
)

// Options configure Start.
type Options struct {
	// Addr is the loopback host:port to listen on. Port 0 picks a free port.
	// Default: 127.0.0.1:8080.
	Addr string
	// WebDir is the folder with the SPA (index.html, csp.txt, ...). Required.
	WebDir string
	// DataDir keeps the local table between runs. Default: "" keeps it in memory only.
	DataDir string
	// AppName, Environment and Version are reported by /health and config.json.
	// Default: "Notes", "local", "dev".
	AppName, Environment, Version string
	// TableName is the local table's name. Default: "notes-local".
	TableName string
	// TokenTTL is the lifetime of local ID tokens. Default: 1 hour.
	TokenTTL time.Duration
	// Logger receives the handlers' and the server's JSON logs. Default: discard.
	Logger *slog.Logger
}

// ClientID is the OAuth client id of the SPA on the local issuer.
const ClientID = "local-notes-spa"

// Server is a running local server.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:8080.
	URL string
	// Addr is the address it listens on.
	Addr string

	issuer     *localauth.Issuer
	httpServer *http.Server
	db         *database
	done       chan error
}

// CheckLoopback returns an error unless addr's host is a loopback address (or a name
// that resolves only to loopback addresses). An empty host means every interface and is
// refused.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "" {
		return fmt.Errorf("listen address %q: binds every interface; the local server only listens on loopback (e.g. 127.0.0.1:8080)", addr)
	}
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return fmt.Errorf("listen address %q: %s is not a loopback address; the local server only listens on loopback (127.0.0.1, ::1)", addr, host)
		}
		return nil
	}
	if !strings.EqualFold(host, "localhost") {
		return fmt.Errorf("listen address %q: use 127.0.0.1, ::1 or localhost", addr)
	}
	return nil
}

// Start starts dynalite, creates the table if missing, builds the handlers and listens.
// It returns once the server accepts connections.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:8080"
	}
	if err := CheckLoopback(o.Addr); err != nil {
		return nil, err
	}
	if o.WebDir == "" {
		return nil, errors.New("localserver: WebDir is required")
	}
	o.AppName = orDefault(o.AppName, "Notes")
	o.Environment = orDefault(o.Environment, "local")
	o.Version = orDefault(o.Version, "dev")
	o.TableName = orDefault(o.TableName, "notes-local")
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	csp, err := repo.ContentSecurityPolicy(o.WebDir)
	if err != nil {
		return nil, err
	}
	root, err := openWebRoot(o.WebDir)
	if err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("localserver: %w", err)
	}
	// localhost may resolve to a non-loopback address on a misconfigured machine.
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		ln.Close()
		root.Close()
		return nil, fmt.Errorf("localserver: %s is not a loopback address", ln.Addr())
	}
	port := ln.Addr().(*net.TCPAddr).Port
	base := "http://" + ln.Addr().String()

	cleanup := func() { ln.Close(); root.Close() }
	issuer, err := localauth.New(localauth.Config{
		Issuer:   base,
		ClientID: ClientID,
		RedirectURIs: []string{
			fmt.Sprintf("http://127.0.0.1:%d/", port),
			fmt.Sprintf("http://localhost:%d/", port),
			fmt.Sprintf("http://[::1]:%d/", port),
		},
		TokenTTL: o.TokenTTL,
	})
	if err != nil {
		cleanup()
		return nil, err
	}

	db, err := startDatabase(ctx, o.DataDir, o.TableName)
	if err != nil {
		cleanup()
		return nil, err
	}
	cursorKey := make([]byte, 32)
	_, _ = rand.Read(cursorKey)
	table := api.Shipped()
	handlers := app.Handlers(app.Deps{
		Table:   table,
		AppName: o.AppName, Environment: o.Environment, Version: o.Version,
		TableName: o.TableName, DB: db.client, CursorKey: app.StaticCursorKey(cursorKey),
		Logger: o.Logger,
	})
	fns := make(map[string]Handler, len(handlers))
	for name, h := range handlers {
		fns[name] = h
	}
	gateway, err := NewGateway(table, fns, func(token string) (map[string]interface{}, error) {
		c, verr := issuer.Verify(token)
		if verr != nil {
			return nil, verr
		}
		return c.AuthorizerClaims(), nil
	}, o.Logger)
	if err != nil {
		db.stop()
		cleanup()
		return nil, err
	}

	// ServeMux cleans paths and redirects (an HTML 307 that also tells a client to re-send
	// a POST elsewhere), so the API is dispatched before it: /api/./notes is the API's 404.
	mux := http.NewServeMux()
	auth := issuer.Handler()
	mux.Handle("/oauth2/", auth)
	mux.Handle("/logout", auth)
	mux.Handle("/", &spa{root: root, config: func(r *http.Request) RuntimeConfig {
		return RuntimeConfig{
			Region: "local", UserPoolID: "local", UserPoolClientID: ClientID,
			// The issuer lives on this origin, under whichever loopback name the
			// browser used, so the SPA's token requests stay same-origin ('self').
			AuthDomain: "http://" + r.Host, APIURL: APIPrefix,
			Environment: o.Environment, AppName: o.AppName,
		}
	}})

	s := &Server{
		URL:    base,
		Addr:   ln.Addr().String(),
		issuer: issuer,
		db:     db,
		done:   make(chan error, 1),
		httpServer: &http.Server{
			Handler:           loopbackHostOnly(securityHeaders(csp, apiFirst(gateway, mux))),
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
		},
	}
	go func() {
		err := s.httpServer.Serve(ln)
		root.Close()
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s, nil
}

// IDToken signs in a user without the browser (for tests): a valid ID token for name.
func (s *Server) IDToken(name string) (string, error) {
	return s.issuer.IDToken(name, "")
}

// Done is closed-with-a-value when the HTTP server stops.
func (s *Server) Done() <-chan error { return s.done }

// Close stops the HTTP server (letting requests in flight finish for up to 5 seconds) and
// then dynalite.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.httpServer.Shutdown(ctx)
	return errors.Join(err, s.db.stop())
}

// apiFirst sends API paths (IsAPIPath, on the path as given) to the gateway and the rest
// to next.
func apiFirst(gateway, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsAPIPath(r.URL.Path) {
			gateway.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}
