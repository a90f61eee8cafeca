package main

import (
	"fmt"
	"testing"
	"time"

	"journeys/reporting"
)

// branchingFlow waits for a checkout (thanks those who start one), sends
// the others down a condition on their tier, gold users through a split,
// then everyone still there gets a push and a long last wait to buy (which
// an exit event or the purchase ends).
var branchingFlow = map[string]any{"start": "watch", "nodes": map[string]any{
	"watch":  map[string]any{"type": "wait_for_event", "event": "checkout_started", "timeout": "20s", "next": "thanks", "on_timeout": "gold"},
	"thanks": map[string]any{"type": "send", "channel": "email", "template": "cart_offer", "offer": true, "next": "done"},
	"gold":   map[string]any{"type": "condition", "expr": `user.attributes.tier == "gold"`, "then": "offer", "else": "push"},
	"offer": map[string]any{"type": "split", "arms": []map[string]any{
		{"name": "ten", "weight": 1, "next": "push"}, {"name": "twenty", "weight": 1, "next": "push"}}},
	"push": map[string]any{"type": "send", "channel": "push", "template": "cart_offer", "offer": true, "next": "last"},
	"last": map[string]any{"type": "wait", "duration": "24h", "next": "done"},
	"done": map[string]any{"type": "exit", "reason": "finished"},
}}

// TestFlowReportNodesAddUp runs 100 users through a branching flow: some
// check out, the rest split on their tier, gold users through a split, a
// tenth have no push token; after the push some buy, and the others empty
// their cart. The users are steered by events only once their run is
// where the event is meant for, so the counts do not hang on timing. The report's
// nodes count each user where they went, and the counts add up: into a
// node as out of the nodes before it, out of a branch as into it.
func TestFlowReportNodesAddUp(t *testing.T) {
	s := startStack(t)
	s.mustCall("POST", "/v1/journeys", map[string]any{"id": "paths", "name": "Paths", "type": "flow", "goal_event": "purchase",
		"exit_events": []string{"cart_emptied"}, "config": branchingFlow}, 201, nil)

	const n = 100
	checksOut := func(i int) bool { return i%5 == 0 }
	gold := func(i int) bool { return i%2 == 0 }
	noToken := func(i int) bool { return i%10 == 3 }
	buys := func(i int) bool { return i%7 == 1 && !checksOut(i) }
	var ids []string
	for i := range n {
		u := fmt.Sprintf("p%03d", i)
		profile := map[string]any{"email": u + "@example.com", "push_token": "tok-" + u,
			"attributes": map[string]string{"tier": map[bool]string{true: "gold", false: "silver"}[gold(i)]}}
		if noToken(i) {
			delete(profile, "push_token")
		}
		s.mustCall("PUT", "/v1/users/"+u, profile, 200, nil)
		ids = append(ids, u)
	}
	// Those who check out do so as soon as they are enrolled, well within
	// the wait; the others are enrolled at once.
	var others []string
	for i, u := range ids {
		if !checksOut(i) {
			others = append(others, u)
			continue
		}
		s.mustCall("POST", "/v1/journeys/paths/enrollments", map[string]string{"user_id": u}, 202, nil)
		s.postEvent("co-"+u, u, "checkout_started", nil)
	}
	for len(others) > 0 {
		page := others[:min(40, len(others))]
		others = others[len(page):]
		s.enrollBatch("paths", page)
	}

	// Once the others wait at the last node, the buyers buy and the rest
	// empty their carts.
	var events []map[string]any
	want := map[string]int{}
	for i, u := range ids {
		switch {
		case checksOut(i):
			want["thanks"]++
			continue
		case gold(i):
			want["gold:then"]++
		default:
			want["gold:else"]++
		}
		if noToken(i) {
			want["push:skipped"]++
		}
		s.waitFlow("paths", u, func(r flowRun) bool { return r.entered("last") })
		if buys(i) {
			events = append(events, map[string]any{"event_id": "buy-" + u, "user_id": u, "name": "purchase",
				"properties": map[string]any{"revenue": 10}})
			want["buyers"]++
		} else {
			events = append(events, map[string]any{"event_id": "empty-" + u, "user_id": u, "name": "cart_emptied"})
		}
	}
	s.mustCall("POST", "/v1/events/batch", map[string]any{"events": events}, 200, nil)
	for _, u := range ids {
		s.waitFlow("paths", u, func(r flowRun) bool { return r.Status != "active" })
	}

	var r reporting.Report
	s.mustCall("GET", "/v1/journeys/paths/report", nil, 200, &r)
	nodes := map[string]reporting.Node{}
	order := []string{}
	for _, node := range r.Nodes {
		nodes[node.ID] = node
		order = append(order, node.ID)
	}
	if fmt.Sprint(order) != "[watch thanks gold done offer push last]" {
		t.Errorf("nodes in order %v, want the flow's from start, breadth first", order)
	}
	timedOut := n - want["thanks"]
	checks := []struct {
		name      string
		got, want int
	}{
		{"enrolled", r.Enrolled, n},
		{"converted", r.Converted, want["buyers"]},
		{"watch reached", nodes["watch"].Reached, n},
		{"watch checkouts", nodes["watch"].Branches["event"], want["thanks"]},
		{"watch timed out", nodes["watch"].TimedOut, timedOut},
		{"thanks reached", nodes["thanks"].Reached, want["thanks"]},
		{"thanks sent", nodes["thanks"].Sent, want["thanks"]},
		{"gold reached", nodes["gold"].Reached, timedOut},
		{"gold then", nodes["gold"].Branches["then"], want["gold:then"]},
		{"gold else", nodes["gold"].Branches["else"], want["gold:else"]},
		{"offer reached", nodes["offer"].Reached, want["gold:then"]},
		{"offer arms", nodes["offer"].Branches["ten"] + nodes["offer"].Branches["twenty"], want["gold:then"]},
		{"push reached", nodes["push"].Reached, timedOut},
		{"push sent", nodes["push"].Sent, timedOut - want["push:skipped"]},
		{"push skipped", nodes["push"].Skipped, want["push:skipped"]},
		{"push converted after", nodes["push"].ConvertedAfter, want["buyers"]},
		{"last reached", nodes["last"].Reached, timedOut},
		{"done reached", nodes["done"].Reached, want["thanks"]},
		{"exited finished", r.ExitReasons["finished"], want["thanks"]},
		{"exited cart_emptied", r.ExitReasons["cart_emptied"], timedOut - want["buyers"]},
		{"last converted after", nodes["last"].ConvertedAfter, want["buyers"]},
		{"watch converted after", nodes["watch"].ConvertedAfter, want["buyers"]},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if nodes["offer"].Branches["ten"] == 0 || nodes["offer"].Branches["twenty"] == 0 {
		t.Errorf("offer arms %v, want both taken", nodes["offer"].Branches)
	}
	// Into each node as many runs as came out of the nodes before it; out
	// of each node no more than went in.
	into := map[string]int{}
	for _, node := range r.Nodes {
		out := 0
		for to, k := range node.Next {
			into[to] += k
			out += k
		}
		if out > node.Visits {
			t.Errorf("%s: %d runs went on from %d visits", node.ID, out, node.Visits)
		}
	}
	for _, node := range r.Nodes {
		if node.ID != "watch" && into[node.ID] != node.Visits {
			t.Errorf("%s: %d visits, but %d runs came in", node.ID, node.Visits, into[node.ID])
		}
	}
	if into["push"] != timedOut || len(nodes["last"].Next) != 0 {
		t.Errorf("into push %d, want %d; out of last %v, want none (its runs ended there)", into["push"], timedOut, nodes["last"].Next)
	}

	// The one variant of the flow, its split, with its arms.
	if len(r.Variants) != 1 || r.Variants[0].Name != "offer" || len(r.Variants[0].Arms) != 2 || r.Variants[0].Arms[0].Name != "ten" ||
		r.Variants[0].Arms[0].Enrolled+r.Variants[0].Arms[1].Enrolled != want["gold:then"] {
		t.Errorf("variants %+v, want offer's ten and twenty sharing the %d gold users", r.Variants, want["gold:then"])
	}

	// Version 1 is every run; there is no version 2.
	var v1 reporting.Report
	s.mustCall("GET", "/v1/journeys/paths/report?version=1", nil, 200, &v1)
	if v1.Version == nil || *v1.Version != 1 || fmt.Sprint(v1.Nodes) != fmt.Sprint(r.Nodes) {
		t.Errorf("version 1 report: version %v, nodes differ from all versions': %v", v1.Version, v1.Nodes)
	}
	var refused struct {
		Error struct{ Code, Message string }
	}
	if got := s.call("GET", "/v1/journeys/paths/report?version=2", nil, &refused); got != 400 || refused.Error.Code != "invalid" {
		t.Errorf("version 2 of a journey at version 1 = %d %+v, want 400 invalid", got, refused)
	}
	t.Logf("%d runs: %d checked out, gold %d (ten %d, twenty %d), silver %d, %d skipped push, %d bought",
		n, want["thanks"], want["gold:then"], nodes["offer"].Branches["ten"], nodes["offer"].Branches["twenty"], want["gold:else"], want["push:skipped"], want["buyers"])
}

// enrollBatch enrolls users in a batch, asking again while Temporal is too
// busy to answer (503), as the API says a client may: enrollment is
// idempotent.
func (s *stack) enrollBatch(journeyID string, users []string) {
	s.t.Helper()
	for try := 1; ; try++ {
		var out struct {
			Error struct{ Code, Message string }
		}
		switch got := s.call("POST", "/v1/journeys/"+journeyID+"/enrollments/batch", map[string]any{"user_ids": users}, &out); {
		case got == 200:
			return
		case got != 503 || try == 5:
			s.t.Fatalf("batch enrollment = %d %+v, want 200", got, out)
		}
		time.Sleep(time.Second)
	}
}
