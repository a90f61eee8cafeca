package runs

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"journeys/workflows"
	"journeys/workflows/journey"
)

// StartSweep starts the sweep of closed runs (workflows.SweepClosedRuns),
// one pass each every (0 for workflows.DefaultSweepEvery), unless it runs
// already. Every worker calls it when it starts.
func StartSweep(ctx context.Context, c Temporal, every time.Duration) error {
	if every <= 0 {
		every = workflows.DefaultSweepEvery
	}
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       workflows.SweepWorkflowID,
		TaskQueue:                journey.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            "Ends the enrollments of runs Temporal closed behind the service's back",
	}, "SweepClosedRuns", workflows.SweepInput{Every: every})
	if err != nil {
		return fmt.Errorf("start the sweep of closed runs: %w", err)
	}
	return nil
}
