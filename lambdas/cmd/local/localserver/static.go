package localserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"strings"
	"time"

	"github.com/example/notesplatform/lambdas/api"
)

// RuntimeConfig is the SPA's /config.json (the Frontend stack writes the same keys).
type RuntimeConfig struct {
	Region           string `json:"region"`
	UserPoolID       string `json:"userPoolId"`
	UserPoolClientID string `json:"userPoolClientId"`
	AuthDomain       string `json:"authDomain"`
	APIURL           string `json:"apiUrl"`
	Environment      string `json:"environment"`
	AppName          string `json:"appName"`
}

// securityHeaders sets, on every response, the headers CloudFront's response headers
// policy sets in the cloud. Inner handlers may override them (the local sign-in page sets
// its own, stricter CSP).
func securityHeaders(csp string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		next.ServeHTTP(w, r)
	})
}

// codeMisdirected is the error code of a request refused for its Host (local server only:
// behind CloudFront the API never sees a foreign Host).
const codeMisdirected api.ErrorCode = "misdirected_request"

// loopbackHostOnly refuses requests whose Host header is not a loopback name: a page on
// the internet that rebinds its DNS name to 127.0.0.1 must not reach the local API or the
// sign-in issuer. API paths get the refusal in the app's error shape.
func loopbackHostOnly(next http.Handler) http.Handler {
	const message = "The local development server answers only on loopback host names (127.0.0.1, localhost, [::1])."
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		if !isLoopbackName(host) {
			if IsAPIPath(r.URL.Path) {
				writeError(w, http.StatusMisdirectedRequest, codeMisdirected, message, newRequestID(), nil)
				return
			}
			http.Error(w, message, http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func isLoopbackName(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// spa serves the web folder: files as they are, /config.json generated per request, and
// index.html for every other extension-less path (deep links such as /notes/{id}), as
// CloudFront's SPA routing does. index.html and config.json are never cached.
type spa struct {
	root   *os.Root
	config func(r *http.Request) RuntimeConfig
}

func (s *spa) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	if p == "/config.json" {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(s.config(r))
		return
	}
	name := strings.TrimPrefix(p, "/")
	if name == "" {
		name = "index.html"
	}
	if s.serveFile(w, r, name) {
		return
	}
	if path.Ext(p) == "" {
		s.serveFile(w, r, "index.html")
		return
	}
	http.NotFound(w, r)
}

// serveFile serves one regular file of the web folder; false when there is none. Dot
// files are never served; os.Root keeps every lookup inside the folder.
func (s *spa) serveFile(w http.ResponseWriter, r *http.Request, name string) bool {
	for _, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, ".") {
			return false
		}
	}
	f, err := s.root.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	if name == "index.html" {
		w.Header().Set("Cache-Control", "no-store")
	} else {
		// Local development: always revalidate, so an edit shows on the next reload.
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, name, st.ModTime().Truncate(time.Second), f)
	return true
}

func openWebRoot(dir string) (*os.Root, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("localserver: web folder: %w", err)
	}
	if _, err := root.Stat("index.html"); errors.Is(err, fs.ErrNotExist) {
		root.Close()
		return nil, fmt.Errorf("localserver: %s has no index.html", dir)
	}
	return root, nil
}
