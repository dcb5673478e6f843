// Package jsonenc writes JSON the way the API sends it, without HTML escaping, and
// measures what JSON costs once it is escaped again as a string: a Lambda proxy response
// carries the body as a JSON string inside its own JSON, and Lambda's response limit
// counts those escaped bytes.
package jsonenc

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// Marshal is json.Marshal without HTML escaping: the API's bodies are application/json
// with nosniff, never HTML, and encoding/json's default writes each <, > and & as six
// bytes (a 10 KB note of "<" grew to 63 KB).
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// StringLen returns the length of b written as a JSON string literal, quotes included,
// exactly as encoding/json writes it without HTML escaping (which is how aws-lambda-go
// writes a handler's response): quote and backslash take two bytes, \b \f \n \r \t two,
// other control characters, U+2028, U+2029 and invalid UTF-8 six (\u00XX, \u2028,
// \ufffd), everything else its own length. encoding/json has no function that measures
// without writing, so this one is ours; a test checks it against encoding/json.
func StringLen(b []byte) int {
	n := 2
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			case c < 0x20:
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1, r == '\u2028', r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}
