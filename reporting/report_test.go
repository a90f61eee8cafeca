package reporting_test

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"journeys/reporting"
	"journeys/reporting/dbtest"
)

// cohort enrolls users in a journey at chosen times and writes their runs'
// entries, as the activities would.
type cohort struct {
	t *testing.T
	s *reporting.Store
	j reporting.Journey
}

// newCohort creates the journey "cart" with the given holdout percent in a
// fresh database.
func newCohort(t *testing.T, holdoutPercent int) cohort {
	t.Helper()
	s, _ := dbtest.New(t)
	j, err := s.CreateJourney(dbtest.Ctx(), reporting.Journey{
		ID: "cart", Name: "سبد خرید", Type: "cart_abandonment", GoalEvent: "purchase", Config: json.RawMessage(`{}`), HoldoutPercent: holdoutPercent,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cohort{t: t, s: s, j: j}
}

// enroll enrolls user at the given time and returns the enrollment.
func (c cohort) enroll(user string, at time.Time) reporting.Enrollment {
	c.t.Helper()
	const q = `INSERT INTO enrollments (workspace_id, journey_id, user_id, workflow_id, holdout, enrolled_at)
	VALUES ('default', $1, $2, $3, $4, $5) RETURNING id, journey_id, user_id, workflow_id, run_id, status, exit_reason, enrolled_at, ended_at, source, holdout, first_step_at, workspace_id`
	var e reporting.Enrollment
	holdout := reporting.InHoldout(reporting.DefaultWorkspace, c.j.ID, user, c.j.HoldoutPercent)
	if err := c.s.DB().Get(&e, q, c.j.ID, user, "journey/"+c.j.ID+"/user/"+user, holdout, at); err != nil {
		c.t.Fatal(err)
	}
	c.record(e, reporting.Entry{Kind: reporting.KindEnrolled, At: at})
	return e
}

func (c cohort) record(e reporting.Enrollment, entry reporting.Entry) {
	c.t.Helper()
	entry.EnrollmentID, entry.JourneyID, entry.UserID = e.ID, e.JourneyID, e.UserID
	for range 2 { // recorded twice, counted once
		if err := c.s.Record(dbtest.Ctx(), entry); err != nil {
			c.t.Fatal(err)
		}
	}
}

func (c cohort) end(e reporting.Enrollment, status string, entry reporting.Entry) {
	c.t.Helper()
	entry.EnrollmentID, entry.JourneyID, entry.UserID = e.ID, e.JourneyID, e.UserID
	if err := c.s.EndEnrollment(dbtest.Ctx(), e.ID, status, entry); err != nil {
		c.t.Fatal(err)
	}
}

// users returns n user ids that fall in the journey's treatment group
// (held false) or control group (held true).
func users(journeyID string, percent, n int, held bool) []string {
	var out []string
	for i := 0; len(out) < n; i++ {
		u := fmt.Sprintf("u%d", i)
		if reporting.InHoldout(reporting.DefaultWorkspace, journeyID, u, percent) == held {
			out = append(out, u)
		}
	}
	return out
}

// seedReport writes three treatment runs and two control runs over two
// days; the comments say what each contributes to the report.
func seedReport(t *testing.T) (*reporting.Store, reporting.Journey) {
	c := newCohort(t, 50)
	s, j := c.s, c.j
	d1 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	d2 := d1.AddDate(0, 0, 1)
	tr, ctl := users("cart", 50, 3, false), users("cart", 50, 2, true)
	revenue := func(v float64) *float64 { return &v }

	// Treatment 1: pushed on day 1, bought on day 2 for 100 (24h after entering).
	e := c.enroll(tr[0], d1)
	c.record(e, reporting.Entry{Step: 1, Kind: reporting.KindSent, Channel: "push", Template: "cart_offer", At: d1.Add(time.Hour)})
	c.end(e, reporting.StatusConverted, reporting.Entry{Step: 1, Kind: reporting.KindConverted, Channel: "push", Revenue: revenue(100), At: d2})
	// Treatment 2: pushed, no email address, gave up.
	e = c.enroll(tr[1], d1)
	c.record(e, reporting.Entry{Step: 1, Kind: reporting.KindSent, Channel: "push", Template: "cart_offer", At: d1.Add(time.Hour)})
	c.record(e, reporting.Entry{Step: 2, Kind: reporting.KindSkipped, Channel: "email", Template: "cart_offer", Detail: "no email contact", At: d2})
	c.end(e, reporting.StatusExited, reporting.Entry{Step: 2, Kind: reporting.KindExited, Detail: "not_converted", At: d2.Add(time.Hour)})
	// Treatment 3: entered on day 2, the push failed; still active.
	e = c.enroll(tr[2], d2)
	c.record(e, reporting.Entry{Step: 1, Kind: reporting.KindFailed, Channel: "push", Template: "cart_offer", Detail: "fcm: 500", At: d2.Add(time.Hour)})
	// Control 1: held back, bought 3h after entering for 50.
	e = c.enroll(ctl[0], d1)
	c.record(e, reporting.Entry{Step: 1, Kind: reporting.KindSkipped, Channel: "push", Template: "cart_offer", Detail: "holdout", At: d1.Add(time.Hour)})
	c.end(e, reporting.StatusConverted, reporting.Entry{Kind: reporting.KindConverted, Revenue: revenue(50), At: d1.Add(3 * time.Hour)})
	// Control 2: entered on day 2, held back, removed by support.
	e = c.enroll(ctl[1], d2)
	c.record(e, reporting.Entry{Step: 1, Kind: reporting.KindSkipped, Channel: "push", Template: "cart_offer", Detail: "holdout", At: d2.Add(time.Hour)})
	c.end(e, reporting.StatusRemoved, reporting.Entry{Step: 1, Kind: reporting.KindExited, Detail: "removed: asked to stop", At: d2.Add(2 * time.Hour)})
	return s, j
}

func TestReport(t *testing.T) {
	s, j := seedReport(t)
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }

	r, err := s.Report(dbtest.Ctx(), j, day(1), day(2))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"window", r.From + ".." + r.To, "2026-03-01..2026-03-02"},
		{"enrolled", r.Enrolled, 5},
		{"active", r.Active, 1},
		{"converted", r.Converted, 2},
		{"exited", r.Exited, 1},
		{"removed", r.Removed, 1},
		{"failed", r.Failed, 0},
		{"exit reasons", r.ExitReasons, map[string]int{"not_converted": 1, "removed: asked to stop": 1}},
		{"conversion rate", r.ConversionRate, 0.4},
		{"revenue", r.Revenue, 150.0},
		{"median time to convert", *r.MedianTimeToConvert, (24*time.Hour + 3*time.Hour).Seconds() / 2},
		{"sends", r.Sends, map[string]int{"push": 2, "email": 0, "sms": 0, "webhook": 0}},
		{"funnel", r.Funnel, []reporting.FunnelStep{
			{Step: 1, Channel: "push", Template: "cart_offer", Reached: 5, Sent: 2, SentByChannel: map[string]int{"push": 2},
				Skipped: 2, SkippedByReason: map[string]int{"holdout": 2}, Failed: 1},
			{Step: 2, Channel: "email", Template: "cart_offer", Reached: 1, SentByChannel: map[string]int{},
				Skipped: 1, SkippedByReason: map[string]int{"no email contact": 1}},
		}},
		{"attribution", r.Attribution, []reporting.Attribution{
			{Step: 0, Conversions: 1, Revenue: 50},
			{Step: 1, Channel: "push", Template: "cart_offer", Conversions: 1, Revenue: 100},
		}},
		{"daily", r.Daily, []reporting.Day{
			{Day: "2026-03-01", Enrolled: 3, Sent: 2, Converted: 1},
			{Day: "2026-03-02", Enrolled: 2, Sent: 0, Converted: 1},
		}},
		{"treatment", r.Holdout.Treatment, reporting.Group{Enrolled: 3, Converted: 1, ConversionRate: 1.0 / 3, Revenue: 100}},
		{"control", r.Holdout.Control, reporting.Group{Enrolled: 2, Converted: 1, ConversionRate: 0.5, Revenue: 50}},
		{"holdout percent", r.Holdout.Percent, 50},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if lift := r.Holdout.AbsoluteLift; lift == nil || math.Abs(*lift-(1.0/3-0.5)) > 1e-9 {
		t.Errorf("absolute lift = %v, want -1/6", lift)
	}
	if r.Holdout.CILow == nil || *r.Holdout.CILow > -0.5 || *r.Holdout.CIHigh < 0.3 || r.Holdout.Significant {
		t.Errorf("interval = [%v, %v], significant %v; want a wide interval around -1/6, not significant",
			r.Holdout.CILow, r.Holdout.CIHigh, r.Holdout.Significant)
	}

	// Day 2's cohort: the runs that entered that day, whatever happened to
	// day 1's runs then; only the daily series counts day 1's conversion.
	r, err = s.Report(dbtest.Ctx(), j, day(2), day(2))
	if err != nil {
		t.Fatal(err)
	}
	if r.Enrolled != 2 || r.Active != 1 || r.Removed != 1 || r.Converted != 0 || r.MedianTimeToConvert != nil {
		t.Errorf("day 2 = enrolled %d, active %d, removed %d, converted %d, median %v; want 2, 1, 1, 0, none",
			r.Enrolled, r.Active, r.Removed, r.Converted, r.MedianTimeToConvert)
	}
	if want := []reporting.Day{{Day: "2026-03-02", Enrolled: 2, Converted: 1}}; fmt.Sprint(r.Daily) != fmt.Sprint(want) {
		t.Errorf("day 2 daily = %v, want %v", r.Daily, want)
	}
}

// TestReportRollupRebuild checks that rebuilding the rollup from the log,
// as the migration does for an existing log, gives the same report as the
// trigger kept.
func TestReportRollupRebuild(t *testing.T) {
	s, j := seedReport(t)
	ctx := dbtest.Ctx()
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	kept, err := s.Report(ctx, j, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`SELECT journey_stats_rebuild()`); err != nil {
		t.Fatal(err)
	}
	rebuilt, err := s.Report(ctx, j, from, to)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(kept)
	b, _ := json.Marshal(rebuilt)
	if string(a) != string(b) {
		t.Errorf("rebuilt report differs:\nkept    %s\nrebuilt %s", a, b)
	}
}

func TestSummaries(t *testing.T) {
	s, _ := seedReport(t)
	sums, err := s.Summaries(dbtest.Ctx())
	if err != nil {
		t.Fatal(err)
	}
	r := sums["cart"]
	if r.Enrolled != 5 || r.Active != 1 || r.Converted != 2 || r.Revenue != 150 || r.ConversionRate != 0.4 {
		t.Errorf("summary = enrolled %d, active %d, converted %d, revenue %v, rate %v; want 5, 1, 2, 150, 0.4",
			r.Enrolled, r.Active, r.Converted, r.Revenue, r.ConversionRate)
	}
}
