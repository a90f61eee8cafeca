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

// flowNodes are the nodes of the flow seedFlowRuns writes runs of:
// watch (wait) → gold (condition: then offer, else push); offer (split:
// ten, twenty) → push (send) → done (exit).
var flowNodes = []reporting.NodeRef{{ID: "watch", Type: "wait"}, {ID: "gold", Type: "condition"},
	{ID: "offer", Type: "split"}, {ID: "push", Type: "send"}, {ID: "done", Type: "exit"}}

// seedFlowRuns writes five runs of a flow, as the flow workflow logs them;
// the comments say where each goes.
func seedFlowRuns(t *testing.T) cohort {
	c := newCohort(t, 0)
	d1 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	revenue := func(v float64) *float64 { return &v }
	at := func(h int) time.Time { return d1.Add(time.Duration(h) * time.Hour) }
	type path struct {
		user    string
		version int
		entries []reporting.Entry
		end     string
		last    reporting.Entry
	}
	node := func(n int, id, typ string) reporting.Entry {
		return reporting.Entry{Step: n, StepID: id, Kind: reporting.KindNode, Detail: typ, At: at(n)}
	}
	way := func(n int, id, w string) reporting.Entry {
		return reporting.Entry{Step: n, StepID: id, Kind: reporting.KindBranch, Detail: w, At: at(n)}
	}
	push := func(seq int, kind, detail string) reporting.Entry {
		return reporting.Entry{Step: seq, StepID: "push", Kind: kind, Channel: "push", Template: "cart_offer", Detail: detail, At: at(9)}
	}
	paths := []path{
		// u1: gold, arm ten, pushed, exited at done.
		{"u1", 1, []reporting.Entry{node(1, "watch", "wait"), node(2, "gold", "condition"), way(2, "gold", "then"), node(3, "offer", "split"),
			{Step: 1, StepID: "offer", Kind: reporting.KindVariant, Detail: "ten", At: at(3)}, node(4, "push", "send"), push(2, reporting.KindSent, ""), node(5, "done", "exit")},
			reporting.StatusExited, reporting.Entry{Step: 2, Kind: reporting.KindExited, Detail: "finished", At: at(10)}},
		// u2: gold, arm twenty, pushed, bought for 80.
		{"u2", 1, []reporting.Entry{node(1, "watch", "wait"), node(2, "gold", "condition"), way(2, "gold", "then"), node(3, "offer", "split"),
			{Step: 1, StepID: "offer", Kind: reporting.KindVariant, Detail: "twenty", At: at(3)}, node(4, "push", "send"), push(2, reporting.KindSent, "")},
			reporting.StatusConverted, reporting.Entry{Step: 2, StepID: "push", Kind: reporting.KindConverted, Channel: "push", Revenue: revenue(80), At: at(11)}},
		// u3: not gold, no push token, exited at done.
		{"u3", 1, []reporting.Entry{node(1, "watch", "wait"), node(2, "gold", "condition"), way(2, "gold", "else"), node(3, "push", "send"),
			push(1, reporting.KindSkipped, "no push token"), node(4, "done", "exit")},
			reporting.StatusExited, reporting.Entry{Step: 1, Kind: reporting.KindExited, Detail: "finished", At: at(10)}},
		// u4: bought for 20 while watching.
		{"u4", 1, []reporting.Entry{node(1, "watch", "wait")},
			reporting.StatusConverted, reporting.Entry{Kind: reporting.KindConverted, Revenue: revenue(20), At: at(1)}},
		// u5, on version 2: not gold, the push failed; still active.
		{"u5", 2, []reporting.Entry{node(1, "watch", "wait"), node(2, "gold", "condition"), way(2, "gold", "else"), node(3, "push", "send"),
			push(1, reporting.KindFailed, "fcm: 500")}, "", reporting.Entry{}},
	}
	for _, p := range paths {
		e := c.enroll(p.user, d1)
		for _, entry := range p.entries {
			entry.Version = p.version
			c.record(e, entry)
		}
		if p.end != "" {
			p.last.Version = p.version
			c.end(e, p.end, p.last)
		}
	}
	return c
}

func TestStepReportNodes(t *testing.T) {
	c := seedFlowRuns(t)
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	r, err := c.s.StepReport(dbtest.Ctx(), c.j.ID, day, day, reporting.StepQuery{Nodes: flowNodes})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, n := range r.Nodes {
		got[n.ID] = fmt.Sprintf("%s reached %d visits %d sent %d skipped %v failed %v branches %v timed out %d converted %d (%v) next %v",
			n.Type, n.Reached, n.Visits, n.Sent, n.SkippedByReason, n.FailedByReason, n.Branches, n.TimedOut, n.ConvertedAfter, n.RevenueAfter, n.Next)
	}
	want := map[string]string{
		"watch": "wait reached 5 visits 5 sent 0 skipped map[] failed map[] branches map[] timed out 0 converted 2 (100) next map[gold:4]",
		"gold":  "condition reached 4 visits 4 sent 0 skipped map[] failed map[] branches map[else:2 then:2] timed out 0 converted 1 (80) next map[offer:2 push:2]",
		"offer": "split reached 2 visits 2 sent 0 skipped map[] failed map[] branches map[ten:1 twenty:1] timed out 0 converted 1 (80) next map[push:2]",
		"push":  "send reached 4 visits 4 sent 2 skipped map[no push token:1] failed map[fcm: 500:1] branches map[] timed out 0 converted 1 (80) next map[done:2]",
		"done":  "exit reached 2 visits 2 sent 0 skipped map[] failed map[] branches map[] timed out 0 converted 0 (0) next map[]",
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("node %s:\n got %s\nwant %s", id, got[id], w)
		}
	}
	if len(r.Nodes) != len(flowNodes) || r.Nodes[0].ID != "watch" || r.Nodes[4].ID != "done" {
		t.Errorf("nodes %v, want the flow's five in its order", r.Nodes)
	}

	v2, err := c.s.StepReport(dbtest.Ctx(), c.j.ID, day, day, reporting.StepQuery{Version: 2, Nodes: flowNodes})
	if err != nil {
		t.Fatal(err)
	}
	if v2.Version == nil || *v2.Version != 2 || v2.Nodes[0].Reached != 1 || v2.Nodes[3].Failed != 1 || v2.Nodes[3].Sent != 0 {
		t.Errorf("version 2: %+v, want u5's run alone", v2)
	}
}

func TestStepReportStepsAndVariants(t *testing.T) {
	c := seedFlowRuns(t)
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	r, err := c.s.StepReport(dbtest.Ctx(), c.j.ID, day, day, reporting.StepQuery{Arms: map[string][]string{"offer": {"twenty", "ten"}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Nodes != nil {
		t.Errorf("nodes %v for a query that names none, want null", r.Nodes)
	}
	if len(r.Steps) != 1 {
		t.Fatalf("steps %+v, want push alone", r.Steps)
	}
	st := r.Steps[0]
	if got := fmt.Sprintf("%s %s/%s reached %d sent %d skipped %v failed %v converted %d revenue %v", st.StepID, st.Channel, st.Template,
		st.Reached, st.Sent, st.SkippedByReason, st.FailedByReason, st.Converted, st.Revenue); got != "push push/cart_offer reached 4 sent 2 skipped map[no push token:1] failed map[fcm: 500:1] converted 1 revenue 80" {
		t.Errorf("step = %s", got)
	}

	if len(r.Variants) != 1 || r.Variants[0].Name != "offer" || len(r.Variants[0].Arms) != 2 {
		t.Fatalf("variants %+v, want offer with two arms", r.Variants)
	}
	first, ten := r.Variants[0].Arms[0], r.Variants[0].Arms[1]
	if first.Name != "twenty" || first.Enrolled != 1 || first.Converted != 1 || first.Revenue != 80 || first.AbsoluteLift != nil {
		t.Errorf("first arm %+v, want twenty: 1 enrolled, 1 converted for 80, no lift", first)
	}
	if ten.Name != "ten" || ten.Enrolled != 1 || ten.Converted != 0 || ten.AbsoluteLift == nil || *ten.AbsoluteLift != -1 {
		t.Fatalf("second arm %+v, want ten: 1 enrolled, none converted, lift -1", ten)
	}
	// Newcombe's interval for 0/1 against 1/1: the Wilson intervals are
	// [0, 0.7934] and [0.2066, 1], so the lift of -1 is bounded by
	// -1 - hypot(0, 0) and -1 + hypot(0.7934, 0.7934): one run per arm
	// proves nothing.
	if ten.CILow == nil || *ten.CILow != -1 || math.Abs(*ten.CIHigh-0.1221) > 1e-3 || ten.Significant {
		t.Errorf("ten's interval [%v, %v] significant %v, want [-1, 0.1221], not significant", *ten.CILow, *ten.CIHigh, ten.Significant)
	}
}

// TestStepRollupRebuild checks that rebuilding journey_step_stats from the
// log, as the migration does for an existing log, gives what the trigger
// kept.
func TestStepRollupRebuild(t *testing.T) {
	c := seedFlowRuns(t)
	ctx := dbtest.Ctx()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	q := reporting.StepQuery{Nodes: flowNodes}
	kept, err := c.s.StepReport(ctx, c.j.ID, day, day, q)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.s.DB().Exec(`SELECT journey_step_stats_rebuild()`); err != nil {
		t.Fatal(err)
	}
	rebuilt, err := c.s.StepReport(ctx, c.j.ID, day, day, q)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(kept)
	b, _ := json.Marshal(rebuilt)
	if string(a) != string(b) {
		t.Errorf("rebuilt report differs:\nkept    %s\nrebuilt %s", a, b)
	}
}
