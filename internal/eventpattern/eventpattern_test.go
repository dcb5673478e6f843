package eventpattern

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The matching rules of EventBridge's "Event patterns" and "Content filtering" pages, on
// events small enough to read.
func TestMatch(t *testing.T) {
	event := `{"source":"aws.ec2","detail-type":"EC2 Instance State-change Notification","resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-1"],
	  "detail":{"state":"running","instance-id":"i-1","count":5,"tags":["a","b"],"nothing":null,"nested":{"x":"Y"}}}`
	for _, tc := range []struct {
		name, pattern string
		want          bool
	}{
		{"exact", `{"source":["aws.ec2"]}`, true},
		{"one of the listed values", `{"detail":{"state":["stopped","running"]}}`, true},
		{"case-sensitive", `{"detail":{"state":["RUNNING"]}}`, false},
		{"every field must match", `{"source":["aws.ec2"],"detail":{"state":["stopped"]}}`, false},
		{"an event array matches if any element does", `{"detail":{"tags":["b"]}}`, true},
		{"resources is an array", `{"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-1"]}`, true},
		{"missing field", `{"detail":{"missing":["x"]}}`, false},
		{"missing object", `{"other":{"x":["y"]}}`, false},
		{"exists true", `{"detail":{"state":[{"exists":true}]}}`, true},
		{"exists false on a missing field", `{"detail":{"missing":[{"exists":false}]}}`, true},
		{"exists false inside a missing object", `{"other":{"x":[{"exists":false}]}}`, true},
		{"exists false on a present field", `{"detail":{"state":[{"exists":false}]}}`, false},
		{"null", `{"detail":{"nothing":[null]}}`, true},
		{"number by value", `{"detail":{"count":[5.0]}}`, true},
		{"a string is not a number", `{"detail":{"count":["5"]}}`, false},
		{"prefix", `{"detail":{"instance-id":[{"prefix":"i-"}]}}`, true},
		{"suffix", `{"detail":{"state":[{"suffix":"ing"}]}}`, true},
		{"prefix ignoring case", `{"detail":{"state":[{"prefix":{"equals-ignore-case":"RUN"}}]}}`, true},
		{"equals-ignore-case", `{"detail":{"nested":{"x":[{"equals-ignore-case":"y"}]}}}`, true},
		{"anything-but a value", `{"detail":{"state":[{"anything-but":"stopped"}]}}`, true},
		{"anything-but a list", `{"detail":{"state":[{"anything-but":["running","stopped"]}]}}`, false},
		{"anything-but a prefix", `{"detail":{"state":[{"anything-but":{"prefix":"run"}}]}}`, false},
		{"anything-but needs the field", `{"detail":{"missing":[{"anything-but":"x"}]}}`, false},
		{"numeric range", `{"detail":{"count":[{"numeric":[">",0,"<=",5]}]}}`, true},
		{"numeric out of range", `{"detail":{"count":[{"numeric":[">",5]}]}}`, false},
		{"wildcard", `{"resources":[{"wildcard":"arn:aws:ec2:*:instance/*"}]}`, true},
		{"$or", `{"$or":[{"source":["aws.s3"]},{"detail":{"state":["running"]}}]}`, true},
		{"$or none", `{"$or":[{"source":["aws.s3"]},{"detail":{"state":["stopped"]}}]}`, false},
	} {
		got, err := Match([]byte(tc.pattern), []byte(event))
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, got, tc.name)
	}
}

// What the matcher does not implement, or EventBridge rejects, is an error.
func TestMatchRefusesToGuess(t *testing.T) {
	for _, p := range []string{
		`{"source":"aws.ec2"}`,
		`{"source":[]}`,
		`{"detail":{"ip":[{"cidr":"10.0.0.0/24"}]}}`,
		`{"detail":{"state":[{"prefix":"a","suffix":"b"}]}}`,
		`{}`,
	} {
		_, err := Match([]byte(p), []byte(`{"source":"aws.ec2","detail":{"state":"x","ip":"10.0.0.1"}}`))
		assert.Error(t, err, p)
	}
}
