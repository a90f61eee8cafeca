package workflows_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"journeys/channels"
	"journeys/reporting"
	"journeys/workflows"
	"journeys/workflows/journey"
	"journeys/workflows/journey/kittest"
)

// flowConfig is a flow config with the given start and nodes, written as
// the members of the nodes object.
func flowConfig(start, nodes string) string {
	return fmt.Sprintf(`{"start": %q, "nodes": {%s}}`, start, nodes)
}

// flow is a run of sara through a flow.
func flow(start, nodes string, script ...kittest.At) kittest.Journey {
	return kittest.Journey{Type: "flow", Config: flowConfig(start, nodes), Profile: sara, Script: script}
}

// done is the exit node most test flows end at.
const done = `"done": {"type": "exit", "reason": "finished"}`

// sentAt returns when the run sent step id, after it started.
func sentAt(out kittest.Outcome, id string) time.Duration {
	es := out.Store.Entries()
	for _, e := range es {
		if e.StepID == id && e.Kind == reporting.KindSent {
			return e.At.Sub(es[0].At)
		}
	}
	return -1
}

func TestFlowWaitSendExit(t *testing.T) {
	out := flow("wait1", `
		"wait1": {"type": "wait", "duration": "24h", "next": "push1"},
		"push1": {"type": "send", "channel": "push", "template": "cart_offer", "offer": true, "next": "done"},
		`+done).Run(t)

	if out.Result != (journey.Result{Status: "exited", Reason: "finished"}) {
		t.Errorf("result = %+v, want exited: finished", out.Result)
	}
	if got, want := out.Store.Story(), []string{"enrolled", "sent:push1", "exited"}; !slices.Equal(got, want) {
		t.Errorf("story = %v, want %v", got, want)
	}
	if at := sentAt(out, "push1"); at < day || at > day+15*time.Minute {
		t.Errorf("push1 sent after %s, want a day (plus jitter)", at)
	}
	m := out.Outbox.Messages()
	if len(m) != 1 || !strings.HasPrefix(m[0].Data["offer_code"], "CART-") || !strings.HasSuffix(m[0].IdempotencyKey, "/7/push1") {
		t.Errorf("messages = %+v, want one push with a CART- code, keyed by the node id", m)
	}
}

func TestFlowWaitUntilLocalTime(t *testing.T) {
	tehran, _ := time.LoadLocation("Asia/Tehran")
	j := flow("morning", `
		"morning": {"type": "wait", "until": "09:30", "next": "push1"},
		"push1": {"type": "send", "channel": "push", "template": "cart_offer", "next": "done"},
		`+done)
	j.Profile.Timezone = "Asia/Tehran"
	j.StartAt = time.Date(2026, 11, 3, 22, 0, 0, 0, tehran)

	out := j.Run(t)

	want := time.Date(2026, 11, 4, 9, 30, 0, 0, tehran)
	if got := j.StartAt.Add(sentAt(out, "push1")); got.Before(want) || got.After(want.Add(5*time.Minute)) {
		t.Errorf("push1 sent at %s, want %s (plus jitter)", got.In(tehran), want)
	}
}

func TestFlowWaitForEvent(t *testing.T) {
	nodes := `
		"watch": {"type": "wait_for_event", "event": "checkout", "match": "cart_id", "timeout": "48h", "next": "thanks", "on_timeout": "nudge"},
		"thanks": {"type": "send", "channel": "email", "template": "thanks", "next": "done"},
		"nudge": {"type": "send", "channel": "push", "template": "cart_offer", "next": "done"},
		` + done
	tests := []struct {
		name   string
		script []kittest.At
		want   string
		at     time.Duration
	}{
		{"the event comes", []kittest.At{kittest.Event(5*time.Hour, "checkout", map[string]any{"cart_id": "c1"})}, "thanks", 5 * time.Hour},
		{"another cart's event is not it", []kittest.At{kittest.Event(5*time.Hour, "checkout", map[string]any{"cart_id": "c2"})}, "nudge", 48 * time.Hour},
		{"it never comes", nil, "nudge", 48 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := flow("watch", nodes, tt.script...)
			j.Input.Trigger = &journey.Event{EventID: "a1", Name: "add_to_cart", Properties: map[string]any{"cart_id": "c1"}}

			out := j.Run(t)

			if got, want := out.Store.Story(), []string{"enrolled", "sent:" + tt.want, "exited"}; !slices.Equal(got, want) {
				t.Errorf("story = %v, want %v", got, want)
			}
			if at := sentAt(out, tt.want); at < tt.at || at > tt.at+30*time.Minute {
				t.Errorf("%s sent after %s, want %s", tt.want, at, tt.at)
			}
		})
	}
}

func TestFlowCondition(t *testing.T) {
	nodes := `
		"gold": {"type": "condition", "expr": "user.attributes.tier == \"gold\"", "then": "vip", "else": "regular"},
		"vip": {"type": "send", "channel": "push", "template": "vip_offer", "next": "done"},
		"regular": {"type": "send", "channel": "email", "template": "cart_offer", "next": "done"},
		` + done
	for attrs, want := range map[string]string{
		`{"tier": "gold"}`:   "vip",
		`{"tier": "silver"}`: "regular",
		`{}`:                 "regular", // an attribute the user lacks: the condition does not hold
	} {
		j := flow("gold", nodes)
		j.Profile.Attributes = json.RawMessage(attrs)

		out := j.Run(t)

		if got := out.Store.Story(); !slices.Equal(got, []string{"enrolled", "sent:" + want, "exited"}) {
			t.Errorf("attributes %s: story = %v, want the %s send", attrs, got, want)
		}
	}
}

func TestFlowSplit(t *testing.T) {
	nodes := `
		"offer": {"type": "split", "arms": [
			{"name": "ten", "weight": 1, "next": "push-ten"},
			{"name": "twenty", "weight": 1, "next": "push-twenty"},
			{"name": "off", "weight": 0, "next": "done"}]},
		"push-ten": {"type": "send", "channel": "push", "template": "ten", "next": "done"},
		"push-twenty": {"type": "send", "channel": "push", "template": "twenty", "next": "done"},
		` + done
	arms := []journey.Arm{{Name: "ten", Weight: 1}, {Name: "twenty", Weight: 1}, {Name: "off", Weight: 0}}
	taken := map[string]int{}
	for i := range 12 {
		j := flow("offer", nodes)
		j.Profile.ID = fmt.Sprintf("u%d", i)

		out := j.Run(t)

		es := out.Store.Entries()
		variant := es[min(len(es)-1, slices.IndexFunc(es, func(e reporting.Entry) bool { return e.Kind != reporting.KindNode && e.Step > 0 }))]
		arm := variant.Detail
		taken[arm]++
		if variant.Kind != reporting.KindVariant || variant.StepID != "offer" {
			t.Fatalf("%s: second entry %+v, want the split's variant first", j.Profile.ID, variant)
		}
		if want := journey.Assign(journey.Input{JourneyID: "j1", UserID: j.Profile.ID}, "offer", arms).Name; arm != want {
			t.Errorf("%s took %s, want %s: the arm must be the user's sticky one", j.Profile.ID, arm, want)
		}
		if got, want := out.Store.Story(), []string{"enrolled", "variant:offer", "sent:push-" + arm, "exited"}; !slices.Equal(got, want) {
			t.Errorf("%s: story = %v, want %v", j.Profile.ID, got, want)
		}
		if want := []string{"offer=" + arm}; !slices.Equal(out.State.Variants, want) {
			t.Errorf("%s: state variants %v, want %v", j.Profile.ID, out.State.Variants, want)
		}
	}
	if taken["ten"] == 0 || taken["twenty"] == 0 || taken["off"] != 0 {
		t.Errorf("arms taken %v, want both weighted arms and never the one of weight 0", taken)
	}
}

func TestFlowUpdateProfile(t *testing.T) {
	out := flow("tag", `
		"tag": {"type": "update_profile", "set": {"winback_tier": "vip", "winback_score": 3}, "next": "is-vip"},
		"is-vip": {"type": "condition", "expr": "user.attributes.winback_tier == \"vip\" && user.attributes.winback_score == 3", "then": "vip", "else": "done"},
		"vip": {"type": "send", "channel": "sms", "template": "vip_offer", "next": "done"},
		`+done).Run(t)

	if got, want := out.Store.Story(), []string{"enrolled", "profile_updated:tag", "sent:vip", "exited"}; !slices.Equal(got, want) {
		t.Errorf("story = %v, want %v", got, want)
	}
	var attrs map[string]any
	_ = json.Unmarshal(out.Store.Profile("u1").Attributes, &attrs)
	if attrs["winback_tier"] != "vip" || attrs["first_name"] != "Sara" {
		t.Errorf("attributes = %v, want winback_tier set and first_name kept", attrs)
	}
}

// twoPushes waits a day, pushes, waits a day, pushes again, then waits a
// day and ends.
const twoPushes = `
	"wait1": {"type": "wait", "duration": "24h", "next": "push1"},
	"push1": {"type": "send", "channel": "push", "template": "cart_offer", "next": "wait2"},
	"wait2": {"type": "wait", "duration": "24h", "next": "push2"},
	"push2": {"type": "send", "channel": "push", "template": "cart_offer", "next": "wait3"},
	"wait3": {"type": "wait", "duration": "24h", "next": "done"},
	` + done

func TestFlowEnds(t *testing.T) {
	tests := []struct {
		name   string
		script []kittest.At
		want   journey.Result
		story  []string
	}{
		{"a purchase converts at any point", []kittest.At{kittest.Event(day+time.Hour, "purchase", nil)},
			journey.Result{Status: "converted"}, []string{"enrolled", "sent:push1", "converted:push1"}},
		{"an exit event ends it", []kittest.At{kittest.Event(day+time.Hour, "cart_emptied", nil)},
			journey.Result{Status: "exited", Reason: "cart_emptied"}, []string{"enrolled", "sent:push1", "exited"}},
		{"a removal ends it", []kittest.At{kittest.Control(day+time.Hour, journey.ControlRemove, "support request")},
			journey.Result{Status: "removed", Reason: "removed: support request"}, []string{"enrolled", "sent:push1", "exited"}},
		{"the exit node ends it", nil,
			journey.Result{Status: "exited", Reason: "finished"}, []string{"enrolled", "sent:push1", "sent:push2", "exited"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := flow("wait1", twoPushes, tt.script...)
			j.Input.ExitEvents = []string{"cart_emptied"}

			out := j.Run(t)

			if got := out.Result; got.Status != tt.want.Status || (tt.want.Reason != "" && got.Reason != tt.want.Reason) {
				t.Errorf("result = %+v, want %+v", got, tt.want)
			}
			if got := out.Store.Story(); !slices.Equal(got, tt.story) {
				t.Errorf("story = %v, want %v", got, tt.story)
			}
		})
	}
}

func TestFlowStepLimit(t *testing.T) {
	// A loop with a wait on it is a valid flow; nothing but the step limit
	// ends a run that never converts.
	out := flow("tick", `
		"tick": {"type": "wait", "duration": "1h", "next": "tock"},
		"tock": {"type": "condition", "expr": "user.exists", "then": "tick", "else": "done"},
		`+done).Run(t)

	if out.Result != (journey.Result{Status: "exited", Reason: workflows.StepLimitReason}) {
		t.Errorf("result = %+v, want exited for the step limit", out.Result)
	}
	if !strings.Contains(workflows.StepLimitReason, "1000 steps") {
		t.Errorf("reason %q does not say the limit", workflows.StepLimitReason)
	}
	// 1,000 steps: 500 waits of an hour, each with its jitter.
	if hours := workflows.MaxFlowSteps / 2; out.Elapsed < time.Duration(hours)*time.Hour || out.Elapsed > time.Duration(hours)*(time.Hour+time.Minute) {
		t.Errorf("ended after %s, want after %d waits of an hour", out.Elapsed, hours)
	}
}

func TestFlowKeepsItsVersion(t *testing.T) {
	typ, _ := workflows.Lookup("flow")
	v1 := flowConfig("wait1", twoPushes)
	// Version 2 moves the second push to SMS and drops the last wait.
	v2, err := typ.Config(json.RawMessage(flowConfig("wait1", `
		"wait1": {"type": "wait", "duration": "24h", "next": "push1"},
		"push1": {"type": "send", "channel": "push", "template": "cart_offer", "next": "wait2"},
		"wait2": {"type": "wait", "duration": "1h", "next": "push2"},
		"push2": {"type": "send", "channel": "sms", "template": "cart_final_offer", "next": "done"},
		`+done)))
	if err != nil {
		t.Fatal(err)
	}
	js := &journeyState{journey: reporting.Journey{ID: "j1", Status: reporting.JourneyActive, Version: 1}}
	j := flow("wait1", twoPushes, kittest.Do(12*time.Hour, func() {
		js.set(func(j *reporting.Journey) { j.Version, j.Config = 2, v2 })
	}))
	j.Config = v1
	j.Store = kittest.NewStore(sara)
	j.Store.JourneyFn = js.get

	out := j.Run(t)

	if got, want := out.Outbox.Channels(), []channels.Channel{"push", "push"}; !slices.Equal(got, want) {
		t.Errorf("sent on %v, want %v: the run keeps version 1", got, want)
	}
	for _, e := range out.Store.Entries() {
		if e.Version != 1 {
			t.Errorf("entry %s:%s ran under version %d, want 1", e.Kind, e.StepID, e.Version)
		}
	}
	if out.Elapsed < 3*day {
		t.Errorf("ended after %s, want the three days of version 1", out.Elapsed)
	}
}

func TestFlowPlan(t *testing.T) {
	typ, _ := workflows.Lookup("flow")
	plan := func(start, nodes string) workflows.Plan {
		raw, err := typ.Config(json.RawMessage(flowConfig(start, nodes)))
		if err != nil {
			t.Fatal(err)
		}
		return typ.Plan(raw)
	}
	events := `
		"watch": {"type": "wait_for_event", "event": "checkout", "timeout": "48h", "next": "again", "on_timeout": "push1"},
		"again": {"type": "wait_for_event", "event": "app_open", "timeout": "1h", "next": "push1", "on_timeout": "push2"},
		"push1": {"type": "send", "channel": "push", "template": "cart_offer", "next": "push2"},
		"push2": {"type": "send", "channel": "sms", "template": "cart_final_offer", "fallback": "email", "next": "done"},
		` + done
	p := plan("watch", events)
	if !slices.Equal(p.Events, []string{"app_open", "checkout"}) || p.FirstWait != 0 {
		t.Errorf("plan = %+v, want events app_open and checkout, and no first wait", p)
	}
	if !slices.Equal(p.Templates, []string{"cart_final_offer", "cart_offer"}) {
		t.Errorf("templates = %v, want those of both send nodes", p.Templates)
	}
	if p := plan("wait1", twoPushes); p.FirstWait != day {
		t.Errorf("first wait = %s, want the start node's day", p.FirstWait)
	}
	if p := plan("morning", `"morning": {"type": "wait", "until": "09:30", "next": "done"}, `+done); p.FirstWait != 0 {
		t.Errorf("first wait = %s, want none for a wait until a time of day", p.FirstWait)
	}
}
