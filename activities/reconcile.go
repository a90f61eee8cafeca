package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"journeys/reporting"
)

// EnrollmentMemo is the memo field that names a run's enrollment row: for
// support staff reading the run in the Temporal UI, and for the sweep that
// finds the enrollments of runs Temporal closed.
const EnrollmentMemo = "enrollment_id"

// serverIdentity is the identity Temporal's history service terminates a
// run under when it breaks a limit, such as the history size limit.
const serverIdentity = "history-service"

// Runs is the part of the Temporal client that reads how runs ended.
type Runs interface {
	DescribeWorkflowExecution(ctx context.Context, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error)
	GetWorkflowHistory(ctx context.Context, workflowID, runID string, isLongPoll bool, filterType enumspb.HistoryEventFilterType) client.HistoryEventIterator
	ListWorkflow(ctx context.Context, request *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error)
}

// ReconcileStore is the part of the reporting store reconciling uses.
type ReconcileStore interface {
	ActiveEnrollmentsByIDAllWorkspaces(ctx context.Context, ids []int64) ([]reporting.Enrollment, error)
	EndEnrollment(ctx context.Context, id int64, status string, e reporting.Entry) error
	RemoveEnrollment(ctx context.Context, e reporting.Enrollment, reason string) error
}

// Reconciler ends the enrollments whose run Temporal closed behind the
// service's back: terminated by an operator or by a limit, timed out,
// canceled. Such a run never closes its enrollment itself, so without this
// the user stays active in Postgres for good: events reach nothing and the
// user cannot enter again.
type Reconciler struct {
	Store    ReconcileStore
	Temporal Runs
}

// Reconcile looks up the run of active enrollment e and, when Temporal
// has closed it, ends e the way the run ended, logging the reason Temporal
// gives. A run gone from Temporal altogether ends e as removed. It reports
// whether e's run is over; false means it still runs (or e has no run yet).
func (r *Reconciler) Reconcile(ctx context.Context, e reporting.Enrollment) (bool, error) {
	if e.Status != reporting.StatusActive || e.RunID == "" {
		return false, nil
	}
	desc, err := r.Temporal.DescribeWorkflowExecution(ctx, e.WorkflowID, e.RunID)
	var gone *serviceerror.NotFound
	if errors.As(err, &gone) {
		return true, r.Store.RemoveEnrollment(ctx, e, "the run is gone from Temporal")
	}
	if err != nil {
		return false, fmt.Errorf("describe run %s: %w", e.WorkflowID, err)
	}
	switch desc.GetWorkflowExecutionInfo().GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return false, nil
	}
	closed, err := r.closeEvent(ctx, e)
	if err != nil {
		return false, err
	}
	status, reason := runEnding(closed)
	entry := reporting.Entry{
		EnrollmentID: e.ID, JourneyID: e.JourneyID, UserID: e.UserID,
		Kind: reporting.KindFailed, Detail: reason, At: time.Now().UTC(),
	}
	if t := closed.GetEventTime(); t != nil {
		entry.At = t.AsTime().UTC()
	}
	if status != reporting.StatusFailed {
		entry.Kind = reporting.KindExited
	}
	return true, r.Store.EndEnrollment(ctx, e.ID, status, entry)
}

// closeEvent returns the event that closed e's run.
func (r *Reconciler) closeEvent(ctx context.Context, e reporting.Enrollment) (*historypb.HistoryEvent, error) {
	it := r.Temporal.GetWorkflowHistory(ctx, e.WorkflowID, e.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	var last *historypb.HistoryEvent
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("read how run %s closed: %w", e.WorkflowID, err)
		}
		last = ev
	}
	if last == nil {
		return nil, fmt.Errorf("read how run %s closed: no close event", e.WorkflowID)
	}
	return last, nil
}

// runEnding maps the event that closed a run onto the enrollment's final
// status and reason. Temporal closing a run on its own (a limit, a
// timeout) is a failure; a person terminating or canceling it removes it.
// A run that completed says how in its result; it closed its enrollment
// itself, so this only matters should that write have been lost.
func runEnding(ev *historypb.HistoryEvent) (status, reason string) {
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
		a := ev.GetWorkflowExecutionTerminatedEventAttributes()
		reason = "terminated"
		if a.GetReason() != "" {
			reason += ": " + a.GetReason()
		}
		if a.GetIdentity() == serverIdentity {
			return reporting.StatusFailed, reason
		}
		return reporting.StatusRemoved, reason
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
		return reporting.StatusFailed, "timed out"
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
		return reporting.StatusFailed, "failed: " + ev.GetWorkflowExecutionFailedEventAttributes().GetFailure().GetMessage()
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
		return reporting.StatusRemoved, "canceled"
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
		// The journey's result: {"Status": ..., "Reason": ...}.
		var res struct{ Status, Reason string }
		payloads := ev.GetWorkflowExecutionCompletedEventAttributes().GetResult()
		if err := converter.GetDefaultDataConverter().FromPayloads(payloads, &res); err == nil && final(res.Status) {
			return res.Status, res.Reason
		}
		return reporting.StatusExited, "completed"
	}
	return reporting.StatusFailed, "closed: " + ev.GetEventType().String()
}

// final reports whether status is one an enrollment can end with.
func final(status string) bool {
	switch status {
	case reporting.StatusConverted, reporting.StatusExited, reporting.StatusRemoved, reporting.StatusFailed:
		return true
	}
	return false
}
