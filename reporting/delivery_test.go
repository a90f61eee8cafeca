package reporting_test

import (
	"context"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"journeys/reporting"
	"journeys/reporting/dbtest"
)

// TestUndeliveredEventsAreClaimedOnce stores events of two workspaces, some
// due for redelivery, and checks that a claim takes the due ones, in the
// order they came, and that no other claim takes them until the lease is
// over, nor once they are delivered.
func TestUndeliveredEventsAreClaimedOnce(t *testing.T) {
	s, _ := dbtest.New(t)
	ctx := dbtest.Ctx()
	if _, err := s.DB().Exec(`INSERT INTO workspaces (id, name) VALUES ('shop', 'Shop')`); err != nil {
		t.Fatal(err)
	}
	shop := reporting.WithWorkspace(context.Background(), "shop")
	insert := func(ctx context.Context, id string, redeliverAfter time.Duration) {
		t.Helper()
		ev := reporting.Event{EventID: id, UserID: "u1", Name: "purchase", OccurredAt: time.Now()}
		if r, err := s.IngestEvent(ctx, ev, redeliverAfter); err != nil || !r.Inserted {
			t.Fatalf("insert %s: inserted %v, %v", id, r.Inserted, err)
		}
	}
	insert(ctx, "due-1", 0)
	insert(shop, "due-2", 0)
	insert(ctx, "due-3", 0)
	insert(ctx, "later", time.Hour)
	insert(ctx, "delivered", 0)
	if err := s.EventsDelivered(ctx, []reporting.EventKey{{Workspace: reporting.DefaultWorkspace, EventID: "delivered"}}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.IngestEvent(ctx, reporting.Event{EventID: "delivered"}, 0); err != nil || !got.Event.Delivered {
		t.Fatalf("stored event after delivery = %+v, %v; want delivered", got.Event, err)
	}

	// Two sweeps at once take each due event once between them.
	var (
		mu     sync.Mutex
		taken  []string
		claims sync.WaitGroup
	)
	for range 2 {
		claims.Go(func() {
			due, err := s.ClaimUndeliveredEvents(context.Background(), time.Hour, time.Hour, 10)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, ev := range due {
				taken = append(taken, ev.Workspace+"/"+ev.EventID)
			}
		})
	}
	claims.Wait()
	slices.Sort(taken)
	if want := []string{"default/due-1", "default/due-3", "shop/due-2"}; !slices.Equal(taken, want) {
		t.Errorf("claimed %v, want %v", taken, want)
	}
	if again, err := s.ClaimUndeliveredEvents(context.Background(), time.Hour, time.Hour, 10); err != nil || len(again) != 0 {
		t.Errorf("claim within the lease = %v, %v; want nothing", again, err)
	}

	// Past its lease an event not marked delivered is due again; a
	// delivered one never is. A claim lists events in the order they came.
	if _, err := s.DB().Exec(`UPDATE event_deliveries SET deliver_by = now() WHERE event_id <> 'later'`); err != nil {
		t.Fatal(err)
	}
	if err := s.EventsDelivered(shop, []reporting.EventKey{{Workspace: "shop", EventID: "due-2"}}); err != nil {
		t.Fatal(err)
	}
	due, err := s.ClaimUndeliveredEvents(context.Background(), time.Hour, time.Hour, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ev := range due {
		ids = append(ids, ev.EventID)
	}
	if want := []string{"due-1", "due-3"}; !slices.Equal(ids, want) {
		t.Errorf("claimed after the lease %v, want %v", ids, want)
	}
}

// TestRefusedEventsBackOffThenAreGivenUp claims an event again and again
// and checks that each claim counts the attempt and holds the event back
// twice as long as the one before, up to the longest lease; that a failed
// attempt keeps its reason; and that an event given up is claimed no more,
// yet still not delivered when it is sent again.
func TestRefusedEventsBackOffThenAreGivenUp(t *testing.T) {
	s, _ := dbtest.New(t)
	ctx := dbtest.Ctx()
	if _, err := s.IngestEvent(ctx, reporting.Event{EventID: "refused", UserID: "u1", Name: "purchase"}, 0); err != nil {
		t.Fatal(err)
	}
	key := reporting.EventKey{Workspace: reporting.DefaultWorkspace, EventID: "refused"}
	type row struct {
		Attempts  int     `db:"attempts"`
		HeldFor   float64 `db:"held_for"` // seconds until deliver_by
		LastError *string `db:"last_error"`
		GaveUp    bool    `db:"gave_up"`
	}
	read := func() row {
		t.Helper()
		var r row
		err := s.DB().Get(&r, `SELECT attempts,
			CASE WHEN isfinite(deliver_by) THEN extract(epoch FROM deliver_by - now())::float8 ELSE 'Infinity' END AS held_for, last_error, gave_up_at IS NOT NULL AS gave_up
			FROM event_deliveries WHERE event_id = 'refused'`)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	claim := func() []reporting.UndeliveredEvent {
		t.Helper()
		due, err := s.ClaimUndeliveredEvents(context.Background(), time.Minute, 3*time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		return due
	}
	due := func() {
		t.Helper()
		if _, err := s.DB().Exec(`UPDATE event_deliveries SET deliver_by = now() WHERE deliver_by <> 'infinity'`); err != nil {
			t.Fatal(err)
		}
	}

	// A minute, two, four capped at three.
	for i, want := range []float64{60, 120, 180} {
		got := claim()
		if len(got) != 1 || got[0].Attempts != i+1 {
			t.Fatalf("claim %d = %+v; want the event at attempt %d", i+1, got, i+1)
		}
		if r := read(); r.Attempts != i+1 || r.HeldFor < want-5 || r.HeldFor > want+1 {
			t.Errorf("after claim %d: attempts %d, held for %.0fs; want %d, %.0fs", i+1, r.Attempts, r.HeldFor, i+1, want)
		}
		due()
	}

	if err := s.EventNotDelivered(ctx, key, "temporal refused the signal", false); err != nil {
		t.Fatal(err)
	}
	if r := read(); r.LastError == nil || *r.LastError != "temporal refused the signal" || r.GaveUp || r.HeldFor > 1 {
		t.Errorf("after a failed attempt: %+v; want the reason kept, not given up, still due", r)
	}
	if len(claim()) != 1 {
		t.Fatal("a failed event was not claimed again")
	}
	if err := s.EventNotDelivered(ctx, key, "still refused", true); err != nil {
		t.Fatal(err)
	}
	due()
	if r := read(); r.LastError == nil || *r.LastError != "still refused" || !r.GaveUp || !math.IsInf(r.HeldFor, 1) {
		t.Errorf("after giving up: %+v; want the last reason, gave_up_at and no time to be delivered by", r)
	}
	if got := claim(); len(got) != 0 {
		t.Errorf("claimed a given-up event: %+v", got)
	}
	if got, err := s.IngestEvent(ctx, reporting.Event{EventID: "refused", UserID: "u1", Name: "purchase"}, 0); err != nil || got.Inserted || got.Event.Delivered {
		t.Errorf("the given-up event sent again = %+v, inserted %v, %v; want stored before and not delivered", got.Event, got.Inserted, err)
	}
}
