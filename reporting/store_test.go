package reporting_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"journeys/reporting"
	"journeys/reporting/dbtest"
)

func newJourney(t *testing.T, s *reporting.Store, id string) {
	t.Helper()
	_, err := s.CreateJourney(context.Background(), reporting.Journey{
		ID: id, Name: "Cart", Type: "cart_abandonment", GoalEvent: "purchase", Config: json.RawMessage(`{}`),
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMigrateTwice(t *testing.T) {
	s, _ := dbtest.New(t)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
}

func TestCreateJourneyDuplicate(t *testing.T) {
	s, _ := dbtest.New(t)
	newJourney(t, s, "cart")
	_, err := s.CreateJourney(context.Background(), reporting.Journey{ID: "cart", Name: "x", Type: "t", GoalEvent: "g", Config: json.RawMessage(`{}`)})
	if !errors.Is(err, reporting.ErrDuplicate) {
		t.Errorf("err = %v, want ErrDuplicate", err)
	}
	if _, err := s.Journey(context.Background(), "nope"); !errors.Is(err, reporting.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

func TestClaimEnrollmentConcurrent(t *testing.T) {
	s, _ := dbtest.New(t)
	newJourney(t, s, "cart")
	ctx := context.Background()

	const n = 16
	var wg sync.WaitGroup
	ids := make([]int64, n)
	created := make([]bool, n)
	for i := range n {
		wg.Go(func() {
			e, c, err := s.ClaimEnrollment(ctx, "cart", "u1", "journey/cart/user/u1")
			if err != nil {
				t.Error(err)
			}
			ids[i], created[i] = e.ID, c
		})
	}
	wg.Wait()
	nCreated := 0
	for i := range n {
		if created[i] {
			nCreated++
		}
		if ids[i] != ids[0] {
			t.Errorf("claim %d got enrollment %d, want %d", i, ids[i], ids[0])
		}
	}
	if nCreated != 1 {
		t.Errorf("%d claims created an enrollment, want 1", nCreated)
	}

	// Once it ends, the next claim is a new enrollment.
	end := reporting.Entry{EnrollmentID: ids[0], JourneyID: "cart", UserID: "u1", Kind: reporting.KindExited, At: time.Now()}
	if err := s.EndEnrollment(ctx, ids[0], reporting.StatusExited, end); err != nil {
		t.Fatal(err)
	}
	e, c, err := s.ClaimEnrollment(ctx, "cart", "u1", "journey/cart/user/u1")
	if err != nil || !c || e.ID == ids[0] {
		t.Errorf("claim after exit = %d, created %v, %v; want a new enrollment", e.ID, c, err)
	}
}

func TestRecordAndDeliveryAreIdempotent(t *testing.T) {
	s, _ := dbtest.New(t)
	newJourney(t, s, "cart")
	ctx := context.Background()
	e, _, err := s.ClaimEnrollment(ctx, "cart", "u1", "w")
	if err != nil {
		t.Fatal(err)
	}
	entry := reporting.Entry{EnrollmentID: e.ID, JourneyID: "cart", UserID: "u1", Step: 1, Kind: reporting.KindSent, Channel: "push", At: time.Now()}
	for range 3 {
		if err := s.Record(ctx, entry); err != nil {
			t.Fatal(err)
		}
	}
	tl, err := s.Timeline(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != 1 {
		t.Errorf("timeline has %d entries, want 1", len(tl))
	}

	d, err := s.ClaimDelivery(ctx, "k", e.ID, 1, "push")
	if err != nil || d.Status != reporting.DeliverySending || d.Attempts != 1 {
		t.Fatalf("first claim = %+v, %v", d, err)
	}
	if err := s.MarkDelivered(ctx, "k", "fcm", "m1"); err != nil {
		t.Fatal(err)
	}
	d, err = s.ClaimDelivery(ctx, "k", e.ID, 1, "push")
	if err != nil || d.Status != reporting.DeliverySent || d.Attempts != 2 || d.ProviderID != "m1" {
		t.Errorf("second claim = %+v, %v; want sent by fcm m1 on attempt 2", d, err)
	}
}
