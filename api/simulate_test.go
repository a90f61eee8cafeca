package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"journeys/workflows"
)

// simulation is the answer of POST /v1/journeys/{id}/simulate.
type simulation struct {
	UserID string `json:"user_id"`
	Path   []struct {
		Node, Step, At, Action, Channel, Template, Detail string
	}
	Outcome struct{ Status, Reason, At string }
}

// actions reads the path as action:node-or-step, or the action alone.
func (s simulation) actions() []string {
	var out []string
	for _, p := range s.Path {
		switch id := p.Node + p.Step; {
		case p.Action == "sent":
			out = append(out, fmt.Sprintf("sent:%s on %s", id, p.Channel))
		case id != "":
			out = append(out, p.Action+":"+id)
		default:
			out = append(out, p.Action)
		}
	}
	return out
}

// at returns when the path's step i happened after the enrollment.
func (s simulation) at(t *testing.T, i int) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s.Path[i].At)
	if err != nil {
		t.Fatalf("path[%d].at: %v", i, err)
	}
	return d
}

// sara is a profile every channel reaches.
var sara = map[string]any{"email": "sara@example.com", "phone": "+989121234567", "push_token": "tok-sara",
	"timezone": "Asia/Tehran", "attributes": map[string]any{"first_name": "Sara", "tier": "gold"}}

// TestSimulateFollowsTheJourney simulates the cart journey for a user who
// buys 30 hours in: the push goes at 24h (and a little jitter), the
// purchase converts it, and nothing is stored, sent or started.
func TestSimulateFollowsTheJourney(t *testing.T) {
	h := newHarness(t)
	h.seed()
	before := h.snapshot()

	var sim simulation
	h.mustCall("POST", "/v1/journeys/cart/simulate", map[string]any{"user_id": "sara", "user": sara,
		"events": []map[string]any{{"name": "purchase", "after": "30h", "properties": map[string]any{"revenue": 120}}}}, 200, &sim)
	if got, want := sim.actions(), []string{"enrolled", "sent:push on push", "converted:push"}; !slices.Equal(got, want) {
		t.Errorf("path = %v, want %v", got, want)
	}
	if got := sim.at(t, 1); got < 24*time.Hour || got > 24*time.Hour+5*time.Minute {
		t.Errorf("the push went at %s, want 24h and at most 5m of jitter", got)
	}
	if sim.Outcome.Status != "converted" || sim.Outcome.At != "30h" || sim.Outcome.Reason != "purchase (event events[0])" || sim.UserID != "sara" {
		t.Errorf("outcome = %+v for %s, want converted by events[0] at 30h for sara", sim.Outcome, sim.UserID)
	}

	// Without the purchase the journey runs its course; u1 has only an
	// email, so the push and the SMS are skipped.
	h.mustCall("POST", "/v1/journeys/cart/simulate", map[string]any{"user_id": "u1"}, 200, &sim)
	want := []string{"enrolled", "skipped:push", "sent:email on email", "skipped:sms", "exited"}
	if got := sim.actions(); !slices.Equal(got, want) || sim.Outcome.Status != "exited" || sim.Outcome.Reason != "not_converted" {
		t.Errorf("u1's path = %v, %+v; want %v, exited not_converted", got, sim.Outcome, want)
	}
	if after := h.snapshot(); after != before {
		t.Errorf("a simulation changed the database:\nbefore %s\nafter  %s", before, after)
	}
}

// TestSimulateEveryType simulates a journey of every type: each runs its
// own workflow to an end, and the database is as it was.
func TestSimulateEveryType(t *testing.T) {
	h := newHarness(t)
	for _, name := range workflows.TypeNames() {
		typ, _ := workflows.Lookup(name)
		config, err := typ.Config(nil)
		if name == "flow" {
			config, err = json.Marshal(testFlow)
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, tpl := range typ.Plan(config).Templates {
			h.mustCall("PUT", "/v1/templates/"+tpl, map[string]string{"locale": "en", "title": "Hi", "body": "Hi {{.User.first_name}}"}, 200, nil)
		}
		h.mustCall("POST", "/v1/journeys", map[string]any{"id": name, "name": name, "type": name, "goal_event": "purchase",
			"config": json.RawMessage(config)}, 201, nil)
	}
	before := h.snapshot()
	for _, name := range workflows.TypeNames() {
		var sim simulation
		h.mustCall("POST", "/v1/journeys/"+name+"/simulate", map[string]any{"user": sara}, 200, &sim)
		got := sim.actions()
		t.Logf("%s: %v, %+v", name, got, sim.Outcome)
		if len(got) < 3 || got[0] != "enrolled" || !slices.ContainsFunc(got, func(a string) bool { return strings.HasPrefix(a, "sent:") }) ||
			sim.Outcome.Status != "exited" || sim.UserID != "simulated-user" {
			t.Errorf("%s: path %v, outcome %+v; want an enrollment, a send and an exit", name, got, sim.Outcome)
		}
		if name == "flow" && sim.Path[1].Node != "tag" {
			t.Errorf("flow: the path names %+v, want node tag", sim.Path[1])
		}
	}
	if after := h.snapshot(); after != before {
		t.Errorf("simulations changed the database:\nbefore %s\nafter  %s", before, after)
	}
}

// testFlow tags the user, sends gold users down a split, pushes, and
// waits a day for the app to open: an email if it did, an SMS if not.
var testFlow = map[string]any{"start": "tag", "nodes": map[string]any{
	"tag":    map[string]any{"type": "update_profile", "set": map[string]any{"winback": true}, "next": "gold"},
	"gold":   map[string]any{"type": "condition", "expr": `user.attributes.tier == "gold"`, "then": "offer", "else": "push1"},
	"offer":  map[string]any{"type": "split", "arms": []map[string]any{{"name": "a", "weight": 1, "next": "push1"}, {"name": "b", "weight": 1, "next": "push1"}}},
	"push1":  map[string]any{"type": "send", "channel": "push", "template": "cart_offer", "next": "opened"},
	"opened": map[string]any{"type": "wait_for_event", "event": "app_open", "timeout": "24h", "next": "email1", "on_timeout": "sms1"},
	"email1": map[string]any{"type": "send", "channel": "email", "template": "cart_offer", "next": "done"},
	"sms1":   map[string]any{"type": "send", "channel": "sms", "template": "cart_final_offer", "next": "done"},
	"done":   map[string]any{"type": "exit", "reason": "finished"},
}}

// TestSimulateStopsAtTheHorizon simulates a journey that waits longer than
// a simulation follows a run: it answers with the path so far and an
// active outcome that says why.
func TestSimulateStopsAtTheHorizon(t *testing.T) {
	h := newHarness(t)
	h.mustCall("POST", "/v1/journeys", map[string]any{"id": "slow", "name": "Slow", "type": "cart_abandonment", "goal_event": "purchase",
		"config": map[string]any{"touches": []map[string]any{{"after": "1h", "channel": "email", "template": "cart_offer"}}, "final_wait": "9000h"}}, 201, nil)
	var sim simulation
	h.mustCall("POST", "/v1/journeys/slow/simulate", map[string]any{"user": sara}, 200, &sim)
	if got := sim.actions(); !slices.Equal(got, []string{"enrolled", "sent:email on email"}) ||
		sim.Outcome.Status != "active" || sim.Outcome.At != "4320h" || !strings.Contains(sim.Outcome.Reason, "still running 4320h after the enrollment") {
		t.Errorf("path %v, outcome %+v; want the email, then active at 4320h", got, sim.Outcome)
	}
}

// TestSimulateRefusesBadInput sends simulations the API cannot run: each
// is a 4xx naming what is wrong, and nothing is stored.
func TestSimulateRefusesBadInput(t *testing.T) {
	h := newHarness(t)
	h.seed()
	many := make([]map[string]any, 101)
	for i := range many {
		many[i] = map[string]any{"name": "app_open", "after": "1h"}
	}
	h.checkRefusals(t, []refusal{
		{"/v1/journeys/cart/simulate", map[string]any{"events": many}, 400, "events lists 101 events; the limit is 100"},
		{"/v1/journeys/cart/simulate", map[string]any{"events": []map[string]any{{"name": "purchase", "after": "soon"}}}, 400,
			`events[0].after "soon" must be a duration after the enrollment, such as "30h"`},
		{"/v1/journeys/cart/simulate", map[string]any{"events": []map[string]any{{"name": "purchase", "after": "-1h"}}}, 400,
			`events[0].after "-1h" must be a duration after the enrollment`},
		{"/v1/journeys/cart/simulate", map[string]any{"events": []map[string]any{{"name": "purchase", "after": "5000h"}}}, 400,
			"events[0].after 5000h is past 4320h, the longest a simulation follows a run"},
		{"/v1/journeys/cart/simulate", map[string]any{"events": []map[string]any{{"after": "1h"}}}, 400, "events[0].name is required"},
		{"/v1/journeys/cart/simulate", map[string]any{"events": []map[string]any{{"name": "purchase", "properties": []int{1}}}}, 400,
			"events[0].properties must be a JSON object"},
		{"/v1/journeys/cart/simulate", map[string]any{"user": map[string]any{"email": "nope"}}, 400, `email "nope" is not an email address`},
		{"/v1/journeys/cart/simulate", map[string]any{"user_id": "a/b"}, 400, "user_id"},
		{"/v1/journeys/cart/simulate", map[string]any{"when": "now"}, 400, `unknown field "when"`},
		{"/v1/journeys/nope/simulate", map[string]any{}, 404, `journey "nope" does not exist`},
	})
}

// TestSimulateEntryEvent simulates a journey entered by add_to_cart that
// follows one cart: the entry event at 0s enrolls the user with cart c1,
// a purchase of another cart does not convert the run, and one of c1 at
// the same time does: two events alike are two events.
func TestSimulateEntryEvent(t *testing.T) {
	h := newHarness(t)
	h.mustCall("POST", "/v1/journeys", map[string]any{"id": "carts", "name": "Carts", "type": "cart_abandonment",
		"goal_event": "purchase", "entry_event": "add_to_cart", "match": "cart_id"}, 201, nil)
	var sim simulation
	h.mustCall("POST", "/v1/journeys/carts/simulate", map[string]any{"user": sara, "events": []map[string]any{
		{"name": "add_to_cart", "after": "0s", "properties": map[string]any{"cart_id": "c1"}},
		{"name": "purchase", "after": "50h", "properties": map[string]any{"cart_id": "c2"}},
		{"name": "purchase", "after": "50h", "properties": map[string]any{"cart_id": "c1"}},
	}}, 200, &sim)
	want := []string{"enrolled", "sent:push on push", "sent:email on email", "converted:email"}
	if got := sim.actions(); !slices.Equal(got, want) || sim.Outcome.Status != "converted" || sim.Outcome.At != "50h" ||
		sim.Outcome.Reason != "purchase (event events[2])" {
		t.Errorf("path %v, outcome %+v; want %v, converted at 50h", got, sim.Outcome, want)
	}
}
