package api

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckJSON(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		in   string
		want string // "" when accepted, else the start of the message
	}{
		{`{}`, ""},
		{`{"a": "😀 \ud83d\ude00 \u00e9 \n \" \\", "b": [1, -2.5e10, 0, 0.0, 1e-300, 1e308, true, null]}`, ""},
		{`{"a": "x\u0000y"}`, `a contains a NUL character`},
		{`{"a": [{"b": "ok"}, {"c d": "\u0000"}]}`, `a[1]["c d"] contains a NUL character`},
		{`{"a": {"k\u0000": 1}}`, `a has a key that contains a NUL character`},
		{`{"a": "` + "\xff" + `"}`, `a is not valid UTF-8`},
		{`{"a": "` + "\xed\xa0\x80" + `"}`, `a is not valid UTF-8`}, // a surrogate encoded in UTF-8
		{`{"a": "\ud800"}`, `a contains an unpaired UTF-16 surrogate (\ud800)`},
		{`{"a": "\ud800\u0041"}`, `a contains an unpaired UTF-16 surrogate (\ud800)`},
		{`{"a": "\udfff\ud800"}`, `a contains an unpaired UTF-16 surrogate (\udfff)`},
		{`{"n": 1e309}`, `n is 1e309, out of range`},
		{`{"n": -1e309}`, `n is -1e309, out of range`},
		{`{"n": 1e-400}`, `n is 1e-400, out of range`},
		{`{"n": 0e-400}`, ""},
		{`{"a": ` + deep(31) + `}`, ""},
		{`{"a": ` + deep(32) + `}`, `a[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0] is nested more than 32 levels deep`},
	}
	for _, tt := range tests {
		if !json.Valid([]byte(tt.in)) {
			t.Fatalf("%s: not valid JSON; the checker only sees JSON encoding/json accepted", tt.in)
		}
		err := checkJSON([]byte(tt.in), "the body")
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("checkJSON(%.60s) = %v, want nil", tt.in, err)
		case tt.want != "" && (err == nil || !strings.HasPrefix(err.(*Error).Message, tt.want)):
			t.Errorf("checkJSON(%.60s) = %v, want %q…", tt.in, err, tt.want)
		}
	}
}

func TestPathAt(t *testing.T) {
	raw := []byte(`{"a": [1, {"b": "x"}], "c d": {"e": true}}`)
	for _, tt := range []struct {
		off  int64
		want string
	}{
		{int64(strings.Index(string(raw), "1") + 1), "a[0]"},
		{int64(strings.Index(string(raw), `"x"`) + 3), "a[1].b"},
		{int64(strings.Index(string(raw), "true") + 4), `["c d"].e`},
		{int64(strings.Index(string(raw), "[") + 1), "a"},
	} {
		if got := pathAt(raw, tt.off); got != tt.want {
			t.Errorf("pathAt(%d) = %q, want %q", tt.off, got, tt.want)
		}
	}
}

func TestByteSize(t *testing.T) {
	for n, want := range map[int]string{100: "100 bytes", 4 << 10: "4 KiB", 65 << 10: "65 KiB", 1536: "1.5 KiB", 8 << 20: "8 MiB"} {
		if got := byteSize(n); got != want {
			t.Errorf("byteSize(%d) = %q, want %q", n, got, want)
		}
	}
}
