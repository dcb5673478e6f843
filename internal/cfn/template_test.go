package cfn

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A template decodes into its sections and resource attributes; DependsOn may be one
// name or a list, as CloudFormation allows. The raw bytes stay available as JSON values.
func TestParseTemplate(t *testing.T) {
	raw := []byte(`{"Description": "d", "Parameters": {"P": {"Type": "String", "Default": "x"}},
		"Conditions": {"C": {"Fn::Equals": ["a", "a"]}},
		"Resources": {
			"A": {"Type": "AWS::SNS::Topic", "DependsOn": "B", "Condition": "C", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"},
			"B": {"Type": "AWS::SNS::Topic", "DependsOn": ["A", "C"], "Metadata": {"aws:cdk:path": "S/B/Resource"},
				"Properties": {"TopicName": {"Ref": "P"}}, "UpdatePolicy": {"X": 1}}},
		"Outputs": {"O": {"Value": {"Ref": "A"}, "Export": {"Name": "o"}, "Condition": "C"}}}`)
	tpl, err := ParseTemplate(raw)
	require.NoError(t, err)
	assert.Equal(t, "d", tpl.Description)
	assert.Equal(t, Parameter{Type: "String", Default: "x"}, tpl.Parameters["P"])
	assert.Equal(t, Resource{Type: "AWS::SNS::Topic", DependsOn: Names{"B"}, Condition: "C", DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain"}, tpl.Resources["A"])
	assert.Equal(t, Names{"A", "C"}, tpl.Resources["B"].DependsOn)
	assert.Equal(t, map[string]any{"Ref": "P"}, tpl.Resources["B"].Properties["TopicName"])
	assert.Equal(t, Output{Value: map[string]any{"Ref": "A"}, Export: &Export{Name: "o"}, Condition: "C"}, tpl.Outputs["O"])

	s := &Stack{Raw: raw, Template: tpl}
	m, err := s.JSON()
	require.NoError(t, err)
	assert.Equal(t, "B", m["Resources"].(map[string]any)["A"].(map[string]any)["DependsOn"], "the JSON is the template as written")

	_, err = ParseTemplate([]byte("Resources:\n  A: {}\n"))
	assert.ErrorContains(t, err, "templates are read as JSON")
	_, err = ParseTemplate([]byte(`{"Resources": {"A": {"Type": "X", "DependsOn": 1}}}`))
	assert.ErrorContains(t, err, "want a logical id or a list of them")
}
