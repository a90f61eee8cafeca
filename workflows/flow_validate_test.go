package workflows_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"journeys/workflows"
	"journeys/workflows/journey"
)

// chain is a flow of n nodes: n-1 waits of an hour, then an exit.
func chain(n int) string {
	var nodes []string
	for i := 1; i < n; i++ {
		next := fmt.Sprintf("w%d", i+1)
		if i == n-1 {
			next = "done"
		}
		nodes = append(nodes, fmt.Sprintf(`"w%d": {"type": "wait", "duration": "1h", "next": %q}`, i, next))
	}
	return flowConfig("w1", strings.Join(append(nodes, done), ","))
}

func TestFlowValidation(t *testing.T) {
	// send is a valid send node going to next.
	send := func(id, next string) string {
		return fmt.Sprintf(`%q: {"type": "send", "channel": "push", "template": "cart_offer", "next": %q}`, id, next)
	}
	// with is a flow starting at s, a send to done, after the given nodes.
	with := func(nodes string) string { return flowConfig("s", send("s", "n1")+","+nodes+","+done) }
	tests := []struct {
		name, config, field, message string
	}{
		{"the seed plan", flowConfig("wait1", twoPushes), "", ""},
		{"200 nodes", chain(200), "", ""},
		{"a loop with a wait on it", with(`"n1": {"type": "wait", "duration": "1h", "next": "n2"}, "n2": {"type": "condition", "expr": "user.exists", "then": "n1", "else": "done"}`), "", ""},
		{"a loop through an awaited event", with(`"n1": {"type": "wait_for_event", "event": "app_open", "timeout": "1h", "next": "s", "on_timeout": "done"}`), "", ""},

		{"more than 200 nodes", chain(201), "nodes", "at most 200"},
		{"no nodes", `{"start": "a", "nodes": {}}`, "nodes", "at least one node"},
		{"nodes that are not an object", `{"start": "a", "nodes": []}`, "nodes", "object of nodes"},
		{"no start", flowConfig("", send("s", "done")+","+done), "start", "is required"},
		{"a start that is not a node", flowConfig("nope", send("s", "done")+","+done), "start", `"nope" is not a node`},
		{"a setting flows do not have", `{"start": "done", "colour": "red", "nodes": {` + done + `}}`, "colour", "not a setting"},
		{"a node id that is not a step id", flowConfig("Push 1", `"Push 1": {"type": "exit", "reason": "x"}`), "nodes.Push 1", "lower-case"},
		{"a node that is not an object", with(`"n1": 5`), "nodes.n1", "node object"},

		{"an unknown node type", with(`"n1": {"type": "teleport", "next": "done"}`), "nodes.n1.type", `"teleport" is not a node type; use one of condition, exit, send, split, update_profile, wait, wait_for_event`},
		{"a node without a type", with(`"n1": {"next": "done"}`), "nodes.n1.type", `"" is not a node type`},
		{"a setting of another node type", with(`"n1": {"type": "wait", "duration": "1h", "channel": "push", "next": "done"}`), "nodes.n1.channel", "not a setting of a wait node, which takes duration, until, next"},
		{"an id on a send node", flowConfig("s", `"s": {"type": "send", "id": "s", "channel": "push", "template": "t", "next": "done"},`+done), "nodes.s.id", "not a setting of a send node"},
		{"next pointing nowhere", with(`"n1": {"type": "wait", "duration": "1h", "next": "nowhere"}`), "nodes.n1.next", `"nowhere" is not a node of this flow`},
		{"next missing", with(`"n1": {"type": "wait", "duration": "1h"}`), "nodes.n1.next", "is required"},
		{"an else pointing nowhere", with(`"n1": {"type": "condition", "expr": "true", "then": "done", "else": "nowhere"}`), "nodes.n1.else", "not a node"},
		{"an arm pointing nowhere", with(`"n1": {"type": "split", "arms": [{"name": "a", "weight": 1, "next": "done"}, {"name": "b", "weight": 1, "next": "nowhere"}]}`), "nodes.n1.arms[1].next", "not a node"},
		{"on_timeout missing", with(`"n1": {"type": "wait_for_event", "event": "checkout", "timeout": "1h", "next": "done"}`), "nodes.n1.on_timeout", "is required"},
		{"an unreachable node", with(`"n1": {"type": "wait", "duration": "1h", "next": "done"}, "orphan": {"type": "exit", "reason": "never"}`), "nodes.orphan", `not reachable from start "s"`},

		{"a loop with no wait on it", with(`"n1": {"type": "condition", "expr": "user.exists", "then": "n2", "else": "done"}, ` + send("n2", "n1")), "nodes.n2.next", "closes the loop n1 → n2 → n1, which has no wait on it"},
		{"a send to itself", flowConfig("s", send("s", "s")), "nodes.s.next", "closes the loop s → s"},
		{"a split back to itself", with(`"n1": {"type": "split", "arms": [{"name": "a", "weight": 1, "next": "done"}, {"name": "b", "weight": 1, "next": "n1"}]}`), "nodes.n1.arms[1].next", "closes the loop n1 → n1"},

		{"weights that add up to nothing", with(`"n1": {"type": "split", "arms": [{"name": "a", "weight": 0, "next": "done"}, {"name": "b", "weight": 0, "next": "done"}]}`), "nodes.n1.arms", "add up to 0"},
		{"a negative weight", with(`"n1": {"type": "split", "arms": [{"name": "a", "weight": -1, "next": "done"}, {"name": "b", "weight": 2, "next": "done"}]}`), "nodes.n1.arms[0].weight", "between 0 and 1000"},
		{"a weight that is not a number", with(`"n1": {"type": "split", "arms": [{"name": "a", "weight": "half", "next": "done"}, {"name": "b", "weight": 1, "next": "done"}]}`), "nodes.n1.arms.weight", "must be a number, not string"},
		{"a single arm", with(`"n1": {"type": "split", "arms": [{"name": "a", "weight": 1, "next": "done"}]}`), "nodes.n1.arms", "2 to 10 arms"},
		{"two arms of one name", with(`"n1": {"type": "split", "arms": [{"name": "a", "weight": 1, "next": "done"}, {"name": "a", "weight": 1, "next": "done"}]}`), "nodes.n1.arms[1].name", "names another arm"},

		{"CEL that does not compile", with(`"n1": {"type": "condition", "expr": "user.attributes.tier ==", "then": "done", "else": "done"}`), "nodes.n1.expr", "Syntax error"},
		{"CEL that is not true or false", with(`"n1": {"type": "condition", "expr": "1 + 2", "then": "done", "else": "done"}`), "nodes.n1.expr", "not a true or false condition"},
		{"CEL over an unknown variable", with(`"n1": {"type": "condition", "expr": "users.tier == 1", "then": "done", "else": "done"}`), "nodes.n1.expr", "undeclared reference"},
		{"a condition without an expression", with(`"n1": {"type": "condition", "then": "done", "else": "done"}`), "nodes.n1.expr", "is required"},
		{"a send condition that does not compile", with(`"n1": {"type": "send", "channel": "push", "template": "t", "condition": "(", "next": "done"}`), "nodes.n1.condition", "Syntax error"},

		{"a wait without a duration", with(`"n1": {"type": "wait", "next": "done"}`), "nodes.n1", "needs duration"},
		{"a wait with both", with(`"n1": {"type": "wait", "duration": "1h", "until": "09:30", "next": "done"}`), "nodes.n1.until", "not both"},
		{"a wait that is not a duration", with(`"n1": {"type": "wait", "duration": "1d", "next": "done"}`), "nodes.n1.duration", `"1d" is not a duration`},
		{"a wait of nothing", with(`"n1": {"type": "wait", "duration": "0s", "next": "done"}`), "nodes.n1.duration", "positive"},
		{"a time of day that is not one", with(`"n1": {"type": "wait", "until": "9am", "next": "done"}`), "nodes.n1.until", "not a time of day"},
		{"an awaited event without a name", with(`"n1": {"type": "wait_for_event", "timeout": "1h", "next": "done", "on_timeout": "done"}`), "nodes.n1.event", "is required"},
		{"an awaited event without a timeout", with(`"n1": {"type": "wait_for_event", "event": "checkout", "next": "done", "on_timeout": "done"}`), "nodes.n1.timeout", "is required"},
		{"a match with spaces", with(`"n1": {"type": "wait_for_event", "event": "checkout", "match": " cart_id", "timeout": "1h", "next": "done", "on_timeout": "done"}`), "nodes.n1.match", "surrounding spaces"},
		{"a send without a channel", with(`"n1": {"type": "send", "next": "done"}`), "nodes.n1.channel", "is required"},
		{"a send on no channel we have", with(`"n1": {"type": "send", "channel": "fax", "template": "t", "next": "done"}`), "nodes.n1.channel", `"fax" is not a channel`},
		{"a send without a template", with(`"n1": {"type": "send", "channel": "push", "next": "done"}`), "nodes.n1.template", "is required"},
		{"an offer out of range", with(`"n1": {"type": "send", "channel": "push", "template": "t", "offer": {"discount_percent": 120}, "next": "done"}`), "nodes.n1.offer.discount_percent", "between 0 and 100"},
		{"an offer that is not one", with(`"n1": {"type": "send", "channel": "push", "template": "t", "offer": "yes", "next": "done"}`), "nodes.n1.offer", "true, false or an offer"},
		{"a profile update that sets nothing", with(`"n1": {"type": "update_profile", "set": {}, "next": "done"}`), "nodes.n1.set", "at least one attribute"},
		{"an exit without a reason", flowConfig("done", `"done": {"type": "exit"}`), "nodes.done.reason", "is required"},
		{"a journey offer out of range", `{"start": "done", "offer": {"cashback_percent": 101}, "nodes": {` + done + `}}`, "offer.cashback_percent", "between 0 and 100"},
	}
	typ, _ := workflows.Lookup("flow")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := typ.Config(json.RawMessage(tt.config))
			if tt.field == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var cerr *journey.ConfigError
			if !errors.As(err, &cerr) {
				t.Fatalf("err = %v, want a ConfigError for %s", err, tt.field)
			}
			if cerr.Field != tt.field || !strings.Contains(cerr.Message, tt.message) {
				t.Errorf("error %q, want field %s with %q", cerr, tt.field, tt.message)
			}
		})
	}
}
