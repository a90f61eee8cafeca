package runs

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"journeys/activities"
	"journeys/reporting"
	"journeys/workflows"
	"journeys/workflows/journey"
)

// ErrPreviousRunOpen is an enrollment whose user's previous run of the
// journey has ended in the reporting store but is still closing in Temporal.
var ErrPreviousRunOpen = errors.New("the previous run is still closing")

// Enrollment is what Enroll did.
type Enrollment struct {
	reporting.Enrollment
	// Created is false when the user was already in the journey.
	Created bool
}

// Enroll enrolls the user into the journey, or returns the user's active
// enrollment. Enrollment is idempotent: the active enrollment in Postgres
// decides who enrolls, the workflow id is deterministic, and concurrent or
// repeated calls all return the same run. An entry event comes along as
// trigger and reaches a new run with its start (signal-with-start).
// Refusals are *reporting.NotActiveError and *reporting.NotEligibleError.
func (s *Service) Enroll(ctx context.Context, j reporting.Journey, userID, source string, trigger *journey.Event) (Enrollment, error) {
	e, err := s.enroll(ctx, j, userID, source, trigger)
	var notActive *reporting.NotActiveError
	var notEligible *reporting.NotEligibleError
	switch {
	case err == nil && e.Created:
		s.Metrics.Enrolled(j.ID, "enrolled")
	case err == nil:
		s.Metrics.Enrolled(j.ID, "already_enrolled")
	case errors.As(err, &notEligible):
		s.Metrics.Enrolled(j.ID, "not_eligible")
	case errors.As(err, &notActive):
		s.Metrics.Enrolled(j.ID, "not_active")
	default:
		s.Metrics.Enrolled(j.ID, "error")
	}
	return e, err
}

// EnrollUser enrolls the user without a trigger event, for the activities
// that enroll whole audiences.
func (s *Service) EnrollUser(ctx context.Context, j reporting.Journey, userID, source string) (reporting.Enrollment, bool, error) {
	e, err := s.Enroll(ctx, j, userID, source, nil)
	return e.Enrollment, e.Created, err
}

func (s *Service) enroll(ctx context.Context, j reporting.Journey, userID, source string, trigger *journey.Event) (Enrollment, error) {
	if j.Status != reporting.JourneyActive {
		return Enrollment{}, &reporting.NotActiveError{JourneyID: j.ID, Status: j.Status}
	}
	var detail, match string
	if trigger != nil {
		detail = fmt.Sprintf("entered on %s (event %s)", trigger.Name, trigger.EventID)
		match = reporting.MatchValue(trigger.Properties, j.Match)
	}
	ws, err := reporting.WorkspaceOf(ctx)
	if err != nil {
		return Enrollment{}, fmt.Errorf("enroll: %w", err)
	}
	claim := reporting.Claim{
		Journey: j, UserID: userID, WorkflowID: journey.WorkflowID(ws, j.ID, userID), Source: source, Detail: detail, MatchValue: match,
	}
	e, created, err := s.Store.ClaimEnrollment(ctx, claim)
	if err != nil {
		return Enrollment{}, err
	}
	if !created && s.Reconciler != nil {
		// A run Temporal closed behind the service's back (terminated,
		// timed out) leaves its enrollment active: end it as the run ended,
		// and the user enters anew.
		over, err := s.Reconciler.Reconcile(ctx, e.Enrollment)
		if err != nil {
			return Enrollment{}, err
		}
		if over {
			if e, created, err = s.Store.ClaimEnrollment(ctx, claim); err != nil {
				return Enrollment{}, err
			}
		}
	}
	if e.RunID == "" {
		// A claim whose start failed is started by whoever comes next.
		if e.RunID, e.FirstStepAt, err = s.start(ctx, j, e, trigger); err != nil {
			return Enrollment{}, err
		}
		if err := s.Store.SetEnrollmentRun(ctx, e.ID, e.RunID, e.FirstStepAt); err != nil {
			return Enrollment{}, err
		}
	}
	return Enrollment{Enrollment: e.Enrollment, Created: created}, nil
}

// start starts the run of enrollment e and returns its run id and, when
// Temporal holds its first task until its first step, when that is. Every
// call for the same enrollment gets the same run. The user's previous run
// of the journey, when it has ended in Postgres but is still closing in
// Temporal, would be returned as the existing run: that one is waited for
// instead.
func (s *Service) start(ctx context.Context, j reporting.Journey, e reporting.Claimed, trigger *journey.Event) (string, *time.Time, error) {
	typ, ok := workflows.Lookup(j.Type)
	if !ok {
		return "", nil, fmt.Errorf("journey %s has unknown type %q", j.ID, j.Type)
	}
	plan := typ.Plan(j.Config)
	in := workflows.RunInput(typ, j, e.Enrollment, trigger)
	opts := client.StartWorkflowOptions{
		ID:                       e.WorkflowID,
		TaskQueue:                journey.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes:    journey.StartAttributes(in),
		Memo:                     map[string]any{activities.EnrollmentMemo: e.ID},
		StaticSummary:            fmt.Sprintf("%s · user %s", j.Name, e.UserID),
		// A run whose journey starts with a wait needs no task before its
		// first step is due: Temporal holds the first one until then.
		StartDelay: journey.FirstWait(in, plan.FirstWait),
	}
	var firstStepAt *time.Time
	if opts.StartDelay > 0 {
		at := e.EnrolledAt.Add(opts.StartDelay)
		firstStepAt = &at
	}
	for range 3 {
		var run client.WorkflowRun
		var err error
		if trigger != nil {
			run, err = s.Temporal.SignalWithStartWorkflow(ctx, e.WorkflowID, journey.EventSignalName, *trigger, opts, typ.Workflow, in)
		} else {
			run, err = s.Temporal.ExecuteWorkflow(ctx, opts, typ.Workflow, in)
		}
		if err != nil {
			return "", nil, fmt.Errorf("start workflow: %w", err)
		}
		if e.PreviousRun == "" || run.GetRunID() != e.PreviousRun {
			return run.GetRunID(), firstStepAt, nil
		}
		wait, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = s.Temporal.GetWorkflow(wait, e.WorkflowID, e.PreviousRun).Get(wait, nil)
		cancel()
	}
	return "", nil, ErrPreviousRunOpen
}
