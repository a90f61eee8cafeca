package reporting_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/lib/pq"

	"journeys/reporting"
	"journeys/reporting/dbtest"
)

func TestActiveEnrollmentsForEvent(t *testing.T) {
	s, _ := dbtest.New(t)
	ctx := dbtest.Ctx()
	create := func(j reporting.Journey) reporting.Journey {
		t.Helper()
		j.Name, j.Type, j.GoalEvent, j.Config = j.ID, "welcome_series", "purchase", json.RawMessage(`{}`)
		out, err := s.CreateJourney(ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// cart: goal and exit only. welcome: listens for activated. carts: one
	// run per cart, matched on cart_id. other: another user's run.
	cart := create(reporting.Journey{ID: "cart", ExitEvents: pq.StringArray{"cart_emptied"}})
	welcome := create(reporting.Journey{ID: "welcome", ListenedEvents: pq.StringArray{"activated"}})
	carts := create(reporting.Journey{ID: "carts", EntryEvent: "add_to_cart", Match: "cart_id",
		ExitEvents: pq.StringArray{"logged_out"}, ListenedEvents: pq.StringArray{"checkout_started"}})
	numbered := create(reporting.Journey{ID: "numbered", EntryEvent: "add_to_cart", Match: "cart_id"})
	unmatched := create(reporting.Journey{ID: "unmatched", EntryEvent: "add_to_cart", Match: "cart_id"})
	for _, c := range []reporting.Claim{
		claim(cart, "u1"), claim(welcome, "u1"), claim(cart, "u2"),
		{Journey: carts, UserID: "u1", WorkflowID: "w-carts", MatchValue: "c1"},
		{Journey: numbered, UserID: "u1", WorkflowID: "w-numbered", MatchValue: "7"},
		// Entered by an event without the property: every event reaches it.
		{Journey: unmatched, UserID: "u1", WorkflowID: "w-unmatched"},
	} {
		if _, _, err := s.ClaimEnrollment(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name, event, props string
		want               []string
	}{
		{"a goal reaches every journey with that goal, matched", "purchase", `{"cart_id":"c1"}`, []string{"cart", "welcome", "carts", "unmatched"}},
		{"a purchase of another cart reaches no run of the first", "purchase", `{"cart_id":"c2"}`, []string{"cart", "welcome", "unmatched"}},
		{"a purchase without a cart reaches no matched run", "purchase", `{}`, []string{"cart", "welcome", "unmatched"}},
		{"a number matches its text", "purchase", `{"cart_id":7.0}`, []string{"cart", "welcome", "numbered", "unmatched"}},
		{"a listened event reaches only the journeys that listen", "activated", `{}`, []string{"welcome"}},
		{"an awaited event is matched too", "checkout_started", `{"cart_id":"c2"}`, nil},
		{"an awaited event of the run's cart", "checkout_started", `{"cart_id":"c1"}`, []string{"carts"}},
		{"an exit event reaches the run whatever its cart", "logged_out", `{"cart_id":"c9"}`, []string{"carts"}},
		{"an exit event", "cart_emptied", `{}`, []string{"cart"}},
		{"an event nobody listens for reaches nothing", "page_view", `{"cart_id":"c1"}`, nil},
	}
	for _, tt := range tests {
		es, err := s.ActiveEnrollmentsForEvent(ctx, reporting.Event{UserID: "u1", Name: tt.event, Properties: json.RawMessage(tt.props)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range es {
			got = append(got, e.JourneyID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %s %s reached %v, want %v", tt.name, tt.event, tt.props, got, tt.want)
		}
	}
}

func TestJourneyControlsStored(t *testing.T) {
	s, _ := dbtest.New(t)
	ctx := dbtest.Ctx()
	window := &reporting.SendWindow{Days: []string{"mon", "tue"}, Start: "09:00", End: "21:00"}
	j, err := s.CreateJourney(ctx, reporting.Journey{ID: "w", Name: "W", Type: "welcome_series", GoalEvent: "purchase",
		EntryEvent: "signed_up", Config: json.RawMessage(`{}`), SendWindow: window, Transactional: true, Match: "account_id",
		ListenedEvents: pq.StringArray{"activated"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Journey(ctx, "w")
	if err != nil {
		t.Fatal(err)
	}
	if got.SendWindow == nil || !slices.Equal(got.SendWindow.Days, window.Days) || got.SendWindow.End != "21:00" ||
		!got.Transactional || got.Match != "account_id" || !slices.Equal(got.ListenedEvents, pq.StringArray{"activated"}) {
		t.Errorf("stored %+v, want the controls as created (%+v)", got, j)
	}

	// Controls alone leave the config and what it listens for alone.
	off, match := false, ""
	got, err = s.UpdateJourney(ctx, "w", reporting.JourneyUpdate{SetSendWindow: true, Transactional: &off, Match: &match})
	if err != nil {
		t.Fatal(err)
	}
	if got.SendWindow != nil || got.Transactional || got.Match != "" || got.Version != 1 || !slices.Equal(got.ListenedEvents, pq.StringArray{"activated"}) {
		t.Errorf("after clearing the controls: %+v", got)
	}
	// A new config brings what it listens for, nothing included.
	got, err = s.UpdateJourney(ctx, "w", reporting.JourneyUpdate{Config: json.RawMessage(`{"x":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || len(got.ListenedEvents) != 0 {
		t.Errorf("after a config without events: version %d, listened %v; want 2 and none", got.Version, got.ListenedEvents)
	}
}
