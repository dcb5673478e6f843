// Package eventpattern matches events against Amazon EventBridge event patterns offline, so
// that a rule's pattern is tested against AWS's documented sample events instead of read by
// eye. It follows the matching rules of EventBridge's "Event patterns" documentation:
//
//   - A pattern is a JSON object; every field it names must match. An object value matches
//     the event's object at that field; an array value lists what the field may be (any one
//     matching is enough).
//   - When the event's value is an array, the field matches if any element does.
//   - Strings match exactly and case-sensitively; numbers match by value; null matches null.
//   - A field missing from the event matches only {"exists": false}.
//   - Content filters: prefix, suffix, equals-ignore-case, anything-but (a value, a list, or
//     a prefix or suffix), exists, numeric (<, <=, =, >=, > and ranges), wildcard (* only),
//     and $or at any level.
//
// A filter it does not implement (cidr, a wildcard with escapes) is an error, never a
// guess: a test that relies on the matcher fails loudly instead of passing wrongly.
package eventpattern

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Match reports whether the event (JSON) matches the pattern (JSON).
func Match(pattern, event []byte) (bool, error) {
	var p, e map[string]any
	if err := decode(pattern, &p); err != nil {
		return false, fmt.Errorf("pattern: %w", err)
	}
	if err := decode(event, &e); err != nil {
		return false, fmt.Errorf("event: %w", err)
	}
	return matchObject(p, e, "")
}

func decode(b []byte, v any) error {
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	return d.Decode(v)
}

func matchObject(p map[string]any, e map[string]any, at string) (bool, error) {
	if len(p) == 0 {
		return false, fmt.Errorf("%s: an empty object matches nothing useful: EventBridge rejects it", orRoot(at))
	}
	for _, key := range slices.Sorted(maps.Keys(p)) {
		ok, err := matchField(key, p[key], e, at)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func orRoot(at string) string {
	if at == "" {
		return "pattern"
	}
	return at
}

func matchField(key string, pv any, e map[string]any, at string) (bool, error) {
	path := strings.TrimPrefix(at+"."+key, ".")
	if key == "$or" {
		alts, ok := pv.([]any)
		if !ok || len(alts) < 2 {
			return false, fmt.Errorf("%s: $or takes a list of at least two patterns", path)
		}
		for _, a := range alts {
			m, ok := a.(map[string]any)
			if !ok {
				return false, fmt.Errorf("%s: each $or alternative is an object", path)
			}
			if ok, err := matchObject(m, e, at); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
	ev, present := e[key]
	switch x := pv.(type) {
	case map[string]any:
		sub, _ := ev.(map[string]any)
		if sub == nil {
			sub = map[string]any{} // only exists:false leaves can match inside a missing object
		}
		return matchObject(x, sub, path)
	case []any:
		if len(x) == 0 {
			return false, fmt.Errorf("%s: an empty list matches nothing: EventBridge rejects it", path)
		}
		values := []any{ev}
		if arr, ok := ev.([]any); ok {
			values = arr
		}
		for _, m := range x {
			ok, err := matchLeaf(m, values, present, path)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("%s: a pattern field's value must be a list or an object, not %v", path, pv)
}

// matchLeaf reports whether one matcher matches any of the field's values.
func matchLeaf(m any, values []any, present bool, path string) (bool, error) {
	filter, isFilter := m.(map[string]any)
	if !isFilter {
		if !present {
			return false, nil
		}
		return slices.ContainsFunc(values, func(v any) bool { return equal(m, v) }), nil
	}
	if len(filter) != 1 {
		return false, fmt.Errorf("%s: a content filter has exactly one operator, not %d", path, len(filter))
	}
	for op, arg := range filter {
		if op == "exists" {
			want, ok := arg.(bool)
			if !ok {
				return false, fmt.Errorf("%s: exists takes true or false", path)
			}
			return present == want, nil
		}
		if !present {
			return false, nil // every other filter needs the field
		}
		test, err := compile(op, arg, path)
		if err != nil {
			return false, err
		}
		return slices.ContainsFunc(values, test), nil
	}
	return false, nil
}

// compile turns a content filter into a test of one value.
func compile(op string, arg any, path string) (func(any) bool, error) {
	str := func(f func(string) bool) func(any) bool {
		return func(v any) bool { s, ok := v.(string); return ok && f(s) }
	}
	switch op {
	case "prefix", "suffix":
		has := strings.HasPrefix
		if op == "suffix" {
			has = strings.HasSuffix
		}
		switch a := arg.(type) {
		case string:
			return str(func(s string) bool { return has(s, a) }), nil
		case map[string]any:
			if s, ok := a["equals-ignore-case"].(string); ok && len(a) == 1 {
				return str(func(v string) bool { return has(strings.ToLower(v), strings.ToLower(s)) }), nil
			}
		}
		return nil, fmt.Errorf("%s: %s takes a string or {\"equals-ignore-case\": string}", path, op)
	case "equals-ignore-case":
		s, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("%s: equals-ignore-case takes a string", path)
		}
		return str(func(v string) bool { return strings.EqualFold(v, s) }), nil
	case "wildcard":
		s, ok := arg.(string)
		if !ok || strings.Contains(s, `\`) {
			return nil, fmt.Errorf("%s: wildcard: only a string with * (no escapes) is implemented", path)
		}
		re := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(s), `\*`, ".*") + "$")
		return str(re.MatchString), nil
	case "anything-but":
		var inner func(any) bool
		switch a := arg.(type) {
		case []any:
			inner = func(v any) bool { return slices.ContainsFunc(a, func(x any) bool { return equal(x, v) }) }
		case map[string]any:
			if len(a) != 1 {
				return nil, fmt.Errorf("%s: anything-but takes one filter", path)
			}
			for k, v := range a {
				f, err := compile(k, v, path)
				if err != nil {
					return nil, err
				}
				inner = f
			}
		default:
			inner = func(v any) bool { return equal(a, v) }
		}
		return func(v any) bool { return !inner(v) }, nil
	case "numeric":
		return numeric(arg, path)
	}
	return nil, fmt.Errorf("%s: content filter %q is not implemented here (cidr and others): refusing to guess", path, op)
}

func numeric(arg any, path string) (func(any) bool, error) {
	list, ok := arg.([]any)
	if !ok || len(list) == 0 || len(list)%2 != 0 {
		return nil, fmt.Errorf("%s: numeric takes pairs of an operator and a number", path)
	}
	type cond struct {
		op string
		n  float64
	}
	var conds []cond
	for i := 0; i < len(list); i += 2 {
		op, ok := list[i].(string)
		n, err := number(list[i+1])
		if !ok || err != nil || !slices.Contains([]string{"<", "<=", "=", ">=", ">"}, op) {
			return nil, fmt.Errorf("%s: numeric: %v %v: allowed are <, <=, =, >=, > and a number", path, list[i], list[i+1])
		}
		conds = append(conds, cond{op, n})
	}
	return func(v any) bool {
		x, err := number(v)
		if err != nil {
			return false // numeric matches numbers only, not strings that look like them
		}
		for _, c := range conds {
			ok := map[string]bool{"<": x < c.n, "<=": x <= c.n, "=": x == c.n, ">=": x >= c.n, ">": x > c.n}[c.op]
			if !ok {
				return false
			}
		}
		return true
	}, nil
}

var errNotNumber = errors.New("not a number")

func number(v any) (float64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, errNotNumber
	}
	return n.Float64()
}

// equal compares a pattern value with an event value: strings exactly, numbers by value,
// booleans and null as themselves; a string never equals a number.
func equal(p, v any) bool {
	switch a := p.(type) {
	case json.Number:
		x, err1 := a.Float64()
		y, err2 := number(v)
		return err1 == nil && err2 == nil && x == y
	case string:
		s, ok := v.(string)
		return ok && s == a
	case bool:
		b, ok := v.(bool)
		return ok && b == a
	case nil:
		return v == nil
	}
	return false
}
