package alarms

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// condition is one `($.field = value)` term of a CloudWatch Logs JSON filter pattern.
var condition = regexp.MustCompile(`^\(\$\.([A-Za-z]+) = ("[^"]*"|-?[0-9]+)\)$`)

// matches evaluates the subset of CloudWatch Logs' JSON filter syntax that FilterPatterns
// use, `{ (term) && (term) ... }` with string or number equality, on one log line, as
// CloudWatch does: a string equals only a string field, a number only a number field.
func matches(t *testing.T, pattern, line string) bool {
	t.Helper()
	body, ok := strings.CutPrefix(pattern, "{ ")
	require.True(t, ok, "pattern %q does not start with `{ `", pattern)
	body, ok = strings.CutSuffix(body, " }")
	require.True(t, ok, "pattern %q does not end with ` }`", pattern)
	var fields map[string]any
	require.NoError(t, json.Unmarshal([]byte(line), &fields))
	for _, term := range strings.Split(body, " && ") {
		m := condition.FindStringSubmatch(term)
		require.NotNil(t, m, "term %q of %q is outside the syntax the test evaluates", term, pattern)
		got, present := fields[m[1]]
		if !present {
			return false
		}
		if s, err := strconv.Unquote(m[2]); err == nil {
			if got != s {
				return false
			}
		} else if n, _ := strconv.ParseFloat(m[2], 64); got != n {
			return false
		}
	}
	return true
}

// line renders a log line as lambdas/internal/httpapi writes it (log/slog's JSON handler:
// time, level, msg, then the attributes).
func line(level, msg string, attrs ...any) string {
	m := map[string]any{"time": "2026-05-01T12:00:00.000Z", "level": level, "msg": msg, "requestId": "3f1c", "function": "NotesWrite"}
	for i := 0; i+1 < len(attrs); i += 2 {
		m[fmt.Sprint(attrs[i])] = attrs[i+1]
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// Each log line the functions write for a request increments exactly the metric of its
// cause, and the lines of answers that are not 5xx, or whose 5xx another line already
// counts, increment none: a 503 is counted from its "dependency failed" line, never from
// its request line, and a 500 from its request line, never from the ERROR line before it.
func TestFilterPatternsCountEachCauseOnce(t *testing.T) {
	cases := []struct {
		line string
		want string // metric, or "" for none
	}{
		{line("INFO", RequestMessage, "method", "POST", "route", "POST /notes", "status", 500, "durationUs", 1200), MetricInternalErrors},
		{line("ERROR", "request failed", "error", "AccessDeniedException: not authorized"), ""},
		{line("ERROR", "handler panicked", "panic", "runtime.Error", "stack", "..."), ""},
		{line("WARN", DependencyFailedMessage, "failure", FailureThrottled, "error", "ThrottlingException"), MetricDependencyThrottled},
		{line("WARN", DependencyFailedMessage, "failure", FailureUnavailable, "error", "connection reset"), MetricDependencyUnavailable},
		{line("WARN", DependencyFailedMessage, "failure", FailureTimeout, "error", "context deadline exceeded"), MetricDependencyTimeouts},
		{line("INFO", RequestMessage, "method", "POST", "route", "POST /notes", "status", 503, "durationUs", 2100000), ""},
		{line("INFO", RequestMessage, "method", "GET", "route", "GET /notes", "status", 504, "durationUs", 9000000), ""},
		{line("INFO", RequestMessage, "method", "GET", "route", "GET /notes", "status", 200, "durationUs", 800), ""},
		{line("INFO", RequestMessage, "method", "GET", "route", "GET /notes/{id}", "status", 404, "durationUs", 500), ""},
	}
	for _, c := range cases {
		var got []string
		for _, m := range failureMetrics {
			if matches(t, FilterPatterns[m.name], c.line) {
				got = append(got, m.name)
			}
		}
		if c.want == "" {
			assert.Empty(t, got, c.line)
		} else {
			assert.Equal(t, []string{c.want}, got, c.line)
		}
	}
}

// Every metric has a pattern and a label, and every pattern a metric.
func TestEveryFailureMetricHasAPattern(t *testing.T) {
	require.Len(t, FilterPatterns, len(failureMetrics))
	for _, m := range failureMetrics {
		assert.NotEmpty(t, FilterPatterns[m.name], m.name)
		assert.NotEmpty(t, m.label, m.name)
	}
}
