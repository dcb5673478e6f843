package localserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Model validates request bodies against a draft-04 JSON Schema model, as API Gateway's
// request validator does before a function runs. The local server compiles the route
// table's models (api.Schema.JSONSchema); the gateway-parity tests compile the
// template's, with the same code.
type Model struct {
	name   string
	schema *jsonschema.Schema
}

// CompileModel compiles a draft-04 model document: any value that encodes to the
// model's JSON (a map, as api.Schema.JSONSchema renders it or a template holds it).
func CompileModel(name string, model any) (*Model, error) {
	b, err := json.Marshal(model)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b)) // numbers as the compiler wants them
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	url := "urn:model:" + name
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	return &Model{name: name, schema: s}, nil
}

// ErrNotJSON is the problem with a body that is no JSON document at all.
var ErrNotJSON = errors.New("Invalid request body: not a JSON document")

// Check returns nil when body satisfies the model, else what is wrong: ErrNotJSON, or
// one line per failed constraint ("/title: length must be <= 200, but got 201").
func (m *Model) Check(body []byte) []string {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return []string{ErrNotJSON.Error()}
	}
	err = m.schema.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []string{err.Error()}
	}
	var out []string
	var walk func(u jsonschema.OutputUnit)
	walk = func(u jsonschema.OutputUnit) {
		if u.Error != nil && len(u.Errors) == 0 {
			out = append(out, fmt.Sprintf("%s: %s", cmpOr(u.InstanceLocation, "/"), u.Error))
		}
		for _, e := range u.Errors {
			walk(e)
		}
	}
	walk(*ve.BasicOutput())
	if len(out) == 0 {
		out = []string{ve.Error()}
	}
	sort.Strings(out)
	return out
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// validatesBody reports whether API Gateway validates a body with this Content-Type
// against the method's application/json model: when the media type is application/json,
// or when there is no Content-Type (API Gateway then takes application/json). Bodies of
// other types pass through to the function, which refuses them (415).
func validatesBody(h http.Header) bool {
	ct := h.Get("Content-Type")
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && strings.EqualFold(mt, "application/json")
}
