package dryrun_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"journeys/reporting"
	"journeys/workflows/journey/dryrun"
)

// TestSimulateGivesUpOnAStuckRun simulates a journey whose template read
// hangs: after Idle on the wall clock the simulation is an error, not a
// hang or a panic.
func TestSimulateGivesUpOnAStuckRun(t *testing.T) {
	_, err := dryrun.Simulate(t.Context(), dryrun.Simulation{
		Journey: reporting.Journey{ID: "j", Type: "flow", GoalEvent: "purchase", Version: 1, Config: pushFlow},
		UserID:  "u1", Profile: &reporting.User{PushToken: "tok"}, Horizon: 24 * time.Hour, Idle: 100 * time.Millisecond,
		Templates: func(string, []string) (reporting.Template, error) {
			time.Sleep(time.Second)
			return reporting.Template{}, reporting.ErrNotFound
		},
	})
	if err == nil || !strings.Contains(err.Error(), "the run got stuck") {
		t.Errorf("a stuck run: %v, want an error saying it got stuck", err)
	}
}

// pushFlow waits 2h, pushes, and exits.
var pushFlow, _ = json.Marshal(map[string]any{"start": "wait", "nodes": map[string]any{
	"wait": map[string]any{"type": "wait", "duration": "2h", "next": "push"},
	"push": map[string]any{"type": "send", "channel": "push", "template": "hi", "next": "done"},
	"done": map[string]any{"type": "exit", "reason": "finished"},
}})

// TestSimulateNamesFlowNodes simulates a flow over the store's default
// template: the path names nodes and times them from the enrollment.
func TestSimulateNamesFlowNodes(t *testing.T) {
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	res, err := dryrun.Simulate(t.Context(), dryrun.Simulation{
		Journey: reporting.Journey{ID: "j", Type: "flow", GoalEvent: "purchase", Version: 1, Config: pushFlow},
		UserID:  "u1", Profile: &reporting.User{PushToken: "tok"}, StartAt: start, Horizon: 24 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range res.Path {
		if s.Action != reporting.KindNode {
			got = append(got, s.Node+"/"+s.Action+"@"+s.At)
		}
	}
	// The wait carries its jitter: 1% of 2h at most.
	if len(got) != 3 || got[0] != "/enrolled@0s" || !strings.HasPrefix(got[1], "push/sent@2h") || !strings.HasPrefix(got[2], "/exited@2h") ||
		res.Outcome.Status != "exited" || res.Outcome.Reason != "finished" {
		t.Errorf("path %v, outcome %+v; want the push at 2h, then exited finished", got, res.Outcome)
	}
	if slices.ContainsFunc(res.Path, func(s dryrun.Step) bool { return s.Step != "" }) {
		t.Errorf("a flow's path names steps, want nodes: %+v", res.Path)
	}
}
