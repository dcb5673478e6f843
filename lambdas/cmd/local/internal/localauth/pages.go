package localauth

import (
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
)

//go:embed local.css
var css []byte

var pages = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{if .Error}}Sign-in error{{else}}Sign in{{end}} · local development</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/oauth2/local.css">
</head>
<body>
<main class="card" id="main">
<p class="tag">Local development sign-in</p>
{{if .Error}}
<h1>Sign-in cannot continue</h1>
<p class="error" role="alert">{{.Error}}</p>
{{else}}
<h1>Sign in</h1>
<p>This is the local development identity issuer, not Cognito. Type any user name: each name
is its own user, and the same name always gets the same notes.</p>
<form method="post" action="/oauth2/authorize">
{{if .Problem}}<p class="error" role="alert" id="username-error">{{.Problem}}</p>{{end}}
<label for="username">User name</label>
<input id="username" name="username" type="text" value="{{.Username}}" required autofocus
 autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="64"
 {{if .Problem}}aria-invalid="true" aria-describedby="username-error"{{end}}>
<input type="hidden" name="client_id" value="{{.Req.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.Req.RedirectURI}}">
<input type="hidden" name="response_type" value="{{.Req.ResponseType}}">
<input type="hidden" name="scope" value="{{.Req.Scope}}">
<input type="hidden" name="state" value="{{.Req.State}}">
<input type="hidden" name="nonce" value="{{.Req.Nonce}}">
<input type="hidden" name="code_challenge" value="{{.Req.Challenge}}">
<input type="hidden" name="code_challenge_method" value="{{.Req.Method}}">
<button type="submit" id="sign-in-submit">Sign in</button>
</form>
{{end}}
</main>
</body>
</html>
`))

type pageData struct {
	Req      authRequest
	Username string
	Problem  string
	Error    string
}

func setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
}

func (i *Issuer) loginPage(w http.ResponseWriter, ar authRequest, username, problem string) {
	setPageHeaders(w)
	status := http.StatusOK
	if problem != "" {
		status = http.StatusBadRequest
	}
	w.WriteHeader(status)
	_ = pages.Execute(w, pageData{Req: ar, Username: username, Problem: problem})
}

func (i *Issuer) errorPage(w http.ResponseWriter, status int, message string) {
	setPageHeaders(w)
	w.WriteHeader(status)
	_ = pages.Execute(w, pageData{Error: message})
}

func serveCSS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(css)
}

func oauthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
