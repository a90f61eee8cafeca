package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// The fuzz targets below send arbitrary bodies (and ids in paths) to every
// route that decodes a request, against the real handler and a real
// Postgres database, and check each answer with checkAnswer: never a 5xx
// (a panic is one: the server recovers it as a 500), always the error
// shape on a 4xx, and nothing stored on a 4xx. The seeds are the attacks
// the service was tried with. TestFuzzTargets runs each for a while; run
// one longer with
//
//	go test -run '^$' -fuzz '^FuzzEvents$' -fuzztime 5m ./api/

// fuzzResetEvery is how many inputs a fuzz process sends before emptying
// the database, so that the snapshots stay small.
const fuzzResetEvery = 200

// fuzzHarness returns a seeded harness and a function that resets it now
// and then; each fuzz worker process has its own database.
func fuzzHarness(f *testing.F) (*harness, func(*testing.T)) {
	h := newHarness(f)
	h.seed()
	n := 0
	return h, func(t *testing.T) {
		if n++; n%fuzzResetEvery == 0 {
			h.with(t).reset()
		}
	}
}

// hostileText is JSON string content that Postgres refuses, or longer than
// the short fields allow; withEach puts each where %s is in a body.
var hostileText = []string{
	`a\u0000b`, "a\xffb", `\ud800`, `\udc00x`, `\ud83d\ude00`, strings.Repeat("x", 300), "\x00",
}

func withEach(format string) [][]byte {
	out := make([][]byte, len(hostileText))
	for i, s := range hostileText {
		out[i] = []byte(fmt.Sprintf(format, s))
	}
	return out
}

// commonBodies are malformed or hostile bodies every route gets.
var commonBodies = [][]byte{
	nil, []byte(`null`), []byte(`[]`), []byte(`"x"`), []byte(`1e400`), []byte(`{`), []byte(`{} {}`), []byte(`{}]`),
	[]byte(`{"unknown": 1}`), []byte(`{"x": ` + strings.Repeat(`[`, 11000) + strings.Repeat(`]`, 11000) + `}`),
	[]byte(`{"x": ` + strings.Repeat(`{"a":`, 100) + `1` + strings.Repeat(`}`, 100) + `}`),
}

func FuzzUsers(f *testing.F) {
	h, tick := fuzzHarness(f)
	bodies := append(append([][]byte{}, commonBodies...),
		[]byte(`{"email": "sara@example.com", "phone": "+989121234567", "push_token": "t", "timezone": "Asia/Tehran", "locale": "fa-IR", "attributes": {"first_name": "Sara"}, "unsubscribed": ["email"]}`),
		[]byte(`{"attributes": {"plan": null, "n": 1e308, "m": -1e-308, "nested": {"a": [1, "b", null, true]}}}`),
		[]byte(`{"attributes": {"x": 1e400}}`), []byte(`{"attributes": {"x": 1e-400}}`), []byte(`{"attributes": [1]}`),
		[]byte(`{"attributes": {"x": "`+strings.Repeat("x", 65<<10)+`"}}`), []byte(`{"attributes": {"x": `+strings.Repeat(`[`, 2000)+strings.Repeat(`]`, 2000)+`}}`),
		[]byte(`{"unsubscribed": null}`), []byte(`{"unsubscribed": ["fax"]}`), []byte(`{"unsubscribed": [1]}`),
		[]byte(`{"timezone": "../../../etc/passwd"}`), []byte(`{"locale": "en-`+strings.Repeat("aa-", 1000)+`aa"}`),
		[]byte(`{"email": "`+strings.Repeat("a", 300)+`@example.com"}`), []byte(`{"email": 5}`),
		[]byte(`{"phone": "09121234567"}`), []byte(`{"phone": "+98 (912) 123-4567"}`), []byte(`{"phone": "۰۹۱۲۱۲۳۴۵۶۷"}`),
		[]byte(`{"phone": "+`+strings.Repeat("9", 70)+`"}`), []byte(`{"phone": "tel:+1-415-555-2671;ext=22"}`),
	)
	bodies = append(bodies, withEach(`{"email": "%s"}`)...)
	bodies = append(bodies, withEach(`{"attributes": {"k": "%s"}}`)...)
	bodies = append(bodies, withEach(`{"attributes": {"%s": 1}}`)...)
	for _, b := range bodies {
		f.Add(false, "u1", b)
		f.Add(true, "u1", b)
	}
	for _, id := range []string{"", "u\x00", "\xff", "a/b", strings.Repeat("u", 129), "sara@example.com", ".."} {
		f.Add(true, id, []byte(`{"email": "a@b.co"}`))
	}
	f.Fuzz(func(t *testing.T, patch bool, id string, body []byte) {
		tick(t)
		method := "PUT"
		if patch {
			method = "PATCH"
		}
		h.checkAnswer(t, method, "/v1/users/"+url.PathEscape(id), body)
	})
}

func FuzzTemplates(f *testing.F) {
	h, tick := fuzzHarness(f)
	// Doubles its output n times: a template bomb.
	bomb := func(n int) string {
		var b strings.Builder
		b.WriteString(`{{define "t0"}}0123456789{{end}}`)
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, `{{define "t%d"}}{{template "t%d"}}{{template "t%d"}}{{end}}`, i, i-1, i-1)
		}
		fmt.Fprintf(&b, `{{template "t%d"}}`, n)
		return b.String()
	}
	template := func(fields map[string]string) []byte {
		fields["locale"] = "en"
		b, _ := json.Marshal(fields)
		return b
	}
	bodies := append(append([][]byte{}, commonBodies...),
		template(map[string]string{"title": "Hi", "subject": "{{.Offer.DiscountPercent}}%", "body": "{{with .User.first_name}}{{.}}, {{end}}use {{.Offer.Code}}", "html": "<p>{{.User.first_name}}</p>"}),
		template(map[string]string{"body": `{{template "nope"}}`}),
		template(map[string]string{"body": `{{define "a"}}{{template "a"}}{{end}}{{template "a"}}`}),
		template(map[string]string{"body": bomb(22)}),
		template(map[string]string{"body": `{{range 300000000}}{{end}}`}),
		template(map[string]string{"body": "x", "subject": `{{printf "%0999999d" 1}}`}),
		template(map[string]string{"body": strings.Repeat(`{{printf "%8000s" .Offer.Code}}`, 9)}),
		template(map[string]string{"body": "{{range .User.cart}}{{.name}}, {{end}}"}),
		template(map[string]string{"body": `{{.Offer.Cod}}`}),
		template(map[string]string{"body": "x", "html": `<a href="{{.User.url}}">`}),
		template(map[string]string{"body": "x", "html": `<script>var a = "{{.User.x}}</script>`}),
		template(map[string]string{"body": "{{"}),
		template(map[string]string{"body": strings.Repeat("b", 65<<10)}),
		[]byte(`{"locale": "`+strings.Repeat("a", 1000)+`", "body": "x"}`),
		[]byte(`{"locale": "en", "body": 5}`),
	)
	bodies = append(bodies, withEach(`{"locale": "en", "body": "%s"}`)...)
	bodies = append(bodies, withEach(`{"locale": "en", "body": "x", "html": "%s"}`)...)
	for _, b := range bodies {
		f.Add("t1", b)
	}
	f.Add("cart_offer", template(map[string]string{"body": "{{.Offer.Code}}"}))
	f.Add("a\x00", template(map[string]string{"body": "x"}))
	f.Add(strings.Repeat("t", 129), template(map[string]string{"body": "x"}))
	f.Fuzz(func(t *testing.T, id string, body []byte) {
		tick(t)
		h.checkAnswer(t, "PUT", "/v1/templates/"+url.PathEscape(id), body)
	})
}

func FuzzJourneys(f *testing.F) {
	h, tick := fuzzHarness(f)
	journey := func(extra string) []byte {
		return []byte(`{"name": "J", "type": "cart_abandonment", "goal_event": "purchase"` + extra + `}`)
	}
	exits, _ := json.Marshal(make([]string, 10000))
	bodies := append(append([][]byte{}, commonBodies...),
		journey(``), journey(`, "id": "cart"`), journey(`, "id": "j-1", "entry_event": "add_to_cart", "exit_events": ["cart_emptied"], "conversion_window": "72h", "reentry": "168h", "holdout_percent": 20`),
		journey(`, "name": "`+strings.Repeat("n", 1<<20)+`"`), journey(`, "name": "`+strings.Repeat("n", 201)+`"`),
		journey(`, "exit_events": `+string(exits)), journey(`, "exit_events": ["purchase"]`), journey(`, "exit_events": [1]`),
		journey(`, "holdout_percent": 1.5`), journey(`, "holdout_percent": 1e400`), journey(`, "holdout_percent": 51`),
		journey(`, "conversion_window": "`+strings.Repeat("1h", 1000)+`"`), journey(`, "reentry": "-1h"`),
		journey(`, "config": {"touches": [{"after": "1h", "channel": "push", "template": "nope"}]}`),
		journey(`, "config": {"touches": [{"after": "1h", "channel": "push", "template": "`+strings.Repeat("t", 10000)+`"}]}`),
		journey(`, "config": {"touches": [], "final_wait": "1h"}`), journey(`, "config": {"offer": {"discount_percent": 1e400}}`),
		journey(`, "config": {"touches": "x"}`), journey(`, "config": null`),
		[]byte(`{"status": "paused"}`), []byte(`{"status": "active"}`), []byte(`{"status": "stopped"}`), []byte(`{"status": "x"}`),
		[]byte(`{"name": "Renamed"}`), []byte(`{"name": ""}`), []byte(`{"config": {"touches": [{"after": "1h", "channel": "sms", "template": "cart_final_offer"}]}}`),
		[]byte(`{"config": {"touches": [{"after": "1h", "channel": "sms", "template": "nope"}]}}`),
		[]byte(`{"name": "F", "type": "flow", "goal_event": "purchase", "config": {"start": "w", "nodes": {
			"w": {"type": "wait", "duration": "1h", "next": "c"},
			"c": {"type": "condition", "expr": "user.plan == 'gold'", "then": "s", "else": "x"},
			"s": {"type": "send", "channel": "push", "template": "cart_offer", "next": "u"},
			"u": {"type": "update_profile", "set": {"nudged": true}, "next": "x"},
			"x": {"type": "exit", "reason": "done"}}}}`),
		[]byte(`{"name": "F", "type": "flow", "goal_event": "purchase", "config": {"start": "a", "nodes": {"a": {"type": "wait_for_event", "event": "`+strings.Repeat("e", 2000)+`", "timeout": "1h", "next": "a", "on_timeout": "a"}}}}`),
		[]byte(`{"name": "F", "type": "flow", "goal_event": "purchase", "config": {"start": "a", "nodes": {"a": {"type": "condition", "expr": "1/0 == 1", "then": "a", "else": "a"}}}}`),
		[]byte(`{"name": "F", "type": "flow", "goal_event": "purchase"}`),
	)
	bodies = append(bodies, withEach(`{"name": "%s", "type": "cart_abandonment", "goal_event": "purchase"}`)...)
	bodies = append(bodies, withEach(`{"name": "J", "type": "cart_abandonment", "goal_event": "%s"}`)...)
	bodies = append(bodies, withEach(`{"name": "J", "type": "cart_abandonment", "goal_event": "purchase", "config": {"offer": {"code_prefix": "%s"}}}`)...)
	for _, b := range bodies {
		f.Add(false, "cart", b)
		f.Add(true, "cart", b)
	}
	f.Add(true, "nope", []byte(`{"name": "x"}`))
	f.Add(true, "c\x00", []byte(`{"name": "x"}`))
	f.Fuzz(func(t *testing.T, patch bool, id string, body []byte) {
		tick(t)
		if patch {
			h.checkAnswer(t, "PATCH", "/v1/journeys/"+url.PathEscape(id), body)
		} else {
			h.checkAnswer(t, "POST", "/v1/journeys", body)
		}
	})
}

func FuzzEnrollments(f *testing.F) {
	h, tick := fuzzHarness(f)
	bodies := append(append([][]byte{}, commonBodies...),
		[]byte(`{"user_id": "u1"}`), []byte(`{"user_id": "u2"}`), []byte(`{"user_id": 1}`), []byte(`{"user_id": "a/b"}`),
		[]byte(`{"user_id": "`+strings.Repeat("u", 10000)+`"}`), []byte(`{"user_ids": ["u1", "u2", 3, null, {"a": 1}, "a/b"]}`),
		[]byte(`{"user_ids": []}`), []byte(`{"user_ids": [`+strings.Repeat(`1, `, 1000)+`1]}`), []byte(`{"user_ids": "u1"}`),
	)
	bodies = append(bodies, withEach(`{"user_id": "%s"}`)...)
	bodies = append(bodies, withEach(`{"user_ids": ["u1", "%s"]}`)...)
	for _, b := range bodies {
		f.Add(false, "cart", b)
		f.Add(true, "cart", b)
	}
	f.Add(false, "nope", []byte(`{"user_id": "u1"}`))
	f.Add(true, "c\xff", []byte(`{"user_ids": ["u1"]}`))
	f.Fuzz(func(t *testing.T, batch bool, journeyID string, body []byte) {
		tick(t)
		path := "/v1/journeys/" + url.PathEscape(journeyID) + "/enrollments"
		if batch {
			path += "/batch"
		}
		h.checkAnswer(t, "POST", path, body)
	})
}

func FuzzEvents(f *testing.F) {
	h, tick := fuzzHarness(f)
	event := func(name, extra string) string {
		return `{"event_id": "e-` + name + `", "user_id": "u1", "name": "` + name + `"` + extra + `}`
	}
	singles := []string{
		event("purchase", `, "properties": {"revenue": 120, "order_id": "1001"}`),
		event("purchase", `, "properties": {"revenue": 1e308}`), event("purchase", `, "properties": {"revenue": -5}`),
		event("purchase", `, "properties": {"revenue": "120"}`), event("purchase", `, "properties": {"revenue": null}`),
		event("purchase", `, "properties": {"big": "`+strings.Repeat("x", 2<<20)+`"}`),
		event("purchase", `, "properties": {"big": "`+strings.Repeat("x", 65<<10)+`"}`),
		event("purchase", `, "occurred_at": "9999-01-01T00:00:00Z"`), event("purchase", `, "occurred_at": "1970-01-01T00:00:00Z"`),
		event("purchase", `, "occurred_at": "2026-13-45T99:99:99Z"`), event("purchase", `, "occurred_at": 0`),
		event("add_to_cart", ``), event("cart_emptied", ``), event("purchase", `, "properties": [1]`),
		`{"event_id": "", "user_id": "u1", "name": "x"}`, `{"event_id": "e", "user_id": "", "name": "x"}`, `{"event_id": "e", "user_id": "u1", "name": " "}`,
	}
	var bodies [][]byte
	bodies = append(bodies, commonBodies...)
	for _, s := range singles {
		bodies = append(bodies, []byte(s))
	}
	bodies = append(bodies, withEach(`{"event_id": "e1", "user_id": "u1", "name": "purchase", "properties": {"note": "%s"}}`)...)
	bodies = append(bodies, withEach(`{"event_id": "%s", "user_id": "u1", "name": "purchase"}`)...)
	bodies = append(bodies, withEach(`{"event_id": "e1", "user_id": "u1", "name": "%s"}`)...)
	bodies = append(bodies, withEach(`{"event_id": "e1", "user_id": "u1", "name": "purchase", "properties": {"%s": 1}}`)...)
	for _, b := range bodies {
		f.Add(false, b)
		f.Add(true, []byte(`{"events": [`+string(b)+`, `+event("purchase", ``)+`]}`))
	}
	f.Add(true, []byte(`{"events": []}`))
	f.Add(true, []byte(`{"events": [`+strings.Repeat(`{}, `, 1000)+`{}]}`))
	f.Fuzz(func(t *testing.T, batch bool, body []byte) {
		tick(t)
		path := "/v1/events"
		if batch {
			path += "/batch"
		}
		h.checkAnswer(t, "POST", path, body)
	})
}

func FuzzChannels(f *testing.F) {
	h := newHarness(f, withSealer(f))
	bodies := append(append([][]byte{}, commonBodies...),
		[]byte(`{"provider": "kavenegar", "settings": {"api_key": "k", "sender": "1000", "rate": 5}}`),
		[]byte(`{"provider": "twilio", "settings": {"account_sid": "AC1", "auth_token": "t", "from": "+15005550006"}}`),
		[]byte(`{"provider": "smtp", "settings": {"url": "smtp://u:p@mail.test:587", "from": "Shop <a@b.test>"}}`),
		[]byte(`{"provider": "smtp", "settings": {"url": "smtp://u@mail.test:99999", "password": "p", "from": "a@b.test"}}`),
		[]byte(`{"provider": "webhook", "settings": {"url": "https://hooks.test/x", "secret": "s", "rate": 1e308}}`),
		[]byte(`{"provider": "webhook", "settings": {"url": "https://hooks.test/x", "secret": "s", "rate": -0}}`),
		[]byte(`{"provider": "fcm", "settings": {"credentials": {"project_id": 5}}}`),
		[]byte(`{"provider": "fcm", "settings": {"credentials": "{\"project_id\":\"p\",\"client_email\":\"a@p\",\"private_key\":\"k\"}"}}`),
		[]byte(`{"provider": "fcm", "settings": {"credentials": null}}`), []byte(`{"provider": "fcm", "settings": null}`),
		[]byte(`{"provider": 1}`), []byte(`{"settings": []}`),
	)
	bodies = append(bodies, withEach(`{"provider": "webhook", "settings": {"url": "https://hooks.test/%s", "secret": "s"}}`)...)
	bodies = append(bodies, withEach(`{"provider": "kavenegar", "settings": {"api_key": "%s"}}`)...)
	for _, b := range bodies {
		for _, ch := range []string{"push", "email", "sms", "webhook"} {
			f.Add(ch, b)
		}
	}
	f.Add("fax", []byte(`{}`))
	f.Add("\x00", []byte(`{}`))
	n := 0
	f.Fuzz(func(t *testing.T, channel string, body []byte) {
		if n++; n%fuzzResetEvery == 0 {
			h.with(t).reset()
		}
		h.checkAnswer(t, "PUT", "/v1/channels/"+url.PathEscape(channel), body)
	})
}

// FuzzDryRuns sends arbitrary bodies to the routes that only read:
// simulations and template previews. Besides checkAnswer's checks, they
// store nothing whatever they answer.
func FuzzDryRuns(f *testing.F) {
	h, tick := fuzzHarness(f)
	bodies := append(append([][]byte{}, commonBodies...),
		[]byte(`{"user_id": "u1"}`), []byte(`{"user_id": "u1", "locale": "fa-IR"}`),
		[]byte(`{"user": {"email": "sara@example.com", "attributes": {"first_name": "Sara"}}, "events": [{"name": "purchase", "after": "30h", "properties": {"revenue": 120}}]}`),
		[]byte(`{"events": [{"name": "add_to_cart", "after": "0s", "properties": {"cart_id": "c1"}}, {"name": "cart_emptied", "after": "2h"}]}`),
		[]byte(`{"events": [{"name": "purchase", "after": "-5h"}]}`), []byte(`{"events": [{"name": "purchase", "after": "9999999h"}]}`),
		[]byte(`{"events": [{"name": "purchase", "after": "1e400h"}]}`), []byte(`{"events": [{"name": "purchase", "after": 5}]}`),
		[]byte(`{"events": [{"name": "purchase", "properties": {"revenue": -1}}]}`), []byte(`{"events": {"name": "purchase"}}`),
		[]byte(`{"user": {"attributes": {"first_name": "`+strings.Repeat("x", 65<<10)+`"}}}`), []byte(`{"user": null, "user_id": ""}`),
	)
	bodies = append(bodies, withEach(`{"events": [{"name": "%s"}]}`)...)
	bodies = append(bodies, withEach(`{"user_id": "%s"}`)...)
	bodies = append(bodies, withEach(`{"user_id": "u1", "locale": "%s"}`)...)
	for _, b := range bodies {
		f.Add(false, b)
		f.Add(true, b)
	}
	f.Fuzz(func(t *testing.T, preview bool, body []byte) {
		tick(t)
		path := "/v1/journeys/cart/simulate"
		if preview {
			path = "/v1/templates/cart_offer/preview"
		}
		before := h.with(t).snapshot()
		h.checkAnswer(t, "POST", path, body)
		if after := h.with(t).snapshot(); after != before {
			t.Fatalf("POST %s %q stored something", path, clipped(body))
		}
	})
}
