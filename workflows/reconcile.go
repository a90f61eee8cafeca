package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"journeys/activities"
	"journeys/reporting"
	"journeys/workflows/journey"
)

// SweepWorkflowID is the id of the namespace's one sweep of closed runs.
const SweepWorkflowID = "sweep/closed-runs"

// DefaultSweepEvery is how often the sweep looks for closed runs.
const DefaultSweepEvery = 5 * time.Minute

// sweepOverlap is how far before the previous pass each pass looks again,
// for runs that visibility listed late.
const sweepOverlap = 10 * time.Minute

// passesPerRun bounds the sweep's history: after that many passes it
// continues as new.
const passesPerRun = 100

// closedRunsQuery lists the runs Temporal closed behind the service's
// back: a journey sets JourneyStatus when it ends, so a closed run still
// marked active was terminated, timed out or canceled.
var closedRunsQuery = fmt.Sprintf(`%s = %q AND ExecutionStatus != "Running"`, journey.JourneyStatusKey.GetName(), reporting.StatusActive)

// SweepInput starts or continues the sweep.
type SweepInput struct {
	// Every is the time between two passes.
	Every time.Duration
	// Since is when the last pass that succeeded started; zero looks at
	// every closed run Temporal still keeps.
	Since time.Time
}

// SweepClosedRuns reconciles, every in.Every, the enrollments whose run
// Temporal closed without the journey ending it, so that they end as
// their run did and their users can enter again. Enrolling and events
// reconcile the runs they meet; this finds the ones nothing meets. A pass
// that fails is covered by the next, which looks back from the same point.
func SweepClosedRuns(ctx workflow.Context, in SweepInput) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		Summary:             "reconcile closed runs",
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute, MaximumAttempts: 3},
	})
	for range passesPerRun {
		started := workflow.Now(ctx)
		pass := activities.SweepInput{Query: closedRunsQuery}
		if !in.Since.IsZero() {
			pass.ClosedAfter = in.Since.Add(-sweepOverlap)
		}
		var res activities.SweepResult
		if err := workflow.ExecuteActivity(ctx, jobs.SweepClosedRuns, pass).Get(ctx, &res); err != nil {
			workflow.GetLogger(ctx).Warn("sweep of closed runs failed; the next pass covers its window", "error", err)
		} else {
			in.Since = started
		}
		if err := workflow.Sleep(ctx, in.Every); err != nil {
			return err
		}
	}
	return workflow.NewContinueAsNewError(ctx, SweepClosedRuns, in)
}
