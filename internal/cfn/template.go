package cfn

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Template is a CloudFormation template, decoded into its sections. Values that may hold
// intrinsic functions (properties, output values, conditions, defaults) stay plain JSON
// values (map[string]any, []any, string, float64, bool) for the Resolver to resolve.
type Template struct {
	AWSTemplateFormatVersion string                               `json:",omitempty"`
	Description              string                               `json:",omitempty"`
	Transform                any                                  `json:",omitempty"`
	Metadata                 map[string]any                       `json:",omitempty"`
	Parameters               map[string]Parameter                 `json:",omitempty"`
	Rules                    map[string]any                       `json:",omitempty"`
	Mappings                 map[string]map[string]map[string]any `json:",omitempty"`
	Conditions               map[string]any                       `json:",omitempty"`
	Resources                map[string]Resource
	Outputs                  map[string]Output `json:",omitempty"`
}

// Parameter is one template parameter. A nested stack's parameters get their values
// from the Parameters of its AWS::CloudFormation::Stack resource in the parent.
type Parameter struct {
	Type                  string
	Default               any    `json:",omitempty"`
	Description           string `json:",omitempty"`
	AllowedValues         []any  `json:",omitempty"`
	AllowedPattern        string `json:",omitempty"`
	ConstraintDescription string `json:",omitempty"`
	MinLength             any    `json:",omitempty"`
	MaxLength             any    `json:",omitempty"`
	MinValue              any    `json:",omitempty"`
	MaxValue              any    `json:",omitempty"`
	NoEcho                any    `json:",omitempty"`
}

// Resource is one template resource with its resource attributes.
type Resource struct {
	Type       string
	Properties map[string]any `json:",omitempty"`
	// Metadata holds CDK's construct path and asset metadata, and cfn-guard's
	// suppressions.
	Metadata map[string]any `json:",omitempty"`
	// Condition names the condition under which the resource is created.
	Condition string `json:",omitempty"`
	// DependsOn is written as one name or a list; it is always a list here.
	DependsOn           Names          `json:",omitempty"`
	DeletionPolicy      string         `json:",omitempty"`
	UpdateReplacePolicy string         `json:",omitempty"`
	UpdatePolicy        map[string]any `json:",omitempty"`
	CreationPolicy      map[string]any `json:",omitempty"`
}

// Output is one template output.
type Output struct {
	Description string  `json:",omitempty"`
	Value       any     `json:",omitempty"`
	Export      *Export `json:",omitempty"`
	Condition   string  `json:",omitempty"`
}

// Export is the name under which an output is exported for Fn::ImportValue.
type Export struct {
	Name any
}

// Names is a list of logical ids that the template may write as one string.
type Names []string

// UnmarshalJSON accepts a string or a list of strings, as CloudFormation does.
func (n *Names) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*n = Names{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("want a logical id or a list of them: %w", err)
	}
	*n = list
	return nil
}

// ParseTemplate decodes a JSON template: a file of a cloud assembly, or a deployed
// template as CloudFormation's GetTemplate returns it.
func ParseTemplate(b []byte) (*Template, error) {
	var t Template
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("template: %w (templates are read as JSON, as CDK writes them)", err)
	}
	return &t, nil
}

// Origin follows a Ref or an Fn::GetAtt to the resource it names, through the parameters
// that a parent passes to its nested stack, and returns the resource's stack and logical
// id: which function a permission is for, which REST API a resource belongs to. ok is
// false for anything else (a literal, a pseudo parameter, an unknown name).
func (s *Stack) Origin(v any) (st *Stack, logicalID string, ok bool) {
	m, isMap := v.(map[string]any)
	if !isMap || len(m) != 1 {
		return nil, "", false
	}
	var name string
	switch {
	case m["Ref"] != nil:
		name, _ = m["Ref"].(string)
	case m["Fn::GetAtt"] != nil:
		switch att := m["Fn::GetAtt"].(type) {
		case []any:
			if len(att) == 2 {
				name, _ = att[0].(string)
			}
		case string:
			name, _, _ = strings.Cut(att, ".")
		}
	}
	if name == "" {
		return nil, "", false
	}
	if _, found := s.Template.Resources[name]; found {
		return s, name, true
	}
	if _, param := s.Template.Parameters[name]; param && s.Parent != nil {
		params, _ := s.Parent.Template.Resources[s.ParentID].Properties["Parameters"].(map[string]any)
		if passed, found := params[name]; found {
			return s.Parent.Origin(passed)
		}
	}
	return nil, "", false
}

// JSON decodes the stack's template into plain JSON values, for APIs that take templates
// in that form (internal/deploypolicy) and for comparing a template with another.
func (s *Stack) JSON() (map[string]any, error) {
	var out map[string]any
	if err := json.Unmarshal(s.Raw, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", s.TemplateFile, err)
	}
	return out, nil
}
