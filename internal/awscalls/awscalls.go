// Package awscalls records the AWS API calls that functions make in tests. A Recorder is a
// loopback HTTP endpoint that the functions' SDK clients are pointed at
// (AWS_ENDPOINT_URL_<SERVICE>); it notes every request (who signed it, the service, the IAM
// action and the resource ARNs it names) and hands it on to a local stand-in of that
// service, such as dynalite for DynamoDB. The calls can then be checked against the
// functions' IAM policies: what the code really does, not what we think it does.
//
// The AWS JSON protocol (X-Amz-Target, JSON body) is understood: DynamoDB, Secrets
// Manager, KMS, CloudWatch Logs, CodeDeploy and most newer services speak it. A stand-in
// for a REST service (Lambda's Invoke) names the action and resources itself by
// implementing Describer.
package awscalls

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Call is one AWS API request as the service received it.
type Call struct {
	// Principal is the name registered for the access key that signed the request (for
	// example the function's name); empty for an unknown or missing key.
	Principal string
	// AccessKeyID is the key id from the SigV4 credential scope.
	AccessKeyID string
	// Service is the SigV4 signing name (dynamodb, secretsmanager), which is also the IAM
	// service prefix for the JSON-protocol services.
	Service string
	// Region is the region from the SigV4 credential scope.
	Region string
	// Action is the IAM action, e.g. "dynamodb:GetItem".
	Action string
	// Resources are the ARNs the request names (a table, an index, a secret); "*" when it
	// names none (e.g. dynamodb:ListTables).
	Resources []string
	// Status is the HTTP status of the answer.
	Status int
	// ErrorType is the AWS error code (__type) of an error answer, e.g.
	// ConditionalCheckFailedException; empty on success.
	ErrorType string
	// Time is when the request arrived.
	Time time.Time
}

// String renders a call for failure messages.
func (c Call) String() string {
	s := fmt.Sprintf("%s: %s on %s -> %d", cmp.Or(c.Principal, "unknown caller "+c.AccessKeyID), c.Action, strings.Join(c.Resources, ", "), c.Status)
	if c.ErrorType != "" {
		s += " " + c.ErrorType
	}
	return s
}

// Describer is implemented by a stand-in that knows a request's IAM action or resources
// better than the JSON protocol does: a REST service, whose action is in the method and
// path, or a service whose request names a resource only the stand-in can map to an ARN
// (a CodeDeploy deployment id to its deployment group). Empty results keep the
// recorder's own.
type Describer interface {
	Describe(r *http.Request, body []byte, region, account string) (action string, resources []string)
}

// Recorder is an http.Handler that records each call and forwards it to the stand-in
// registered for its service. Requests signed with an unregistered key are refused with
// 403 UnrecognizedClientException (as AWS refuses unknown keys); requests for a service
// without a stand-in get 400 with an error that names the service and action, so a
// function calling something nobody planned for fails loudly instead of reaching AWS.
type Recorder struct {
	account string

	mu         sync.Mutex
	calls      []Call
	principals map[string]string
	services   map[string]http.Handler
}

// New returns a Recorder that builds ARNs in this account (12 digits).
func New(account string) *Recorder {
	return &Recorder{account: account, principals: map[string]string{}, services: map[string]http.Handler{}}
}

// Principal registers the name of whoever signs with this access key id.
func (r *Recorder) Principal(accessKeyID, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.principals[accessKeyID] = name
}

// Service registers the stand-in that answers calls signed for this service name.
func (r *Recorder) Service(signingName string, h http.Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.services[signingName] = h
}

// Forward registers a stand-in reached over HTTP, such as dynalite at its endpoint URL.
func (r *Recorder) Forward(signingName, endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("awscalls: endpoint %q of %s: want an absolute http URL", endpoint, signingName)
	}
	r.Service(signingName, httputil.NewSingleHostReverseProxy(u))
	return nil
}

// Calls returns a copy of every call recorded so far, in arrival order.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// CallsBy returns the calls signed by one principal.
func (r *Recorder) CallsBy(principal string) []Call {
	var out []Call
	for _, c := range r.Calls() {
		if c.Principal == principal {
			out = append(out, c)
		}
	}
	return out
}

var credentialScope = regexp.MustCompile(`Credential=([^/,\s]+)/[0-9]{8}/([^/,\s]+)/([^/,\s]+)/aws4_request`)

// ServeHTTP records the call and answers it through the service's stand-in.
func (r *Recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 32<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	c := Call{Time: time.Now()}
	if m := credentialScope.FindStringSubmatch(req.Header.Get("Authorization")); m != nil {
		c.AccessKeyID, c.Region, c.Service = m[1], m[2], m[3]
	}
	if target := req.Header.Get("X-Amz-Target"); target != "" {
		op := target[strings.LastIndexByte(target, '.')+1:]
		c.Action = c.Service + ":" + op
	}
	c.Resources = resources(c.Service, c.Region, r.account, c.Action, body)

	r.mu.Lock()
	c.Principal = r.principals[c.AccessKeyID]
	upstream := r.services[c.Service]
	r.mu.Unlock()
	if d, ok := upstream.(Describer); ok {
		action, res := d.Describe(req, body, c.Region, r.account)
		if action != "" {
			c.Action = action
		}
		if len(res) > 0 {
			c.Resources = res
		}
	}

	rec := &recordingWriter{ResponseWriter: w, status: http.StatusOK}
	switch {
	case c.AccessKeyID == "":
		awsError(rec, http.StatusForbidden, "MissingAuthenticationTokenException", "awscalls: the request is not signed with SigV4")
	case c.Principal == "":
		awsError(rec, http.StatusForbidden, "UnrecognizedClientException", "awscalls: access key "+c.AccessKeyID+" is not registered: the security token included in the request is invalid")
	case upstream == nil:
		awsError(rec, http.StatusBadRequest, "NotEmulated", fmt.Sprintf("awscalls: %s called %s, and there is no local stand-in for service %q: add one to the test harness or do not call it", c.Principal, cmp.Or(c.Action, req.Method+" "+req.URL.Path), c.Service))
	default:
		upstream.ServeHTTP(rec, req)
	}
	c.Status = rec.status
	if rec.status >= 400 {
		c.ErrorType = errorType(rec.body.Bytes())
		if et := rec.Header().Get("X-Amzn-ErrorType"); et != "" { // REST services: "Code:url"
			c.ErrorType, _, _ = strings.Cut(et, ":")
		}
	}
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
}

// resources returns the ARNs a JSON-protocol request names.
func resources(service, region, account, action string, body []byte) []string {
	var in map[string]any
	_ = json.Unmarshal(body, &in)
	var out []string
	switch service {
	case "dynamodb":
		table := func(name string) string {
			if strings.HasPrefix(name, "arn:") {
				return name
			}
			return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", region, account, name)
		}
		if name, ok := in["TableName"].(string); ok {
			arn := table(name)
			if index, ok := in["IndexName"].(string); ok {
				arn += "/index/" + index
			}
			out = append(out, arn)
		}
		if items, ok := in["RequestItems"].(map[string]any); ok { // BatchGetItem, BatchWriteItem
			for name := range items {
				out = append(out, table(name))
			}
		}
		if items, ok := in["TransactItems"].([]any); ok {
			for _, it := range items {
				m, _ := it.(map[string]any)
				for _, op := range m {
					if o, ok := op.(map[string]any); ok {
						if name, ok := o["TableName"].(string); ok {
							out = append(out, table(name))
						}
					}
				}
			}
		}
	case "secretsmanager":
		if id, ok := in["SecretId"].(string); ok {
			if !strings.HasPrefix(id, "arn:") {
				id = fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s", region, account, id)
			}
			out = append(out, id)
		}
	case "kms":
		if id, ok := in["KeyId"].(string); ok {
			if !strings.HasPrefix(id, "arn:") {
				id = fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region, account, id)
			}
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return []string{"*"}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func errorType(body []byte) string {
	var e struct {
		Type string `json:"__type"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "unparsed error body"
	}
	// "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException" -> the code.
	return e.Type[strings.LastIndexByte(e.Type, '#')+1:]
}

// awsError answers in the AWS JSON protocol's error shape.
func awsError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"__type": code, "message": message})
	_, _ = w.Write(b)
}

type recordingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *recordingWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if w.status >= 400 && w.body.Len() < 64<<10 {
		w.body.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

// Flush lets the reverse proxy stream.
func (w *recordingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
