package reporting_test

import (
	"testing"
	"time"

	"journeys/reporting"
	"journeys/reporting/dbtest"
)

// TestEnrollmentEndsOnce ends one enrollment twice, as a run's own last
// activity and a reconciliation of the same run might: the first ending
// stands, and only it is logged and counted.
func TestEnrollmentEndsOnce(t *testing.T) {
	c := newCohort(t, 0)
	s, j, ctx := c.s, c.j, dbtest.Ctx()
	now := time.Now().UTC()
	e := c.enroll("u1", now)
	other := c.enroll("u2", now)
	c.end(e, reporting.StatusRemoved, reporting.Entry{Kind: reporting.KindExited, Detail: "terminated: cleanup", At: now})
	c.end(e, reporting.StatusFailed, reporting.Entry{Kind: reporting.KindFailed, Detail: "timed out", At: now})

	got, err := s.LatestEnrollment(ctx, "cart", "u1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != reporting.StatusRemoved || got.ExitReason != "terminated: cleanup" {
		t.Errorf("enrollment = %s (%s), want removed (terminated: cleanup)", got.Status, got.ExitReason)
	}
	log, err := s.Timeline(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[1].Kind != reporting.KindExited {
		t.Errorf("log = %+v, want enrolled and exited only", log)
	}
	r, err := s.Report(ctx, j, now, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Removed != 1 || r.Failed != 0 || r.Active != 1 {
		t.Errorf("report = removed %d, failed %d, active %d; want 1, 0, 1", r.Removed, r.Failed, r.Active)
	}

	active, err := s.ActiveEnrollmentsByIDAllWorkspaces(ctx, []int64{e.ID, other.ID, other.ID + 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != 1 || active[0].ID != other.ID {
		t.Errorf("active of %d, %d and a missing id = %+v, want only %d", e.ID, other.ID, active, other.ID)
	}
}
