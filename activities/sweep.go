package activities

import (
	"context"
	"fmt"
	"slices"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"journeys/reporting"
)

// SweepInput asks for one pass of the sweep over runs Temporal closed.
type SweepInput struct {
	// Query is the visibility query of the runs to look at: those whose
	// journey status still says active though Temporal closed them.
	Query string
	// ClosedAfter, when set, limits the pass to runs closed since then.
	ClosedAfter time.Time
}

// SweepResult tells what a pass found.
type SweepResult struct {
	// Closed counts the runs the query listed; Reconciled the enrollments
	// the pass ended (the others had ended already).
	Closed, Reconciled int
}

// sweepPage is how many runs one visibility call lists.
const sweepPage = 500

// SweepClosedRuns ends the enrollments that are still active though
// Temporal closed their run, for every run the query lists: the backstop
// for the runs no enrollment or event comes to reconcile. Running it again
// changes nothing.
func (j *Jobs) SweepClosedRuns(ctx context.Context, in SweepInput) (SweepResult, error) {
	query := in.Query
	if !in.ClosedAfter.IsZero() {
		query += fmt.Sprintf(` AND CloseTime >= "%s"`, in.ClosedAfter.UTC().Format(time.RFC3339Nano))
	}
	var res SweepResult
	var token []byte
	for {
		page, err := j.Reconciler.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: query, PageSize: sweepPage, NextPageToken: token,
		})
		if err != nil {
			return res, fmt.Errorf("list closed runs: %w", err)
		}
		runs := map[int64]string{} // enrollment id: run id
		for _, x := range page.GetExecutions() {
			if id, ok := enrollmentID(x.GetMemo()); ok {
				runs[id] = x.GetExecution().GetRunId()
			}
		}
		res.Closed += len(page.GetExecutions())
		ids := make([]int64, 0, len(runs))
		for id := range runs {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		// The sweep is the one pass over every workspace's runs: each
		// enrollment is ended in its own.
		active, err := j.Reconciler.Store.ActiveEnrollmentsByIDAllWorkspaces(ctx, ids)
		if err != nil {
			return res, err
		}
		for _, e := range active {
			if e.RunID != runs[e.ID] {
				continue // the enrollment is another run's
			}
			over, err := j.Reconciler.Reconcile(reporting.WithWorkspace(ctx, e.Workspace), e)
			if err != nil {
				return res, err
			}
			if over {
				res.Reconciled++
			}
		}
		activity.RecordHeartbeat(ctx, res)
		if token = page.GetNextPageToken(); len(token) == 0 {
			return res, nil
		}
	}
}

// enrollmentID reads the enrollment a run belongs to from its memo.
func enrollmentID(memo *commonpb.Memo) (int64, bool) {
	p, ok := memo.GetFields()[EnrollmentMemo]
	if !ok {
		return 0, false
	}
	var id int64
	if err := converter.GetDefaultDataConverter().FromPayload(p, &id); err != nil {
		return 0, false
	}
	return id, true
}
