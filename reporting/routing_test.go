package reporting_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/lib/pq"

	"journeys/reporting"
	"journeys/reporting/dbtest"
)

// TestActiveEnrollmentsForEvent routes events to runs, and checks that
// IngestEvent, which stores and routes in one statement, routes each the
// same, whole enrollments and journeys included.
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
		ExitEvents: pq.StringArray{"logged_out"}, ListenedEvents: pq.StringArray{"checkout_started"},
		SendWindow: &reporting.SendWindow{Days: []string{"mon"}, Start: "09:00", End: "21:00"}, Transactional: true})
	numbered := create(reporting.Journey{ID: "numbered", EntryEvent: "add_to_cart", Match: "cart_id"})
	unmatched := create(reporting.Journey{ID: "unmatched", EntryEvent: "add_to_cart", Match: "cart_id"})
	for _, c := range []reporting.Claim{
		claim(cart, "u1"), claim(welcome, "u1"), claim(cart, "u2"),
		{Journey: carts, UserID: "u1", WorkflowID: "w-carts", MatchValue: "c1"},
		{Journey: numbered, UserID: "u1", WorkflowID: "w-numbered", MatchValue: "7"},
		// Entered by an event without the property: every event reaches it.
		{Journey: unmatched, UserID: "u1", WorkflowID: "w-unmatched"},
	} {
		e, _, err := s.ClaimEnrollment(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if c.Journey.ID == "welcome" {
			firstStep := time.Now().Add(time.Hour)
			if err := s.SetEnrollmentRun(ctx, e.ID, "run-welcome", &firstStep); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.DB().Exec(`UPDATE journeys SET status = 'paused' WHERE id = 'unmatched'`); err != nil {
		t.Fatal(err)
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
		{"an entry event", "add_to_cart", `{"cart_id":"c3"}`, nil},
	}
	for i, tt := range tests {
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

		ev := reporting.Event{EventID: fmt.Sprint("e", i), UserID: "u1", Name: tt.event, Properties: json.RawMessage(tt.props), OccurredAt: time.Now()}
		r, err := s.IngestEvent(ctx, ev, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Inserted || r.Event.Delivered || r.Event.Name != tt.event || !equalUTC(r.Runs, es) {
			t.Errorf("%s: ingested %+v, inserted %v, reaching %+v; want it stored, not delivered, reaching %+v", tt.name, r.Event, r.Inserted, r.Runs, es)
		}
		var entered []reporting.Journey
		if tt.event == "add_to_cart" {
			entered = []reporting.Journey{carts, numbered}
		}
		if !equalUTC(r.Journeys, entered) {
			t.Errorf("%s: entered %+v, want %+v", tt.name, r.Journeys, entered)
		}
	}

	// A repeated event_id is routed as the event stored first.
	r, err := s.IngestEvent(ctx, reporting.Event{EventID: "e0", UserID: "u2", Name: "add_to_cart"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if r.Inserted || r.Event.Name != "purchase" || r.Event.UserID != "u1" || len(r.Runs) != 4 || len(r.Journeys) != 0 {
		t.Errorf("repeated event: %+v, inserted %v, %d runs, %d journeys; want the stored purchase of u1, 4 runs, none entered", r.Event, r.Inserted, len(r.Runs), len(r.Journeys))
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

// equalUTC reports whether got and want are deeply equal once their
// times are in UTC: Postgres's JSON writes times with an offset, which Go
// reads into a zone of its own.
func equalUTC[T reporting.Enrollment | reporting.Journey](got, want []T) bool {
	utc := func(ts []T) []any {
		out := make([]any, len(ts))
		for i, t := range ts {
			switch v := any(t).(type) {
			case reporting.Enrollment:
				v.EnrolledAt, v.EndedAt, v.FirstStepAt = v.EnrolledAt.UTC(), inUTC(v.EndedAt), inUTC(v.FirstStepAt)
				out[i] = v
			case reporting.Journey:
				v.CreatedAt, v.UpdatedAt = v.CreatedAt.UTC(), v.UpdatedAt.UTC()
				out[i] = v
			}
		}
		return out
	}
	return reflect.DeepEqual(utc(got), utc(want))
}

func inUTC(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// BenchmarkIngestEvent stores and routes purchases of users who each have
// a run the purchase converts, as POST /v1/events does before it answers,
// and reports the machine's CPU per event (this process and Postgres;
// nothing else should run):
//
//	go test -run '^$' -bench IngestEvent -benchtime 3000x ./reporting/
func BenchmarkIngestEvent(b *testing.B) {
	s, _ := dbtest.New(b)
	ctx := dbtest.Ctx()
	cart, err := s.CreateJourney(ctx, reporting.Journey{ID: "cart", Name: "Cart", Type: "cart_abandonment",
		GoalEvent: "purchase", EntryEvent: "add_to_cart", Config: json.RawMessage(`{}`)})
	if err != nil {
		b.Fatal(err)
	}
	const users = 1000
	for u := range users {
		if _, _, err := s.ClaimEnrollment(ctx, claim(cart, fmt.Sprint("u", u))); err != nil {
			b.Fatal(err)
		}
	}
	before, err := dbtest.ReadCPU()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		ev := reporting.Event{EventID: fmt.Sprint("p", i), UserID: fmt.Sprint("u", i%users), Name: "purchase",
			Properties: json.RawMessage(`{"revenue": 42}`), OccurredAt: time.Now()}
		r, err := s.IngestEvent(ctx, ev, time.Minute)
		if err != nil || len(r.Runs) != 1 {
			b.Fatalf("ingest %s: %d runs, %v", ev.EventID, len(r.Runs), err)
		}
	}
	b.StopTimer()
	after, err := dbtest.ReadCPU()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric((after.Busy-before.Busy)*dbtest.MsPerTick*1000/float64(b.N), "cpu-µs/op")
}
