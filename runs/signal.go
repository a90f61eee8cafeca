package runs

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"journeys/reporting"
	"journeys/workflows/journey"
	"journeys/workflows/kitv1"
)

// Signal brings a signal to the run of enrollment e; a run that has
// closed is *serviceerror.NotFound. A run still in its start delay (its
// first step not due yet) does not wake on a plain signal, so it gets a
// signal-with-start, which reaches the running run and ends the delay.
func (s *Service) Signal(ctx context.Context, e reporting.Enrollment, name string, arg any) error {
	signal := func() error { return s.Temporal.SignalWorkflow(ctx, e.WorkflowID, e.RunID, name, arg) }
	if e.FirstStepAt != nil && time.Now().Before(*e.FirstStepAt) {
		signal = func() error { return s.signalWithStart(ctx, e, name, arg) }
	}
	// The call that finds a run past Temporal's history limits (size, event
	// count, mutable state) is the one that terminates it, and Temporal
	// rejects that call as InvalidArgument rather than NotFound; asked
	// again, it answers as for any closed run. A rejected signal was not
	// applied, so asking again cannot deliver it twice.
	err := signal()
	var rejected *serviceerror.InvalidArgument
	if errors.As(err, &rejected) {
		err = signal()
	}
	return err
}

// signalWithStart signals the run of e, which is in its start delay.
func (s *Service) signalWithStart(ctx context.Context, e reporting.Enrollment, name string, arg any) error {
	opts := client.StartWorkflowOptions{
		ID:        e.WorkflowID,
		TaskQueue: journey.TaskQueue,
		// The run is open; should it have closed, it is not started again.
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}
	in := journey.Input{Kit: journey.Kit2, Workspace: e.Workspace, JourneyID: e.JourneyID, UserID: e.UserID, EnrollmentID: e.ID, EnrolledAt: e.EnrolledAt, Wake: true}
	run, err := s.Temporal.SignalWithStartWorkflow(ctx, e.WorkflowID, name, arg, opts, kitv1.Workflow, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &started):
		return serviceerror.NewNotFound("the run has closed")
	case err != nil:
		return err
	case run.GetRunID() != e.RunID:
		return serviceerror.NewNotFound("the run has closed; the user has another")
	}
	return nil
}

// Remove asks the run of enrollment e to end as removed, for reason, and
// waits briefly for it to say so. A run that is gone from Temporal is
// closed in the store directly.
func (s *Service) Remove(ctx context.Context, e reporting.Enrollment, reason string) error {
	err := s.Signal(ctx, e, journey.ControlSignalName,
		journey.ControlSignal{Op: journey.ControlRemove, Reason: reason})
	var gone *serviceerror.NotFound
	if errors.As(err, &gone) {
		return s.Store.RemoveEnrollment(ctx, e, reason)
	}
	if err != nil {
		return fmt.Errorf("signal removal: %w", err)
	}
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = s.Temporal.GetWorkflow(wait, e.WorkflowID, e.RunID).Get(wait, nil)
	return nil
}
