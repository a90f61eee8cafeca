package workflows_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"journeys/reporting"
	"journeys/workflows"
	"journeys/workflows/journey/kittest"
)

// seedFlow is the product's seed plan written as a flow: watch for a day;
// push 10%; a day; email it; a day; 10% plus cashback by SMS; a last day;
// stop. A purchase at any point ends it: that is the journey's goal.
const seedFlow = `{"start": "watch", "nodes": {
	"watch":      {"type": "wait", "duration": "24h", "next": "push"},
	"push":       {"type": "send", "channel": "push", "template": "cart_offer", "offer": true, "next": "wait-email"},
	"wait-email": {"type": "wait", "duration": "24h", "next": "email"},
	"email":      {"type": "send", "channel": "email", "template": "cart_offer", "offer": true, "next": "wait-sms"},
	"wait-sms":   {"type": "wait", "duration": "24h", "next": "sms"},
	"sms":        {"type": "send", "channel": "sms", "template": "cart_final_offer", "offer": true, "next": "last-day"},
	"last-day":   {"type": "wait", "duration": "24h", "next": "stop"},
	"stop":       {"type": "exit", "reason": "not_converted"}}}`

// timeline is a run's log as the equivalence compares it: every entry
// with its time after the enrollment.
func timeline(out kittest.Outcome) []string {
	es := out.Store.Entries()
	var lines []string
	for _, e := range es {
		if e.Kind == reporting.KindNode || e.Kind == reporting.KindBranch {
			continue // the path only a flow has
		}
		revenue := "-"
		if e.Revenue != nil {
			revenue = fmt.Sprint(*e.Revenue)
		}
		lines = append(lines, fmt.Sprintf("+%s %s step %d %q on %q template %q: %q (v%d, revenue %s)",
			e.At.Sub(es[0].At), e.Kind, e.Step, e.StepID, e.Channel, e.Template, e.Detail, e.Version, revenue))
	}
	return lines
}

// TestSeedPlanAsFlow runs the same user and events through the
// cart_abandonment type and through the seed plan written as a flow: the
// timelines, the messages and the outcomes are the same.
func TestSeedPlanAsFlow(t *testing.T) {
	purchase := func(after time.Duration) kittest.At {
		return kittest.Event(after, "purchase", map[string]any{"revenue": 120.0})
	}
	tests := []struct {
		name    string
		script  []kittest.At
		noEmail bool
		status  string
	}{
		{"buys before any message", []kittest.At{purchase(3 * time.Hour)}, false, "converted"},
		{"buys after the push", []kittest.At{purchase(day + 2*time.Hour)}, false, "converted"},
		{"buys after the email", []kittest.At{purchase(2*day + 5*time.Hour)}, false, "converted"},
		{"buys on the last day", []kittest.At{purchase(3*day + 20*time.Hour)}, false, "converted"},
		{"never buys", nil, false, "exited"},
		{"never buys and has no email", nil, true, "exited"},
		{"empties the cart", []kittest.At{kittest.Event(day+time.Hour, "cart_emptied", nil)}, false, "exited"},
	}
	start := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := func(typ, config string) kittest.Outcome {
				j := kittest.Journey{Type: typ, Config: config, Profile: sara, Script: tt.script, StartAt: start}
				j.Input.ExitEvents = []string{"cart_emptied"}
				if tt.noEmail {
					j.Profile.Email = ""
				}
				return j.Run(t)
			}
			cart := run("cart_abandonment", "")
			flow := run("flow", seedFlow)

			if cart.Result.Status != tt.status {
				t.Fatalf("cart_abandonment %s, want %s: the script does not test what it says", cart.Result.Status, tt.status)
			}
			if flow.Result != cart.Result || flow.Elapsed != cart.Elapsed {
				t.Errorf("flow %+v after %s, cart_abandonment %+v after %s", flow.Result, flow.Elapsed, cart.Result, cart.Elapsed)
			}
			if got, want := timeline(flow), timeline(cart); !slices.Equal(got, want) {
				t.Errorf("timelines differ\nflow:\n%s\ncart_abandonment:\n%s", lines(got), lines(want))
			}
			if got, want := flow.Outbox.Messages(), cart.Outbox.Messages(); !reflect.DeepEqual(got, want) {
				t.Errorf("messages differ\nflow: %+v\ncart_abandonment: %+v", got, want)
			}
		})
	}
}

func lines(ls []string) string {
	out := ""
	for _, l := range ls {
		out += "  " + l + "\n"
	}
	return out
}

// TestSeedPlanAsFlowPlan checks what the service reads of both configs:
// the templates that must exist and the first wait Temporal holds a
// run's start for.
func TestSeedPlanAsFlowPlan(t *testing.T) {
	plan := func(typ, config string) workflows.Plan {
		tp, _ := workflows.Lookup(typ)
		raw, err := tp.Config(json.RawMessage(config))
		if err != nil {
			t.Fatal(err)
		}
		return tp.Plan(raw)
	}
	if got, want := plan("flow", seedFlow), plan("cart_abandonment", ""); !reflect.DeepEqual(got, want) {
		t.Errorf("flow plan %+v, cart_abandonment plan %+v", got, want)
	}
}
