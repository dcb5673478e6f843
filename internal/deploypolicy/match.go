package deploypolicy

import "strings"

// Match reports whether an IAM pattern matches s the way IAM compares Action and Resource
// elements: '*' matches any run of characters (slashes included, unlike path.Match), '?'
// one character. fold compares without case, as IAM compares actions (not resources).
// The compatibility gate, the boundary check and the least-privilege replay share it.
func Match(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p, mark = star+1, mark+1
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
