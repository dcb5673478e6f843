package apigateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/example/notesplatform/lambdas/api"
)

// Response is an answer of the API as its client receives it.
type Response struct {
	Status int
	// Header keys are canonical (API Gateway sends the function's spelling; HTTP names
	// are case-insensitive).
	Header http.Header
	Body   []byte
	// FromGateway is true for answers API Gateway gives by itself (no function ran).
	FromGateway bool
}

// Get returns the first value of a header, case-insensitively.
func (r Response) Get(name string) string { return r.Header.Get(name) }

// Write sends r to w, in place of any header of the same name already set on w.
func (r Response) Write(w http.ResponseWriter) {
	h := w.Header()
	for k, vs := range r.Header {
		h[k] = vs
	}
	h.Set("Content-Length", strconv.Itoa(len(r.Body)))
	w.WriteHeader(r.Status)
	_, _ = w.Write(r.Body)
}

// ResponsePayload encodes a proxy response as a Go function's runtime (aws-lambda-go)
// hands it to Lambda: JSON without HTML escaping, the body escaped again as a string.
// Its length is what Lambda holds against its response payload limit.
func ResponsePayload(resp events.APIGatewayProxyResponse) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(resp); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// FromProxyResponse is FromPayload for a function called in-process: its response as
// Lambda would carry it (ResponsePayload), so the same limits apply.
func FromProxyResponse(resp events.APIGatewayProxyResponse, requestID string) (Response, error) {
	payload, err := ResponsePayload(resp)
	if err != nil {
		return Response{}, err
	}
	return FromPayload(payload, requestID)
}

// FromPayload turns a function's response payload into the answer API Gateway sends:
// headers and multi-value headers merged (a multi-value header replaces the single value
// of that name), the body base64-decoded when the function says so, application/json
// when the function set no Content-Type, and the request id in X-Amzn-Requestid (when
// requestID is not empty). It returns an error wherever API Gateway answers 502 instead:
// a payload over Lambda's limit, one that is not a proxy response, a status that is not
// an HTTP status, a body that is not the base64 it claims to be.
func FromPayload(payload []byte, requestID string) (Response, error) {
	if len(payload) > api.MaxLambdaResponseBytes {
		return Response{}, fmt.Errorf("response payload size (%d bytes) exceeded maximum allowed payload size (%d bytes)", len(payload), api.MaxLambdaResponseBytes)
	}
	var pr events.APIGatewayProxyResponse
	if err := json.NewDecoder(bytes.NewReader(payload)).Decode(&pr); err != nil {
		return Response{}, fmt.Errorf("not a Lambda proxy response: %w", err)
	}
	if pr.StatusCode < 100 || pr.StatusCode > 599 {
		return Response{}, fmt.Errorf("not a Lambda proxy response: status code %d", pr.StatusCode)
	}
	body := []byte(pr.Body)
	if pr.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(pr.Body)
		if err != nil {
			return Response{}, fmt.Errorf("isBase64Encoded with a body that is not valid base64: %w", err)
		}
		body = b
	}
	h := http.Header{}
	for k, v := range pr.Headers {
		h.Set(k, v)
	}
	for k, vs := range pr.MultiValueHeaders {
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	if requestID != "" {
		h.Set("X-Amzn-Requestid", requestID)
	}
	return Response{Status: pr.StatusCode, Header: h, Body: body}, nil
}
