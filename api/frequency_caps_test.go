package api_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

type frequencyCap struct {
	Channel string `json:"channel"`
	Max     int    `json:"max"`
	Per     string `json:"per"`
}

func TestFrequencyCaps(t *testing.T) {
	h := newHarness(t)
	var got []frequencyCap
	h.mustCall("GET", "/v1/frequency-caps", nil, 200, &got)
	if got == nil || len(got) != 0 {
		t.Errorf("caps before any are set = %v, want []", got)
	}
	want := []frequencyCap{{"push", 2, "24h"}, {"any", 5, "168h"}, {"push", 5, "1h30m"}}
	h.mustCall("PUT", "/v1/frequency-caps", `[{"channel": "push", "max": 2, "per": "24h"}, {"channel": "any", "max": 5, "per": "168h"},
		{"channel": "push", "max": 5, "per": "90m"}]`, 200, &got)
	if !slices.Equal(got, want) {
		t.Errorf("PUT answered %v, want %v", got, want)
	}
	h.mustCall("GET", "/v1/frequency-caps", nil, 200, &got)
	if !slices.Equal(got, want) {
		t.Errorf("GET = %v, want %v", got, want)
	}

	tests := []struct {
		name, body string
		want       string
	}{
		{"an object", `{"channel": "push", "max": 2, "per": "24h"}`, "must be a JSON array"},
		{"not JSON", `[{"channel": "push",`, "must be a JSON array"},
		{"unknown channel", `[{"channel": "fax", "max": 2, "per": "24h"}]`, `[0].channel "fax" is not one of push, email, sms, webhook, any`},
		{"no channel", `[{"max": 2, "per": "24h"}]`, `[0].channel "" is not one of`},
		{"max zero", `[{"channel": "push", "max": 0, "per": "24h"}]`, "[0].max must be a whole number from 1 to 1000, not 0"},
		{"max huge", `[{"channel": "push", "max": 1000000, "per": "24h"}]`, "[0].max must be a whole number from 1 to 1000"},
		{"max a fraction", `[{"channel": "push", "max": 1.5, "per": "24h"}]`, "[0]: max must be a whole number, not 1.5"},
		{"max a string", `[{"channel": "push", "max": "2", "per": "24h"}]`, "[0]: max must be a whole number, not a string"},
		{"per missing", `[{"channel": "sms", "max": 1}]`, `[0].per "" must be a duration from 1m to 744h`},
		{"per too short", `[{"channel": "sms", "max": 1, "per": "10s"}]`, `[0].per "10s" must be a duration from 1m to 744h`},
		{"per too long", `[{"channel": "sms", "max": 1, "per": "745h"}]`, `[0].per "745h" must be a duration`},
		{"per negative", `[{"channel": "sms", "max": 1, "per": "-24h"}]`, `[0].per "-24h" must be a duration`},
		{"per not a duration", `[{"channel": "sms", "max": 1, "per": "a day"}]`, `[0].per "a day" must be a duration`},
		{"per in fractions of a second", `[{"channel": "sms", "max": 1, "per": "1h0.5s"}]`, `[0].per "1h0.5s" must be a whole number of seconds`},
		{"unknown field", `[{"channel": "sms", "max": 1, "per": "1h", "every": "day"}]`, `[0]: unknown field "every"`},
		{"item not an object", `[{"channel": "sms", "max": 1, "per": "1h"}, 7]`, "[1] must be a JSON object"},
		{"duplicate", `[{"channel": "push", "max": 1, "per": "24h"}, {"channel": "push", "max": 3, "per": "1440m"}]`, "[1] repeats the cap on push per 1440m"},
		{"too many", "[" + strings.TrimSuffix(strings.Repeat(`{"channel": "push", "max": 1, "per": "1h"},`, 21), ",") + "]", "the body lists 21 caps; the limit is 20"},
		{"NUL", `[{"channel": "push\u0000", "max": 1, "per": "1h"}]`, "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.snapshot()
			status, resp := h.do("PUT", "/v1/frequency-caps", []byte(tt.body))
			var e apiError
			_ = json.Unmarshal(resp, &e)
			if status != 400 || e.Error.Code != "invalid" || !strings.Contains(e.Error.Message, tt.want) {
				t.Errorf("PUT %s = %d %s, want 400 invalid with %q", tt.body, status, resp, tt.want)
			}
			if showsInternals(e.Error.Message) {
				t.Errorf("message %q shows internals", e.Error.Message)
			}
			if h.snapshot() != before {
				t.Error("the refused request stored something")
			}
		})
	}
	status, resp := h.do("PUT", "/v1/frequency-caps", []byte(`[`+strings.Repeat(" ", 9<<10)+`]`))
	if status != 413 {
		t.Errorf("a 9 KiB body = %d %s, want 413", status, resp)
	}

	// An empty list removes them.
	h.mustCall("PUT", "/v1/frequency-caps", `[]`, 200, &got)
	h.mustCall("GET", "/v1/frequency-caps", nil, 200, &got)
	if len(got) != 0 {
		t.Errorf("caps after PUT [] = %v, want none", got)
	}
}
