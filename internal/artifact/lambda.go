package artifact

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/example/notesplatform/internal/cfn"
)

// Lambda is a loopback stand-in for Lambda's Invoke API (REST, version 2015-03-31) in
// front of the emulator instances of the stage's functions. It finds the function by
// name, ARN or partial ARN, and the instance by qualifier (a published version, an
// alias, or $LATEST), invokes it and answers as Lambda does: the payload with
// X-Amz-Executed-Version, and X-Amz-Function-Error with the error payload when the
// function failed (an init failure included). Only synchronous (RequestResponse)
// invocations are served; anything else is refused with an error that names it.
type Lambda struct {
	region, account string

	mu        sync.Mutex
	functions map[string]*lambdaFunction // by function name
}

type lambdaFunction struct {
	name     string
	versions map[string]*Instance // "$LATEST", "2", ...
	aliases  map[string]string    // "live" -> "2"
}

// NewLambda returns an empty stand-in for functions in this region and account.
func NewLambda(region, account string) *Lambda {
	return &Lambda{region: region, account: account, functions: map[string]*lambdaFunction{}}
}

// Add serves a function under its deployed name: in runs $LATEST and the given
// version, and each alias points at that version.
func (l *Lambda) Add(name, version string, in *Instance, aliases ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := &lambdaFunction{name: name, versions: map[string]*Instance{"$LATEST": in, version: in}, aliases: map[string]string{}}
	for _, a := range aliases {
		f.aliases[a] = version
	}
	l.functions[name] = f
}

// Publish adds a new version of a function that in runs (a new deployment's code) and
// returns its number: one more than the highest so far, as Lambda numbers them.
func (l *Lambda) Publish(name string, in *Instance) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.functions[name]
	if f == nil {
		return "", fmt.Errorf("lambda stand-in: no function %q", name)
	}
	highest := 0
	for v := range f.versions {
		if n, err := strconv.Atoi(v); err == nil && n > highest {
			highest = n
		}
	}
	v := strconv.Itoa(highest + 1)
	f.versions[v] = in
	return v, nil
}

// ARN is the function's ARN, with ":qualifier" when qualifier is not empty.
func (l *Lambda) ARN(name, qualifier string) string {
	arn := fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", cfn.Partition(l.region), l.region, l.account, name)
	if qualifier != "" {
		arn += ":" + qualifier
	}
	return arn
}

// invocation is what an Invoke request names.
type invocation struct {
	name, qualifier string
}

var errNotInvoke = errors.New("not an Invoke request")

// parse reads POST /2015-03-31/functions/{FunctionName}/invocations?Qualifier=... The
// name may be a name, name:qualifier, an ARN (qualified or not) or account:function:name.
func parseInvoke(r *http.Request) (invocation, error) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/2015-03-31/functions/")
	if !ok || r.Method != http.MethodPost {
		return invocation{}, errNotInvoke
	}
	rest, ok = strings.CutSuffix(rest, "/invocations")
	if !ok || strings.Contains(rest, "/") {
		return invocation{}, errNotInvoke
	}
	id, err := url.PathUnescape(rest)
	if err != nil {
		return invocation{}, err
	}
	var inv invocation
	parts := strings.Split(id, ":")
	switch {
	case len(parts) >= 7 && parts[0] == "arn": // arn:aws:lambda:region:account:function:name[:qualifier]
		inv.name = parts[6]
		if len(parts) == 8 {
			inv.qualifier = parts[7]
		}
	case len(parts) >= 3 && parts[1] == "function": // account:function:name[:qualifier]
		inv.name = parts[2]
		if len(parts) == 4 {
			inv.qualifier = parts[3]
		}
	case len(parts) <= 2:
		inv.name = parts[0]
		if len(parts) == 2 {
			inv.qualifier = parts[1]
		}
	default:
		return invocation{}, fmt.Errorf("%q is not a function name or ARN", id)
	}
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		if inv.qualifier != "" && inv.qualifier != q {
			return invocation{}, fmt.Errorf("the qualifier of %q and the Qualifier parameter %q differ", id, q)
		}
		inv.qualifier = q
	}
	return inv, nil
}

// Describe names an Invoke as IAM sees it: lambda:InvokeFunction on the function's ARN,
// qualified when the request names a version or alias.
func (l *Lambda) Describe(r *http.Request, _ []byte, region, account string) (string, []string) {
	inv, err := parseInvoke(r)
	if err != nil {
		return "", nil
	}
	arn := fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", cfn.Partition(region), region, account, inv.name)
	if inv.qualifier != "" {
		arn += ":" + inv.qualifier
	}
	return "lambda:InvokeFunction", []string{arn}
}

// ServeHTTP answers Invoke.
func (l *Lambda) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	inv, err := parseInvoke(r)
	if errors.Is(err, errNotInvoke) {
		lambdaError(w, http.StatusBadRequest, "InvalidRequestContentException", fmt.Sprintf("the Lambda stand-in of the artifact tests serves only Invoke, not %s %s: add it to test/artifact/lambda.go if a function needs it", r.Method, r.URL.Path))
		return
	}
	if err != nil {
		lambdaError(w, http.StatusBadRequest, "InvalidParameterValueException", err.Error())
		return
	}
	if t := r.Header.Get("X-Amz-Invocation-Type"); t != "" && t != "RequestResponse" {
		lambdaError(w, http.StatusBadRequest, "InvalidParameterValueException", "the Lambda stand-in serves only synchronous invocations (RequestResponse), not "+t)
		return
	}
	version, in := l.find(inv)
	if in == nil {
		lambdaError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+l.ARN(inv.name, inv.qualifier))
		return
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, 6<<20+1))
	if err != nil {
		lambdaError(w, http.StatusBadRequest, "InvalidRequestContentException", err.Error())
		return
	}
	if len(payload) > 6<<20 {
		lambdaError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	out, err := in.Invoke(r.Context(), payload)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amz-Executed-Version", version)
	if err != nil {
		var se *StartError
		var fe *FunctionError
		var body map[string]string
		switch {
		case errors.As(err, &se):
			body = map[string]string{"errorType": "Runtime.ExitError", "errorMessage": "Error: " + se.Reason}
		case errors.As(err, &fe):
			body = map[string]string{"errorType": fe.Type, "errorMessage": fe.Message}
		case strings.Contains(err.Error(), "Task timed out"):
			body = map[string]string{"errorType": "Sandbox.Timedout", "errorMessage": err.Error()}
		default:
			lambdaError(w, http.StatusInternalServerError, "ServiceException", err.Error())
			return
		}
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// find returns the version an invocation runs and its instance.
func (l *Lambda) find(inv invocation) (string, *Instance) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.functions[inv.name]
	if f == nil {
		return "", nil
	}
	q := inv.qualifier
	if q == "" {
		q = "$LATEST"
	}
	if v, ok := f.aliases[q]; ok {
		q = v
	}
	return q, f.versions[q]
}

// Versions lists a function's versions, for failure messages.
func (l *Lambda) Versions(name string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	if f := l.functions[name]; f != nil {
		for v := range f.versions {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// lambdaError answers in the REST protocol's error shape.
func lambdaError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "Message": message})
}
