package jsonenc

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestMarshalDoesNotEscapeHTML(t *testing.T) {
	got, err := Marshal(map[string]string{"a": "<b>&</b>"})
	if err != nil || string(got) != `{"a":"<b>&</b>"}` {
		t.Errorf("Marshal = %s, %v", got, err)
	}
	if _, err := Marshal(func() {}); err == nil {
		t.Error("Marshal of a func: no error")
	}
}

// stdLen is what encoding/json (no HTML escaping) writes for s as a string.
func stdLen(t testing.TB, s string) int {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return buf.Len() - 1
}

func TestStringLenMatchesEncodingJSON(t *testing.T) {
	var all strings.Builder
	for c := range 0x80 {
		all.WriteByte(byte(c))
	}
	for _, s := range []string{
		"", "plain", all.String(), `"\`, "\b\f\n\r\t\x00\x01\x1f\x7f", "<>&", "é✓😀", "\u2028\u2029",
		"\xff\xfe", "a\xc3", "\xed\xa0\x80", strings.Repeat("\u2028\"", 100),
	} {
		if got, want := StringLen([]byte(s)), stdLen(t, s); got != want {
			t.Errorf("StringLen(%q) = %d, encoding/json writes %d", s, got, want)
		}
	}
}

func FuzzStringLen(f *testing.F) {
	f.Add([]byte("a\"\\\n\u2028\xff<"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := StringLen(b), stdLen(t, string(b)); got != want {
			t.Fatalf("StringLen(%q) = %d, encoding/json writes %d", b, got, want)
		}
	})
}
