package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"journeys/activities"
)

// TestSweepClosedRuns runs the sweep through a run's worth of passes: the
// first looks at every closed run, each later one from a little before the
// last pass that worked, and then the sweep continues as new.
func TestSweepClosedRuns(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	Register(env)
	env.RegisterActivity(&activities.Jobs{})
	var passes []activities.SweepInput
	var starts []time.Time
	env.OnActivity(jobs.SweepClosedRuns, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.SweepInput) (activities.SweepResult, error) {
			if activity.GetInfo(ctx).Attempt == 1 {
				passes = append(passes, in)
				starts = append(starts, env.Now())
			}
			if len(passes) == 3 { // every attempt of the third pass
				return activities.SweepResult{}, errors.New("visibility is down")
			}
			return activities.SweepResult{Closed: 1, Reconciled: 1}, nil
		})

	env.ExecuteWorkflow(SweepClosedRuns, SweepInput{Every: time.Minute})

	var cont *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &cont) {
		t.Fatalf("sweep ended with %v, want to continue as new", err)
	}
	if len(passes) != passesPerRun {
		t.Fatalf("%d passes, want %d", len(passes), passesPerRun)
	}
	if passes[0].Query != closedRunsQuery || !passes[0].ClosedAfter.IsZero() {
		t.Errorf("first pass = %+v, want every closed run", passes[0])
	}
	// Pass 3 failed, so pass 4 looks back from where pass 3 did.
	for i, want := range map[int]time.Time{1: starts[0], 2: starts[1], 3: starts[1], 4: starts[3]} {
		if got := passes[i].ClosedAfter; !got.Equal(want.Add(-sweepOverlap)) {
			t.Errorf("pass %d looks from %s, want %s", i+1, got, want.Add(-sweepOverlap))
		}
	}
	if gap := starts[1].Sub(starts[0]); gap < time.Minute || gap > time.Minute+time.Second {
		t.Errorf("passes %s apart, want a minute", gap)
	}
}
