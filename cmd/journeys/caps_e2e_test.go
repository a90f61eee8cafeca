package main

import (
	"slices"
	"testing"

	"journeys/reporting"
)

// TestFrequencyCapsEndToEnd sets a cap of one push a day over HTTP, then
// one add_to_cart enters a user into two marketing journeys and a
// transactional one, whose first pushes fall due at the same instant: one
// marketing push goes, the other is skipped for the cap and its journey
// goes on, the transactional one goes regardless, and the report counts
// the skip by its reason.
func TestFrequencyCapsEndToEnd(t *testing.T) {
	s := startStack(t)
	caps := []map[string]any{{"channel": "push", "max": 1, "per": "24h"}, {"channel": "any", "max": 5, "per": "168h"}}
	var got []map[string]any
	s.mustCall("PUT", "/v1/frequency-caps", caps, 200, &got)
	s.mustCall("GET", "/v1/frequency-caps", nil, 200, &got)
	if len(got) != 2 || got[0]["channel"] != "push" || got[1]["per"] != "168h" {
		t.Fatalf("GET /v1/frequency-caps = %v, want %v", got, caps)
	}

	s.mustCall("PUT", "/v1/users/u1", map[string]any{"push_token": "tok-1", "email": "u1@example.com"}, 200, nil)
	journeys := []string{"cart-a", "cart-b", "receipt"}
	for _, id := range journeys {
		j := cartJourney(id, map[string]any{"entry_event": "add_to_cart", "transactional": id == "receipt"})
		j["config"] = map[string]any{
			"touches":    []map[string]string{{"after": "1s", "channel": "push", "template": "cart_offer"}},
			"final_wait": "1s",
		}
		s.mustCall("POST", "/v1/journeys", j, 201, nil)
	}
	if a := s.event("cart-1", "u1", "add_to_cart"); len(a.Entries) != 3 {
		t.Fatalf("add_to_cart entered %v, want all three journeys", a.Entries)
	}

	runs := map[string]enrollment{}
	for _, id := range journeys {
		runs[id] = s.waitFor(id, "u1", ended)
		if e := runs[id]; e.Status != "exited" || e.ExitReason != "not_converted" {
			t.Errorf("%s: %s %q %v, want exited not_converted: a capped send does not end the journey", id, e.Status, e.ExitReason, e.story())
		}
	}
	var sent, capped []string
	for _, id := range []string{"cart-a", "cart-b"} {
		for _, x := range runs[id].Timeline {
			switch {
			case x.Kind == reporting.KindSent:
				sent = append(sent, id)
			case x.Kind == reporting.KindSkipped && x.Detail == "frequency_cap":
				capped = append(capped, id)
			}
		}
	}
	if len(sent) != 1 || len(capped) != 1 {
		t.Fatalf("marketing pushes sent by %v and capped in %v; want one of each", sent, capped)
	}
	if got, want := runs["receipt"].story(), []string{"enrolled", "sent:push", "exited"}; !slices.Equal(got, want) {
		t.Errorf("transactional journey: %v, want %v", got, want)
	}
	var r reporting.Report
	s.mustCall("GET", "/v1/journeys/"+capped[0]+"/report", nil, 200, &r)
	if len(r.Funnel) != 1 || r.Funnel[0].Skipped != 1 || r.Funnel[0].SkippedByReason["frequency_cap"] != 1 {
		t.Errorf("%s report funnel = %+v, want its one step skipped for frequency_cap", capped[0], r.Funnel)
	}
}
