package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/temporal"
	"go.temporal.io/server/temporaltest"

	"journeys/reporting"
)

// terminate enrolls user into journeyID and has an operator terminate the
// run in Temporal, behind the service's back. It returns the run.
func (s *stack) terminate(journeyID, user, reason string) enrollment {
	s.t.Helper()
	var e enrollment
	s.mustCall("POST", "/v1/journeys/"+journeyID+"/enrollments", map[string]string{"user_id": user}, 202, &e)
	if err := s.temporal.TerminateWorkflow(context.Background(), e.WorkflowID, e.RunID, reason); err != nil {
		s.t.Fatal(err)
	}
	return e
}

// runs lists the user's enrollments, newest first.
func (s *stack) runs(user string) []enrollment {
	s.t.Helper()
	var out struct{ Enrollments []enrollment }
	s.mustCall("GET", "/v1/users/"+user+"/enrollments", nil, 200, &out)
	return out.Enrollments
}

// wantEnded checks that the run ended as want, with reason, in the
// enrollment and in the reporting log.
func (s *stack) wantEnded(journeyID, user, runID, status, reason string) {
	s.t.Helper()
	for _, e := range s.runs(user) {
		if e.RunID != runID {
			continue
		}
		if e.Status != status || e.ExitReason != reason {
			s.t.Errorf("run %s of %s = %s (%s), want %s (%s)", runID, user, e.Status, e.ExitReason, status, reason)
		}
		var logged string
		err := s.store.DB().Get(&logged, `SELECT j.kind || ': ' || j.detail FROM journey_events j
			JOIN enrollments e ON e.id = j.enrollment_id WHERE e.run_id = $1 AND j.kind IN ('exited', 'failed')`, runID)
		if kind := map[string]string{"removed": "exited", "failed": "failed"}[status]; err != nil || logged != kind+": "+reason {
			s.t.Errorf("log of run %s = %q, %v; want %q", runID, logged, err, kind+": "+reason)
		}
		return
	}
	s.t.Errorf("%s has no run %s in %s", user, runID, journeyID)
}

// TestTerminatedRunsAreReconciled terminates runs in Temporal, as an
// operator would, and checks that the service meets each: enrolling the
// user again starts a new run, and a purchase answers 202 and, brought to
// the dead run after, finds it gone. Either way the old enrollment ends as
// removed with Temporal's reason, and the report counts it.
func TestTerminatedRunsAreReconciled(t *testing.T) {
	s := startStack(t)
	s.mustCall("POST", "/v1/journeys", longJourney("cart", nil), 201, nil)

	old := s.terminate("cart", "u1", "stuck after a bad deploy")
	var again enrollment
	s.mustCall("POST", "/v1/journeys/cart/enrollments", map[string]string{"user_id": "u1"}, 202, &again)
	if again.AlreadyEnrolled || again.RunID == old.RunID || again.Status != "active" {
		t.Errorf("enroll after terminate = %+v, want a new active run", again)
	}
	s.wantEnded("cart", "u1", old.RunID, "removed", "terminated: stuck after a bad deploy")

	old = s.terminate("cart", "u2", "cleanup")
	var answer eventAnswer
	got := s.call("POST", "/v1/events", map[string]any{"event_id": "p2", "user_id": "u2", "name": "purchase",
		"properties": map[string]any{"revenue": 120}}, &answer)
	if got != 202 || answer.Signalled != 1 {
		t.Errorf("purchase for a terminated run = %d %+v, want 202 going to the run the store lists", got, answer)
	}
	s.waitFor("cart", "u2", ended)
	s.wantEnded("cart", "u2", old.RunID, "removed", "terminated: cleanup")
	s.mustCall("POST", "/v1/journeys/cart/enrollments", map[string]string{"user_id": "u2"}, 202, nil)

	var report reporting.Report
	s.mustCall("GET", "/v1/journeys/cart/report", nil, 200, &report)
	if report.Enrolled != 4 || report.Removed != 2 || report.Active != 2 ||
		report.ExitReasons["terminated: stuck after a bad deploy"] != 1 || report.ExitReasons["terminated: cleanup"] != 1 {
		t.Errorf("report = enrolled %d, removed %d, active %d, exit reasons %v; want 4, 2, 2 and both terminations",
			report.Enrolled, report.Removed, report.Active, report.ExitReasons)
	}
}

// TestSweepReconcilesUntouchedRuns terminates a run nobody enrolls or sends
// events for again: the worker's periodic sweep finds it and ends it.
func TestSweepReconcilesUntouchedRuns(t *testing.T) {
	s := startStack(t, func(c *config) { c.SweepEvery = time.Second })
	s.mustCall("POST", "/v1/journeys", longJourney("cart", nil), 201, nil)
	s.mustCall("POST", "/v1/journeys/cart/enrollments", map[string]string{"user_id": "alive"}, 202, nil)
	old := s.terminate("cart", "u1", "nobody looks")

	e := s.waitFor("cart", "u1", ended)
	s.wantEnded("cart", "u1", old.RunID, "removed", "terminated: nobody looks")
	if e.RunID != old.RunID {
		t.Errorf("latest run of u1 = %s, want the terminated %s", e.RunID, old.RunID)
	}
	// The sweep leaves running runs alone.
	time.Sleep(3 * time.Second)
	if alive := s.waitFor("cart", "alive", func(enrollment) bool { return true }); alive.Status != "active" {
		t.Errorf("the running run = %s, want active", alive.Status)
	}
}

// TestRunPastHistoryLimitIsReconciled sends a run events it ignores (they
// happened before it began) until its history outgrows the limit and
// Temporal terminates it on its own. No event answers 503; the enrollment
// ends as failed with Temporal's reason; the user can enter again.
func TestRunPastHistoryLimitIsReconciled(t *testing.T) {
	for _, c := range []struct {
		name, role, firstTouch string
	}{
		// The run's own workflow task usually finds the history too large;
		// an event's signal may, depending on which reaches the server first.
		{"with a worker", "all", "24h"},
		// With no worker to take the run's first step, which is due at
		// once, the events' signals pile up and one of them finds the
		// history too large: Temporal ends the run and rejects that signal.
		{"an event finds the history too large", "api", "0s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			limits := dynamicconfig.StaticClient{
				dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): []dynamicconfig.ConstrainedValue{{Value: true}},
				dynamicconfig.HistorySizeLimitError.Key():                   []dynamicconfig.ConstrainedValue{{Value: 100 * 1024}},
			}
			ts := temporaltest.NewServer(temporaltest.WithT(t), temporaltest.WithBaseServerOptions(temporal.WithDynamicConfigClient(limits)))
			s := newStack(t, ts, func(cfg *config) { cfg.Role, cfg.SweepEvery = c.role, time.Second })
			j := cartJourney("cart", nil)
			j["config"] = map[string]any{"touches": []map[string]string{{"after": c.firstTouch, "channel": "push", "template": "cart_offer"}}}
			s.mustCall("POST", "/v1/journeys", j, 201, nil)
			var run enrollment
			s.mustCall("POST", "/v1/journeys/cart/enrollments", map[string]string{"user_id": "u1"}, 202, &run)

			before := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
			padding := strings.Repeat("x", 30*1024)
			for i := range 8 {
				var answer eventAnswer
				got := s.call("POST", "/v1/events", map[string]any{"event_id": fmt.Sprintf("old-%d", i), "user_id": "u1", "name": "purchase",
					"occurred_at": before, "properties": map[string]any{"note": padding}}, &answer)
				if got != 202 {
					t.Fatalf("event %d = %d, want 202", i, got)
				}
			}
			e := s.waitFor("cart", "u1", ended)
			if e.RunID != run.RunID {
				t.Fatalf("latest run = %s, want %s", e.RunID, run.RunID)
			}
			s.wantEnded("cart", "u1", run.RunID, "failed", "terminated: Workflow history size exceeds limit.")
			s.mustCall("POST", "/v1/journeys/cart/enrollments", map[string]string{"user_id": "u1"}, 202, nil)
		})
	}
}
