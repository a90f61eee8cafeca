package reporting_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"journeys/reporting"
	"journeys/reporting/dbtest"
)

// TestReportSurvivesAbsurdRevenue writes conversions with revenue no
// purchase has, as an append-only log may hold them from before the API
// bounded it, and checks that the report and the summaries still compute,
// with every revenue figure the exact sum saturated to a finite number.
func TestReportSurvivesAbsurdRevenue(t *testing.T) {
	c := newCohort(t, 50)
	s, j, ctx := c.s, c.j, dbtest.Ctx()
	day := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tr, ctl := users("cart", 50, 4, false), users("cart", 50, 2, true)
	convert := func(user string, step int, channel string, v float64) {
		e := c.enroll(user, day)
		if step > 0 {
			c.record(e, reporting.Entry{Step: step, Kind: reporting.KindSent, Channel: channel, Template: "cart_offer", At: day.Add(time.Hour)})
		}
		c.end(e, reporting.StatusConverted, reporting.Entry{Step: step, Kind: reporting.KindConverted, Channel: channel, Revenue: &v, At: day.Add(2 * time.Hour)})
	}
	convert(tr[0], 1, "push", 1e308) // the two purchases of the bug report:
	convert(tr[1], 1, "push", 1e308) // together beyond any float64
	convert(tr[2], 2, "email", math.MaxFloat64)
	convert(tr[3], 2, "email", -1e308)
	convert(ctl[0], 0, "", math.Inf(1)) // Postgres stores these as numeric
	convert(ctl[1], 0, "", math.NaN())  // Infinity and NaN

	r, err := s.Report(ctx, j, day, day)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	// MaxFloat64 - 1e308, summed exactly, then read once.
	rest, _ := strconv.ParseFloat("7.976931348623157e307", 64)
	checks := []struct {
		name      string
		got, want any
	}{
		{"converted", r.Converted, 6},
		{"revenue", r.Revenue, math.MaxFloat64},
		{"treatment revenue", r.Holdout.Treatment.Revenue, math.MaxFloat64},
		{"control revenue", r.Holdout.Control.Revenue, math.MaxFloat64},
		{"attribution", r.Attribution, []reporting.Attribution{
			{Step: 0, Conversions: 2, Revenue: math.MaxFloat64},
			{Step: 1, Channel: "push", Template: "cart_offer", Conversions: 2, Revenue: math.MaxFloat64},
			{Step: 2, Channel: "email", Template: "cart_offer", Conversions: 2, Revenue: rest},
		}},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if _, err := json.Marshal(r); err != nil {
		t.Errorf("report does not encode: %v", err)
	}

	sums, err := s.Summaries(ctx)
	if err != nil {
		t.Fatalf("summaries: %v", err)
	}
	sum := sums["cart"]
	if sum.Converted != 6 || sum.Revenue != math.MaxFloat64 || sum.Holdout.Treatment.Revenue != math.MaxFloat64 {
		t.Errorf("summary = converted %d, revenue %v, treatment revenue %v; want 6 and the largest float64",
			sum.Converted, sum.Revenue, sum.Holdout.Treatment.Revenue)
	}
	if _, err := json.Marshal(sums); err != nil {
		t.Errorf("summaries do not encode: %v", err)
	}
}
