package api_test

import (
	"strings"
	"testing"
)

func FuzzFrequencyCaps(f *testing.F) {
	h, tick := fuzzHarness(f)
	bodies := append(append([][]byte{}, commonBodies...),
		[]byte(`[{"channel": "push", "max": 2, "per": "24h"}, {"channel": "any", "max": 5, "per": "168h"}]`),
		[]byte(`[{"channel": "push", "max": 9223372036854775807, "per": "24h"}]`), []byte(`[{"channel": "push", "max": 1e30, "per": "24h"}]`),
		[]byte(`[{"channel": "push", "max": -1, "per": "24h"}]`), []byte(`[{"channel": "push", "max": 1, "per": "9223372036854775807ns"}]`),
		[]byte(`[{"channel": "push", "max": 1, "per": "99999999999999999999h"}]`), []byte(`[{"channel": "push", "max": 1, "per": "0.000001h"}]`),
		[]byte(`[{"channel": null, "max": null, "per": null}]`), []byte(`[null]`), []byte(`[[]]`), []byte(`[{}]`),
		[]byte(`[{"channel": "push", "max": 1, "per": "24h"}, {"channel": "push", "max": 1, "per": "86400s"}]`),
		[]byte(`[`+strings.Repeat(`{"channel": "sms", "max": 1, "per": "1h"},`, 25)+`{}]`),
	)
	bodies = append(bodies, withEach(`[{"channel": "%s", "max": 1, "per": "1h"}]`)...)
	bodies = append(bodies, withEach(`[{"channel": "push", "max": 1, "per": "%s"}]`)...)
	for _, b := range bodies {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		tick(t)
		h.checkAnswer(t, "PUT", "/v1/frequency-caps", body)
	})
}
