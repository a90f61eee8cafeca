package reporting_test

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"journeys/reporting"
	"journeys/reporting/dbtest"
)

func newJourney(t *testing.T, s *reporting.Store, id string) reporting.Journey {
	t.Helper()
	j, err := s.CreateJourney(dbtest.Ctx(), reporting.Journey{
		ID: id, Name: "Cart", Type: "cart_abandonment", GoalEvent: "purchase", Config: json.RawMessage(`{}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func claim(j reporting.Journey, user string) reporting.Claim {
	return reporting.Claim{Journey: j, UserID: user, WorkflowID: "journey/" + j.ID + "/user/" + user, Source: "api"}
}

func TestMigrateTwice(t *testing.T) {
	s, _ := dbtest.New(t)
	if err := s.Migrate(dbtest.Ctx()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
}

func TestCreateJourneyDuplicate(t *testing.T) {
	s, _ := dbtest.New(t)
	newJourney(t, s, "cart")
	_, err := s.CreateJourney(dbtest.Ctx(), reporting.Journey{ID: "cart", Name: "x", Type: "t", GoalEvent: "g", Config: json.RawMessage(`{}`)})
	if !errors.Is(err, reporting.ErrDuplicate) {
		t.Errorf("err = %v, want ErrDuplicate", err)
	}
	if _, err := s.Journey(dbtest.Ctx(), "nope"); !errors.Is(err, reporting.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

func TestClaimEnrollmentConcurrent(t *testing.T) {
	s, _ := dbtest.New(t)
	j := newJourney(t, s, "cart")
	ctx := dbtest.Ctx()

	const n = 16
	var wg sync.WaitGroup
	ids := make([]int64, n)
	created := make([]bool, n)
	for i := range n {
		wg.Go(func() {
			e, c, err := s.ClaimEnrollment(ctx, claim(j, "u1"))
			if err != nil {
				t.Error(err)
			}
			ids[i], created[i] = e.ID, c
		})
	}
	wg.Wait()
	if err := s.SetEnrollmentRun(ctx, ids[0], "run-1", nil); err != nil {
		t.Fatal(err)
	}
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
	e, c, err := s.ClaimEnrollment(ctx, claim(j, "u1"))
	if err != nil || !c || e.ID == ids[0] || e.PreviousRun != "run-1" {
		t.Errorf("claim after exit = %d, created %v, previous run %q, %v; want a new enrollment after run-1", e.ID, c, e.PreviousRun, err)
	}
	// A claim that finds the enrollment tells its previous run too.
	if again, c, err := s.ClaimEnrollment(ctx, claim(j, "u1")); err != nil || c || again.ID != e.ID || again.PreviousRun != "run-1" {
		t.Errorf("claim again = %d, created %v, previous run %q, %v; want %d after run-1", again.ID, c, again.PreviousRun, err, e.ID)
	}
}

func TestRecordAndDeliveryAreIdempotent(t *testing.T) {
	s, _ := dbtest.New(t)
	j := newJourney(t, s, "cart")
	ctx := dbtest.Ctx()
	e, _, err := s.ClaimEnrollment(ctx, claim(j, "u1"))
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
	// The claim logged the enrollment; the three records, one send.
	if len(tl) != 2 || tl[0].Kind != reporting.KindEnrolled || tl[1].Kind != reporting.KindSent {
		t.Errorf("timeline = %+v, want enrolled then one sent", tl)
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

func TestReentryRules(t *testing.T) {
	s, _ := dbtest.New(t)
	ctx := dbtest.Ctx()
	tests := []struct {
		rule      string
		wantAgain bool
	}{
		{reporting.ReentryNever, false},
		{reporting.ReentryAfterExit, true},
		{"1h", false},
	}
	for _, tt := range tests {
		j := newJourney(t, s, "j-"+tt.rule)
		j.Reentry = tt.rule
		e, _, err := s.ClaimEnrollment(ctx, claim(j, "u1"))
		if err != nil {
			t.Fatal(err)
		}
		// While the run is active, every rule returns it.
		if again, created, err := s.ClaimEnrollment(ctx, claim(j, "u1")); err != nil || created || again.ID != e.ID {
			t.Errorf("%s: claim while active = %d, %v, %v; want the active enrollment", tt.rule, again.ID, created, err)
		}
		end := reporting.Entry{EnrollmentID: e.ID, JourneyID: j.ID, UserID: "u1", Kind: reporting.KindExited, At: time.Now()}
		if err := s.EndEnrollment(ctx, e.ID, reporting.StatusExited, end); err != nil {
			t.Fatal(err)
		}
		_, created, err := s.ClaimEnrollment(ctx, claim(j, "u1"))
		var notEligible *reporting.NotEligibleError
		if created != tt.wantAgain || (!tt.wantAgain && !errors.As(err, &notEligible)) {
			t.Errorf("%s: claim after exit = created %v, %v; want created %v", tt.rule, created, err, tt.wantAgain)
		}
	}
}

func TestClaimRefusedOncePaused(t *testing.T) {
	s, _ := dbtest.New(t)
	ctx := dbtest.Ctx()
	j := newJourney(t, s, "cart")
	paused := reporting.JourneyPaused
	if _, err := s.UpdateJourney(ctx, "cart", reporting.JourneyUpdate{Status: &paused}); err != nil {
		t.Fatal(err)
	}
	// j was read while the journey was active.
	_, _, err := s.ClaimEnrollment(ctx, claim(j, "u1"))
	var notActive *reporting.NotActiveError
	if !errors.As(err, &notActive) || notActive.Status != reporting.JourneyPaused {
		t.Errorf("claim on a journey paused since it was read: %v, want NotActiveError(paused)", err)
	}
}

// TestClaimLogsEnrollment checks that a claim writes the run's first log
// line with the enrollment, and that the report's rollup counts it.
func TestClaimLogsEnrollment(t *testing.T) {
	s, _ := dbtest.New(t)
	j := newJourney(t, s, "cart")
	ctx := dbtest.Ctx()
	c := claim(j, "u1")
	c.Detail = "entered on add_to_cart (event e1)"
	e, created, err := s.ClaimEnrollment(ctx, c)
	if err != nil || !created {
		t.Fatalf("claim = %v, %v", created, err)
	}
	if _, again, err := s.ClaimEnrollment(ctx, c); err != nil || again {
		t.Fatalf("second claim created = %v, %v; want the same enrollment", again, err)
	}
	tl, err := s.Timeline(ctx, e.ID)
	if err != nil || len(tl) != 1 || tl[0].Kind != reporting.KindEnrolled || tl[0].Detail != c.Detail || !tl[0].At.Equal(e.EnrolledAt) {
		t.Fatalf("timeline = %+v, %v; want one enrolled entry at the enrollment", tl, err)
	}
	r, err := s.Report(ctx, j, e.EnrolledAt, e.EnrolledAt)
	if err != nil || r.Enrolled != 1 || r.Active != 1 {
		t.Errorf("report = enrolled %d, active %d, %v; want 1 and 1", r.Enrolled, r.Active, err)
	}
}
