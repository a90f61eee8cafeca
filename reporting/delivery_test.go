package reporting_test

import (
	"context"
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
		if _, inserted, err := s.InsertEvent(ctx, ev, redeliverAfter); err != nil || !inserted {
			t.Fatalf("insert %s: inserted %v, %v", id, inserted, err)
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
	if got, _, err := s.InsertEvent(ctx, reporting.Event{EventID: "delivered"}, 0); err != nil || !got.Delivered {
		t.Fatalf("stored event after delivery = %+v, %v; want delivered", got, err)
	}

	// Two sweeps at once take each due event once between them.
	var (
		mu     sync.Mutex
		taken  []string
		claims sync.WaitGroup
	)
	for range 2 {
		claims.Go(func() {
			due, err := s.ClaimUndeliveredEvents(context.Background(), time.Hour, 10)
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
	if again, err := s.ClaimUndeliveredEvents(context.Background(), time.Hour, 10); err != nil || len(again) != 0 {
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
	due, err := s.ClaimUndeliveredEvents(context.Background(), time.Hour, 10)
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
