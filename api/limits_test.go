package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestInputLimits sends every kind of input over its limit, or that
// Postgres would refuse, and checks the answer: the status, a message that
// names the field and the limit in the request's terms, and nothing stored.
func TestInputLimits(t *testing.T) {
	h := newHarness(t)
	h.seed()
	event := func(props string) string {
		return `{"event_id": "e1", "user_id": "u1", "name": "purchase", "properties": ` + props + `}`
	}
	journey := func(extra string) string {
		return `{"id": "j2", "name": "J", "type": "cart_abandonment", "goal_event": "purchase"` + extra + `}`
	}
	deep := strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40)
	exits := make([]string, 10000)
	for i := range exits {
		exits[i] = fmt.Sprintf("e%d", i)
	}
	exitList, _ := json.Marshal(exits)
	tests := []struct {
		name         string
		method, path string
		body         string
		status       int
		want         []string // in the message
	}{
		// Bodies, per route.
		{"profile body", "PUT", "/v1/users/u1", `{"push_token": "` + strings.Repeat("x", 300<<10) + `"}`, 413, []string{"256 KiB", "PUT /v1/users/{user_id}"}},
		{"event body", "POST", "/v1/events", event(`{"note": "` + strings.Repeat("x", 300<<10) + `"}`), 413, []string{"256 KiB", "POST /v1/events"}},
		{"enrollment body", "POST", "/v1/journeys/cart/enrollments", `{"user_id": "` + strings.Repeat("u", 5<<10) + `"}`, 413, []string{"4 KiB"}},
		{"journey name of 1 MB", "POST", "/v1/journeys", journey(`, "name": "` + strings.Repeat("n", 1<<20) + `"`), 413, []string{"256 KiB", "POST /v1/journeys"}},
		{"batch body", "POST", "/v1/events/batch", `{"events": [` + strings.Repeat(event(`{}`)+",", 120000) + event(`{}`) + `]}`, 413, []string{"8 MiB"}},
		// The shape of the body.
		{"null profile", "PUT", "/v1/users/u1", `null`, 400, []string{"the body must be a JSON object", "not null"}},
		{"array profile", "PATCH", "/v1/users/u1", `[]`, 400, []string{"the body must be a JSON object", "not an array"}},
		{"empty body", "POST", "/v1/events", ``, 400, []string{"empty"}},
		{"two objects", "POST", "/v1/events", event(`{}`) + `{}`, 400, []string{"one object"}},
		// JSON types, named as JSON names them.
		{"user id a number", "POST", "/v1/journeys/cart/enrollments", `{"user_id": 42}`, 400, []string{"user_id must be a string, not a number"}},
		{"holdout a fraction", "POST", "/v1/journeys", journey(`, "holdout_percent": 1.5`), 400, []string{"holdout_percent must be a whole number, not 1.5"}},
		{"exit event a number", "POST", "/v1/journeys", journey(`, "exit_events": ["ok", 7]`), 400, []string{"exit_events[1] must be a string, not a number"}},
		{"unsubscribed a string", "PUT", "/v1/users/u1", `{"unsubscribed": "email"}`, 400, []string{"unsubscribed must be an array of strings, not a string"}},
		{"occurred_at a number", "POST", "/v1/events", `{"event_id": "e1", "user_id": "u1", "name": "x", "occurred_at": 5}`, 400, []string{"occurred_at must be a string, not a number"}},
		{"unknown field", "PUT", "/v1/users/u1", `{"emial": "a@b.co"}`, 400, []string{`unknown field "emial"`}},
		// Lengths and counts.
		{"journey name", "POST", "/v1/journeys", journey(`, "name": "` + strings.Repeat("ن", 201) + `"`), 400, []string{"name is 201 characters long; the limit is 200"}},
		{"10,000 exit events", "POST", "/v1/journeys", journey(`, "exit_events": ` + string(exitList)), 400, []string{"exit_events lists 10000 events; the limit is 20"}},
		{"event name", "POST", "/v1/events", `{"event_id": "e1", "user_id": "u1", "name": "` + strings.Repeat("n", 101) + `"}`, 400, []string{"name is 101 characters long; the limit is 100"}},
		{"event id", "POST", "/v1/events", `{"event_id": "` + strings.Repeat("e", 201) + `", "user_id": "u1", "name": "x"}`, 400, []string{"event_id is 201 characters long; the limit is 200"}},
		{"user id", "POST", "/v1/events", `{"event_id": "e1", "user_id": "` + strings.Repeat("u", 129) + `", "name": "x"}`, 400, []string{"user_id", "1 to 128"}},
		{"push token", "PUT", "/v1/users/u1", `{"push_token": "` + strings.Repeat("t", 4097) + `"}`, 400, []string{"push_token is 4097 characters long; the limit is 4096"}},
		{"locale", "PUT", "/v1/users/u1", `{"locale": "en` + strings.Repeat("-abc", 20) + `"}`, 400, []string{"locale is 82 characters long; the limit is 35"}},
		{"unsubscribed", "PUT", "/v1/users/u1", `{"unsubscribed": ["email","email","email","email","email","email","email","email","email"]}`, 400, []string{"unsubscribed lists 9 channels; the limit is 8"}},
		{"template field", "PUT", "/v1/templates/t1", `{"locale": "en", "body": "` + strings.Repeat("b", 65<<10) + `"}`, 400, []string{"body is 65 KiB; the limit is 64 KiB"}},
		{"template locale", "PUT", "/v1/templates/t1", `{"locale": "` + strings.Repeat("a", 36) + `", "body": "b"}`, 400, []string{"locale is 36 characters long; the limit is 35"}},
		{"user_ids", "POST", "/v1/journeys/cart/enrollments/batch", `{"user_ids": [` + strings.Repeat(`"u",`, 1000) + `"u"]}`, 400, []string{"user_ids must list 1 to 1000 users, not 1001"}},
		{"events", "POST", "/v1/events/batch", `{"events": []}`, 400, []string{"events must list 1 to 1000 events, not 0"}},
		// Free-form JSON.
		{"properties over 64 KiB", "POST", "/v1/events", event(`{"note": "` + strings.Repeat("x", 65<<10) + `"}`), 400, []string{"properties is 65 KiB of JSON; the limit is 64 KiB"}},
		{"attributes over 64 KiB", "PUT", "/v1/users/u1", `{"attributes": {"note": "` + strings.Repeat("x", 65<<10) + `"}}`, 400, []string{"attributes is 65 KiB of JSON; the limit is 64 KiB"}},
		{"properties too deep", "POST", "/v1/events", event(deep), 400, []string{"properties.a.a", "nested more than 32 levels deep"}},
		{"properties an array", "POST", "/v1/events", event(`[1]`), 400, []string{"properties must be a JSON object", "not an array"}},
		{"number out of range", "PUT", "/v1/users/u1", `{"attributes": {"score": 1e400}}`, 400, []string{"attributes.score is 1e400, out of range"}},
		{"number that underflows", "POST", "/v1/events", event(`{"x": [1e-400]}`), 400, []string{"properties.x[0] is 1e-400, out of range"}},
		// Revenue.
		{"revenue 1e308", "POST", "/v1/events", event(`{"revenue": 1e308}`), 400, []string{"properties.revenue must be a number from 0 to 1000000000000, not 1e308"}},
		{"negative revenue", "POST", "/v1/events", event(`{"revenue": -5}`), 400, []string{"properties.revenue", "not -5"}},
		{"revenue a string", "POST", "/v1/events", event(`{"revenue": "120"}`), 400, []string{"properties.revenue must be a number"}},
		// Times.
		{"occurred_at in 9999", "POST", "/v1/events", `{"event_id": "e1", "user_id": "u1", "name": "purchase", "occurred_at": "9999-01-01T00:00:00Z"}`, 400, []string{"occurred_at 9999-01-01T00:00:00Z is out of range", "2000-01-01", "24h0m0s after now"}},
		{"occurred_at in 1999", "POST", "/v1/events", `{"event_id": "e1", "user_id": "u1", "name": "purchase", "occurred_at": "1999-12-31T23:59:59Z"}`, 400, []string{"occurred_at 1999-12-31T23:59:59Z is out of range"}},
		{"occurred_at not a time", "POST", "/v1/events", `{"event_id": "e1", "user_id": "u1", "name": "purchase", "occurred_at": "yesterday"}`, 400, []string{`occurred_at "yesterday" is not an RFC 3339 time`}},
		// Text Postgres refuses, in typed fields and inside JSON objects.
		{"NUL in an email", "PUT", "/v1/users/u1", `{"email": "sara\u0000@example.com"}`, 400, []string{"email contains a NUL character"}},
		{"NUL in an attribute", "PUT", "/v1/users/u1", `{"attributes": {"first_name": "Sa\u0000ra"}}`, 400, []string{"attributes.first_name contains a NUL character"}},
		{"NUL in an attribute's key", "PATCH", "/v1/users/u1", `{"attributes": {"a\u0000": 1}}`, 400, []string{"attributes has a key that contains a NUL character"}},
		{"invalid UTF-8 in a name", "POST", "/v1/journeys", journey(`, "name": "Cart ` + "\xff\xfe" + `"`), 400, []string{"name is not valid UTF-8"}},
		{"invalid UTF-8 in properties", "POST", "/v1/events", event(`{"items": [{"title": "` + "\xc3" + `"}]}`), 400, []string{"properties.items[0].title is not valid UTF-8"}},
		{"unpaired surrogate", "POST", "/v1/events", event(`{"note": "\ud800"}`), 400, []string{`properties.note contains an unpaired UTF-16 surrogate (\ud800)`}},
		{"NUL in a template", "PUT", "/v1/templates/t1", `{"locale": "en", "body": "Hi\u0000"}`, 400, []string{"body contains a NUL character"}},
		{"NUL in a journey config", "POST", "/v1/journeys", journey(`, "config": {"offer": {"code_prefix": "A\u0000"}}`), 400, []string{"config.offer.code_prefix contains a NUL character"}},
		{"NUL in a path", "GET", "/v1/users/u%001", ``, 400, []string{"the path must be valid UTF-8 without NUL"}},
		{"invalid UTF-8 in a query", "GET", "/v1/journeys/cart/report?from=%ff", ``, 400, []string{`query parameter "from"`}},
		// Validation gaps.
		{"touch naming no template", "POST", "/v1/journeys", journey(`, "config": {"touches": [{"after": "1h", "channel": "push", "template": "cart_offer"}, {"after": "1h", "channel": "sms", "template": "nope"}]}`), 400, []string{`config.touches[1].template: template "nope" does not exist`}},
		{"flow sending no template", "POST", "/v1/journeys", `{"name": "F", "type": "flow", "goal_event": "purchase", "config": {"start": "push", "nodes": {
			"push": {"type": "send", "channel": "push", "template": "nope", "next": "done"}, "done": {"type": "exit", "reason": "sent"}}}}`, 400, []string{`config.nodes.push.template: template "nope" does not exist`}},
		{"patch to no template", "PATCH", "/v1/journeys/cart", `{"config": {"touches": [{"after": "1h", "channel": "push", "template": "nope"}]}}`, 400, []string{`config.touches[0].template: template "nope" does not exist`}},
		{"patch name", "PATCH", "/v1/journeys/cart", `{"name": "` + strings.Repeat("n", 201) + `"}`, 400, []string{"name is 201 characters long; the limit is 200"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.snapshot()
			status, resp := h.do(tt.method, tt.path, []byte(tt.body))
			var e apiError
			_ = json.Unmarshal(resp, &e)
			wantCode := "invalid"
			if tt.status == 413 {
				wantCode = "too_large"
			}
			if status != tt.status || e.Error.Code != wantCode {
				t.Fatalf("%s %s = %d %s, want %d %s", tt.method, tt.path, status, clipped(resp), tt.status, wantCode)
			}
			for _, want := range tt.want {
				if !strings.Contains(e.Error.Message, want) {
					t.Errorf("message %q lacks %q", e.Error.Message, want)
				}
			}
			if showsInternals(e.Error.Message) {
				t.Errorf("message %q shows internals", e.Error.Message)
			}
			if after := h.snapshot(); after != before {
				t.Errorf("the refused request stored something")
			}
		})
	}
}

// TestInputsWithinLimits checks that the limits leave room for what
// clients legitimately send.
func TestInputsWithinLimits(t *testing.T) {
	h := newHarness(t)
	h.seed()
	now := time.Now().UTC()
	h.mustCall("POST", "/v1/events", map[string]any{"event_id": "e1", "user_id": "u1", "name": "purchase",
		"occurred_at": now.Add(time.Hour).Format(time.RFC3339), "properties": map[string]any{
			"revenue": 1e12, "note": strings.Repeat("x", 60<<10), "emoji": "😀", "nested": json.RawMessage(strings.Repeat(`[`, 30) + strings.Repeat(`]`, 30)),
		}}, 202, nil)
	h.mustCall("POST", "/v1/events", map[string]any{"event_id": "e2", "user_id": "u1", "name": "purchase",
		"occurred_at": "2000-01-01T00:00:00Z", "properties": map[string]any{"revenue": 0, "tiny": 1e-300}}, 202, nil)
	h.mustCall("PUT", "/v1/users/u2", map[string]any{"email": "a@b.co", "locale": "fa-IR", "timezone": "Asia/Tehran",
		"attributes": map[string]any{"bio": strings.Repeat("ب", 30<<10)}, "unsubscribed": []string{"sms"}}, 200, nil)
	h.mustCall("POST", "/v1/journeys", map[string]any{"name": strings.Repeat("ن", 200), "type": "cart_abandonment",
		"goal_event": "purchase", "exit_events": []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t"}}, 201, nil)
	h.mustCall("PUT", "/v1/templates/t1", map[string]any{"locale": "en", "body": strings.Repeat("b", 64<<10)}, 200, nil)
	h.mustCall("POST", "/v1/journeys", `{"name": "F", "type": "flow", "goal_event": "purchase", "config": {"start": "push", "nodes": {
		"push": {"type": "send", "channel": "push", "template": "t1", "next": "done"}, "done": {"type": "exit", "reason": "sent"}}}}`, 201, nil)
}
