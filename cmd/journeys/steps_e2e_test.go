package main

import (
	"fmt"
	"testing"

	"journeys/reporting"
)

// stepLine writes a step of a report as the checks below compare it.
func stepLine(st reporting.Step) string {
	return fmt.Sprintf("%s: reached %d sent %d %v skipped %d failed %d deferred %d converted %d revenue %v",
		st.StepID, st.Reached, st.Sent, st.SentByChannel, st.Skipped, st.Failed, st.Deferred, st.Converted, st.Revenue)
}

// checkSteps compares the report's steps, in order, with want.
func checkSteps(t *testing.T, journeyID string, r reporting.Report, want []string) {
	t.Helper()
	var got []string
	for _, st := range r.Steps {
		got = append(got, stepLine(st))
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("%s steps:\n got %q\nwant %q", journeyID, got, want)
	}
}

// checkWelcomeSteps checks the welcome series' report by step: the welcome
// to all three, the tips to the two who activated (one bought after
// them), the reminder to the one who did not; steps met at the same point
// of a run (tips and reminder are both second) by id; no variants.
func checkWelcomeSteps(t *testing.T, r reporting.Report) {
	checkSteps(t, "welcome", r, []string{
		"welcome: reached 3 sent 3 map[email:3] skipped 0 failed 0 deferred 0 converted 0 revenue 0",
		"reminder: reached 1 sent 1 map[push:1] skipped 0 failed 0 deferred 0 converted 0 revenue 0",
		"tips: reached 2 sent 2 map[email:2] skipped 0 failed 0 deferred 0 converted 1 revenue 30",
	})
	if len(r.Variants) != 0 || r.Nodes != nil {
		t.Errorf("welcome variants %v, nodes %v; want none", r.Variants, r.Nodes)
	}
}

// checkWinbackSteps checks the winback report by step, where the VIP and
// regular offers, which share a step number, are apart, and by arm of the
// discount test, ten first as the config lists it.
func checkWinbackSteps(t *testing.T, r reporting.Report) {
	checkSteps(t, "winback", r, []string{
		"winback: reached 3 sent 3 map[email:3] skipped 0 failed 0 deferred 1 converted 0 revenue 0",
		"winback-vip: reached 2 sent 2 map[email:2] skipped 0 failed 0 deferred 0 converted 1 revenue 80",
		"reminder: reached 4 sent 4 map[push:4] skipped 0 failed 0 deferred 0 converted 0 revenue 0",
	})
	if len(r.Variants) != 1 || r.Variants[0].Name != "discount" || len(r.Variants[0].Arms) != 2 {
		t.Fatalf("winback variants %+v, want the discount test's two arms", r.Variants)
	}
	ten, fifteen := r.Variants[0].Arms[0], r.Variants[0].Arms[1]
	if ten.Name != "ten" || ten.Enrolled != 3 || ten.Converted != 0 || ten.AbsoluteLift != nil {
		t.Errorf("first arm %+v, want ten: 3 enrolled, none converted, the baseline", ten)
	}
	// 1 of 2 against 0 of 3: a lift of 0.5, with an interval too wide to
	// say anything from five users.
	if fifteen.Name != "fifteen" || fifteen.Enrolled != 2 || fifteen.Converted != 1 || fifteen.Revenue != 80 || fifteen.ConversionRate != 0.5 ||
		fifteen.AbsoluteLift == nil || *fifteen.AbsoluteLift != 0.5 || fifteen.CILow == nil || *fifteen.CILow >= 0 || *fifteen.CIHigh <= 0.5 || fifteen.Significant {
		t.Errorf("second arm %+v, want fifteen: 1 of 2 converted for 80, lift 0.5 in an interval around zero", fifteen)
	}
}
