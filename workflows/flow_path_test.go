package workflows_test

import (
	"slices"
	"testing"
	"time"

	"journeys/reporting"
	"journeys/workflows/journey/kittest"
)

// pathFlow branches every way a flow can: an awaited event, a condition
// and a split, then a send and an exit.
const pathFlow = `
	"watch": {"type": "wait_for_event", "event": "checkout_started", "timeout": "24h", "next": "push1", "on_timeout": "gold"},
	"gold":  {"type": "condition", "expr": "user.attributes.tier == \"gold\"", "then": "offer", "else": "push1"},
	"offer": {"type": "split", "arms": [{"name": "ten", "weight": 1, "next": "push1"}, {"name": "twenty", "weight": 0, "next": "done"}]},
	"push1": {"type": "send", "channel": "push", "template": "cart_offer", "next": "done"},
	` + done

// TestFlowLogsItsPath shows the log of a flow run holding every node the
// run entered, in order, and the way it left those that branch, which is
// what the report's nodes are counted from.
func TestFlowLogsItsPath(t *testing.T) {
	gold := sara
	gold.Attributes = []byte(`{"tier": "gold"}`)
	cases := []struct {
		name   string
		script []kittest.At
		user   reporting.User
		path   []string
		story  []string
	}{
		{"timed out, gold", nil, gold,
			[]string{"watch:timeout", "gold:then", "offer", "push1", "done"},
			[]string{"enrolled", "variant:offer", "sent:push1", "exited"}},
		{"timed out, silver", nil, sara,
			[]string{"watch:timeout", "gold:else", "push1", "done"},
			[]string{"enrolled", "sent:push1", "exited"}},
		{"checked out", []kittest.At{kittest.Event(time.Hour, "checkout_started", nil)}, gold,
			[]string{"watch:event", "push1", "done"},
			[]string{"enrolled", "sent:push1", "exited"}},
		{"bought while waiting", []kittest.At{kittest.Event(time.Hour, "purchase", nil)}, gold,
			[]string{"watch"},
			[]string{"enrolled", "converted"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := flow("watch", pathFlow, c.script...)
			j.Profile = c.user
			out := j.Run(t)
			if got := out.Store.Path(); !slices.Equal(got, c.path) {
				t.Errorf("path = %v, want %v", got, c.path)
			}
			if got := out.Store.Story(); !slices.Equal(got, c.story) {
				t.Errorf("story = %v, want %v", got, c.story)
			}
			for _, e := range out.Store.Entries() {
				if e.Kind == reporting.KindNode && e.Detail == "" {
					t.Errorf("node entry %+v does not say the node's type", e)
				}
			}
		})
	}
}
