package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"journeys/reporting/dbtest"
)

// simulated is a simulator's answer.
type simulated struct {
	Path []struct {
		Node, Step, At, Action, Channel string
	}
	Outcome struct{ Status, Reason string }
}

// story reads the path as storyOf reads a real run's timeline.
func (s simulated) story() []string {
	var out []string
	for _, p := range s.Path {
		out = append(out, label(p.Action, p.Node+p.Step, p.Channel))
	}
	return out
}

// storyOf reads a real run's timeline as kind:step-id, with the channel
// of sends.
func storyOf(r flowRun) []string {
	var out []string
	for _, e := range r.Timeline {
		out = append(out, label(e.Kind, e.StepID, e.Channel))
	}
	return out
}

// label reads one entry of a run's log.
func label(kind, step, channel string) string {
	switch {
	case kind == "sent":
		return fmt.Sprintf("sent:%s on %s", step, channel)
	case step != "":
		return kind + ":" + step
	}
	return kind
}

// scenario is one user in one journey: their profile, and the event they
// do once the run reached a step (at the time the simulation is told).
type scenario struct {
	journey, user string
	profile       map[string]any
	// event, when set, is done once the run reached step; after is when
	// the simulation has the user do it.
	event, step, after string
	want               []string
}

// TestSimulatorMatchesRealRuns simulates users in a flow (an update, a
// condition, a split, a wait for an event) and in a cart-abandonment
// journey, then runs the same users through the whole service: every
// simulated path is the real timeline, no send is early, and the
// simulations sent nothing and wrote nothing.
func TestSimulatorMatchesRealRuns(t *testing.T) {
	p, withFakes := startFakeProviders(t)
	s := startStack(t, withFakes)
	s.mustCall("POST", "/v1/journeys", map[string]any{"id": "cart", "name": "Cart", "type": "cart_abandonment", "goal_event": "purchase",
		"config": map[string]any{"touches": []map[string]string{
			{"after": "3s", "channel": "push", "template": "cart_offer"},
			{"after": "3s", "channel": "email", "template": "cart_offer"},
			{"after": "3s", "channel": "sms", "template": "cart_final_offer"},
		}, "final_wait": "3s"}}, 201, nil)
	s.mustCall("POST", "/v1/journeys", map[string]any{"id": "flow", "name": "Flow", "type": "flow", "goal_event": "purchase",
		"config": map[string]any{"start": "tag", "nodes": map[string]any{
			"tag":    map[string]any{"type": "update_profile", "set": map[string]any{"winback": true}, "next": "gold"},
			"gold":   map[string]any{"type": "condition", "expr": `user.attributes.tier == "gold" && user.attributes.winback`, "then": "offer", "else": "push1"},
			"offer":  map[string]any{"type": "split", "arms": []map[string]any{{"name": "a", "weight": 1, "next": "push1"}, {"name": "b", "weight": 1, "next": "push1"}}},
			"push1":  map[string]any{"type": "send", "channel": "push", "template": "cart_offer", "offer": true, "next": "opened"},
			"opened": map[string]any{"type": "wait_for_event", "event": "app_open", "timeout": "6s", "next": "email1", "on_timeout": "sms1"},
			"email1": map[string]any{"type": "send", "channel": "email", "template": "cart_offer", "next": "done"},
			"sms1":   map[string]any{"type": "send", "channel": "sms", "template": "cart_final_offer", "next": "done"},
			"done":   map[string]any{"type": "exit", "reason": "finished"},
		}}}, 201, nil)
	profile := func(user, tier string) map[string]any {
		return map[string]any{"email": user + "@example.com", "phone": "+989120000000", "push_token": "tok-" + user,
			"attributes": map[string]string{"first_name": user, "tier": tier}}
	}
	// The events are done in this order: the opener's push goes at once,
	// the buyer's after 3s, and each has at least 3s to do theirs.
	scenarios := []scenario{
		{"flow", "opener", profile("opener", "gold"), "app_open", "push1", "1s",
			[]string{"enrolled", "profile_updated:tag", "branch:gold", "variant:offer", "sent:push1 on push", "branch:opened", "sent:email1 on email", "exited"}},
		{"flow", "silent", profile("silent", "silver"), "", "", "",
			[]string{"enrolled", "profile_updated:tag", "branch:gold", "sent:push1 on push", "branch:opened", "sent:sms1 on sms", "exited"}},
		{"cart", "buyer", profile("buyer", "gold"), "purchase", "push", "4s",
			[]string{"enrolled", "sent:push on push", "converted:push"}},
		{"cart", "never", profile("never", "gold"), "", "", "",
			[]string{"enrolled", "sent:push on push", "sent:email on email", "sent:sms on sms", "exited"}},
	}

	before := dbtest.Snapshot(t, s.store)
	sims := map[string]simulated{}
	for _, sc := range scenarios {
		body := map[string]any{"user_id": sc.user, "user": sc.profile}
		if sc.event != "" {
			body["events"] = []map[string]any{{"name": sc.event, "after": sc.after}}
		}
		var sim simulated
		s.mustCall("POST", "/v1/journeys/"+sc.journey+"/simulate", body, 200, &sim)
		// The flow's node entries aside, which the real runs compare below.
		got := slices.DeleteFunc(sim.story(), func(l string) bool { return strings.HasPrefix(l, "node:") })
		if !slices.Equal(got, sc.want) {
			t.Errorf("%s in %s: simulated %v, want %v", sc.user, sc.journey, got, sc.want)
		}
		sims[sc.user] = sim
	}
	if after := dbtest.Snapshot(t, s.store); after != before {
		t.Errorf("simulations changed the database:\nbefore %s\nafter  %s", before, after)
	}
	if n := len(p.fcm.Messages()) + len(p.mailbox.Mails()) + len(p.sms.Sent()) + len(p.hook.Received()); n != 0 {
		t.Errorf("simulations reached the providers %d times, want none", n)
	}

	for _, sc := range scenarios {
		s.mustCall("PUT", "/v1/users/"+sc.user, sc.profile, 200, nil)
		s.mustCall("POST", "/v1/journeys/"+sc.journey+"/enrollments", map[string]string{"user_id": sc.user}, 202, nil)
	}
	for _, sc := range scenarios {
		if sc.event != "" {
			s.waitFlow(sc.journey, sc.user, func(r flowRun) bool { return r.reached(sc.step) })
			s.event(sc.user+"-"+sc.event, sc.user, sc.event)
		}
	}
	for _, sc := range scenarios {
		real := s.waitFlow(sc.journey, sc.user, func(r flowRun) bool { return r.Status != "active" })
		sim := sims[sc.user]
		if got, want := storyOf(real), sim.story(); !slices.Equal(got, want) {
			t.Errorf("%s in %s: the real run went %v, the simulation %v", sc.user, sc.journey, got, want)
			continue
		}
		if real.Status != sim.Outcome.Status || real.ExitReason != sim.Outcome.Reason && sim.Outcome.Status == "exited" {
			t.Errorf("%s in %s: the real run ended %s %q, the simulation %+v", sc.user, sc.journey, real.Status, real.ExitReason, sim.Outcome)
		}
		// Timers never fire early: each real send of a user who does
		// nothing comes no sooner than the simulation says, less the
		// jitter of another enrollment id.
		enrolled := real.Timeline[0].At
		for i, e := range real.Timeline {
			at, err := time.ParseDuration(sim.Path[i].At)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.At.Sub(enrolled); e.Kind == "sent" && sc.event == "" && got < at-100*time.Millisecond {
				t.Errorf("%s in %s: %s:%s went at %s, the simulation says %s", sc.user, sc.journey, e.Kind, e.StepID, got, at)
			}
		}
	}
}
