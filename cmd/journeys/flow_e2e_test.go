package main

import (
	"fmt"
	"slices"
	"testing"

	"journeys/reporting"
)

// flowRun is a user's run of a flow as the enrollment API shows it.
type flowRun struct {
	Status     string            `json:"status"`
	ExitReason string            `json:"exit_reason"`
	WorkflowID string            `json:"workflow_id"`
	RunID      string            `json:"run_id"`
	Timeline   []reporting.Entry `json:"timeline"`
}

// story is the timeline as kind:step_id, and channel@version for sends.
func (r flowRun) story() []string {
	var out []string
	for _, e := range r.Timeline {
		switch {
		case e.Kind == reporting.KindNode || e.Kind == reporting.KindBranch:
			// The path a flow logs for its report.
		case e.Kind == reporting.KindSent:
			out = append(out, fmt.Sprintf("sent:%s on %s@v%d", e.StepID, e.Channel, e.Version))
		case e.StepID != "":
			out = append(out, e.Kind+":"+e.StepID)
		default:
			out = append(out, e.Kind)
		}
	}
	return out
}

// waitFlow polls the user's run until done says so.
func (s *stack) waitFlow(journeyID, userID string, done func(flowRun) bool) flowRun {
	s.t.Helper()
	var r flowRun
	s.waitFor(journeyID, userID, func(enrollment) bool {
		s.mustCall("GET", "/v1/journeys/"+journeyID+"/enrollments/"+userID, nil, 200, &r)
		return done(r)
	})
	return r
}

// entered reports whether the run entered node id.
func (r flowRun) entered(id string) bool {
	return slices.ContainsFunc(r.Timeline, func(e reporting.Entry) bool { return e.StepID == id && e.Kind == reporting.KindNode })
}

// reached reports whether the run did step: entering its node is not
// enough.
func (r flowRun) reached(step string) bool {
	return slices.ContainsFunc(r.Timeline, func(e reporting.Entry) bool {
		return e.StepID == step && e.Kind != reporting.KindNode && e.Kind != reporting.KindBranch
	})
}

// TestFlowEndToEnd runs a flow built through the API on the whole service:
// a profile update, a condition, a split and sends, with a purchase that
// ends one run half way, and a config change that running runs ignore.
func TestFlowEndToEnd(t *testing.T) {
	s := startStack(t)

	var refused struct {
		Error struct{ Code, Message string }
	}
	bad := map[string]any{"name": "Broken", "type": "flow", "goal_event": "purchase", "config": map[string]any{
		"start": "push1", "nodes": map[string]any{
			"push1": map[string]any{"type": "send", "channel": "push", "template": "cart_offer", "next": "nowhere"}}}}
	if got := s.call("POST", "/v1/journeys", bad, &refused); got != 400 || refused.Error.Code != "invalid" ||
		refused.Error.Message != `config.nodes.push1.next: "nowhere" is not a node of this flow` {
		t.Errorf("a flow linking to no node = %d %+v, want 400 naming nodes.push1.next", got, refused)
	}

	s.mustCall("POST", "/v1/journeys", map[string]any{"id": "winback", "name": "Winback", "type": "flow", "goal_event": "purchase",
		"config": map[string]any{"start": "tag", "nodes": map[string]any{
			"tag":    map[string]any{"type": "update_profile", "set": map[string]any{"winback": true}, "next": "gold"},
			"gold":   map[string]any{"type": "condition", "expr": `user.attributes.tier == "gold" && user.attributes.winback`, "then": "offer", "else": "push1"},
			"offer":  map[string]any{"type": "split", "arms": []map[string]any{{"name": "ten", "weight": 1, "next": "push1"}, {"name": "twenty", "weight": 1, "next": "push1"}}},
			"push1":  map[string]any{"type": "send", "channel": "push", "template": "cart_offer", "offer": true, "next": "wait1"},
			"wait1":  map[string]any{"type": "wait", "duration": "3s", "next": "email1"},
			"email1": map[string]any{"type": "send", "channel": "email", "template": "cart_offer", "offer": true, "next": "done"},
			"done":   map[string]any{"type": "exit", "reason": "finished"},
		}}}, 201, nil)
	for user, tier := range map[string]string{"gold": "gold", "silver": "silver", "buyer": "gold"} {
		s.mustCall("PUT", "/v1/users/"+user, map[string]any{"email": user + "@example.com", "push_token": "tok-" + user,
			"attributes": map[string]string{"tier": tier}}, 200, nil)
		s.mustCall("POST", "/v1/journeys/winback/enrollments", map[string]string{"user_id": user}, 202, nil)
	}
	s.waitFlow("winback", "buyer", func(r flowRun) bool { return r.reached("push1") })
	s.event("p-buyer", "buyer", "purchase")

	want := map[string][]string{
		"gold":   {"enrolled", "profile_updated:tag", "variant:offer", "sent:push1 on push@v1", "sent:email1 on email@v1", "exited"},
		"silver": {"enrolled", "profile_updated:tag", "sent:push1 on push@v1", "sent:email1 on email@v1", "exited"},
		"buyer":  {"enrolled", "profile_updated:tag", "variant:offer", "sent:push1 on push@v1", "converted:push1"},
	}
	for _, user := range []string{"gold", "silver", "buyer"} {
		r := s.waitFlow("winback", user, func(r flowRun) bool { return r.Status != "active" })
		if got := r.story(); !slices.Equal(got, want[user]) {
			t.Errorf("%s: %s %v, want %v", user, r.Status, got, want[user])
		}
		s.recordHistory("flow_paths_kit2_changes_"+user, r.WorkflowID, r.RunID)
		// What a run costs Temporal: a change that adds events to these
		// runs must say why here. Runs started before Input.Changes asked
		// for the "flow-path-log" version and took two more: its marker
		// and the search-attribute upsert the SDK makes with every marker
		// (workflows/testdata/flow_paths_kit2_localsend_*).
		if got, want := s.historyLength(r.WorkflowID, r.RunID), flowHistoryEvents[user]; got != want {
			t.Errorf("%s's run has %d history events, want %d", user, got, want)
		}
	}
}

// flowHistoryEvents is how many events each run of TestFlowEndToEnd
// takes.
var flowHistoryEvents = map[string]int{"gold": 29, "silver": 26, "buyer": 25}

// TestFlowRunKeepsItsVersion changes a flow while a run is half way: the
// run finishes on the version it started with, and a run that starts
// after the change takes the new one.
func TestFlowRunKeepsItsVersion(t *testing.T) {
	s := startStack(t)
	config := func(last string) map[string]any {
		return map[string]any{"start": "push1", "nodes": map[string]any{
			"push1": map[string]any{"type": "send", "channel": "push", "template": "cart_offer", "next": "wait1"},
			"wait1": map[string]any{"type": "wait", "duration": "2s", "next": "push2"},
			"push2": map[string]any{"type": "send", "channel": "push", "template": "cart_offer", "next": "wait2"},
			"wait2": map[string]any{"type": "wait", "duration": "2s", "next": "last"},
			"last":  map[string]any{"type": "send", "channel": last, "template": "cart_final_offer", "next": "done"},
			"done":  map[string]any{"type": "exit", "reason": "finished"},
		}}
	}
	s.mustCall("POST", "/v1/journeys", map[string]any{"id": "pinned", "name": "Pinned", "type": "flow", "goal_event": "purchase",
		"config": config("push")}, 201, nil)
	for _, user := range []string{"before", "after"} {
		s.mustCall("PUT", "/v1/users/"+user, map[string]any{"phone": "+989120000000", "push_token": "tok-" + user}, 200, nil)
	}
	s.mustCall("POST", "/v1/journeys/pinned/enrollments", map[string]string{"user_id": "before"}, 202, nil)
	s.waitFlow("pinned", "before", func(r flowRun) bool { return r.reached("push1") })
	var changed struct{ Journey reporting.Journey }
	s.mustCall("PATCH", "/v1/journeys/pinned", map[string]any{"config": config("sms")}, 200, &changed)
	if changed.Journey.Version != 2 {
		t.Fatalf("version after the change = %d, want 2", changed.Journey.Version)
	}
	s.mustCall("POST", "/v1/journeys/pinned/enrollments", map[string]string{"user_id": "after"}, 202, nil)

	want := map[string][]string{
		"before": {"enrolled", "sent:push1 on push@v1", "sent:push2 on push@v1", "sent:last on push@v1", "exited"},
		"after":  {"enrolled", "sent:push1 on push@v2", "sent:push2 on push@v2", "sent:last on sms@v2", "exited"},
	}
	for _, user := range []string{"before", "after"} {
		r := s.waitFlow("pinned", user, func(r flowRun) bool { return r.Status != "active" })
		if got := r.story(); !slices.Equal(got, want[user]) {
			t.Errorf("%s: %s %v, want %v", user, r.Status, got, want[user])
		}
	}
}
