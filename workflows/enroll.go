package workflows

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"journeys/activities"
	"journeys/metrics"
	"journeys/reporting"
	"journeys/workflows/journey"
	"journeys/workflows/kitv1"
)

// Starter is the part of the Temporal client that starts and signals runs.
type Starter interface {
	ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error)
	SignalWithStartWorkflow(ctx context.Context, workflowID, signalName string, signalArg any, options client.StartWorkflowOptions, workflow any, workflowArgs ...any) (client.WorkflowRun, error)
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg any) error
	GetWorkflow(ctx context.Context, workflowID, runID string) client.WorkflowRun
}

// EnrollStore is the part of the reporting store enrolling uses.
type EnrollStore interface {
	ClaimEnrollment(ctx context.Context, c reporting.Claim) (reporting.Enrollment, bool, error)
	SetEnrollmentRun(ctx context.Context, id int64, runID string, firstStepAt *time.Time) error
	PreviousRun(ctx context.Context, e reporting.Enrollment) (string, error)
}

// Reconciler ends an active enrollment whose run Temporal has closed,
// reporting whether the run is over (see activities.Reconciler).
type Reconciler interface {
	Reconcile(ctx context.Context, e reporting.Enrollment) (bool, error)
}

// Enroller enrolls users into journeys: the API, entry events and audience
// imports all go through it.
type Enroller struct {
	Store    EnrollStore
	Temporal Starter
	// Reconciler checks the run of an active enrollment before the user is
	// told they are enrolled already; nil trusts the store.
	Reconciler Reconciler
	// Metrics counts enrollments by journey and outcome; nil counts nothing.
	Metrics *metrics.Metrics
}

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
func (en *Enroller) Enroll(ctx context.Context, j reporting.Journey, userID, source string, trigger *journey.Event) (Enrollment, error) {
	e, err := en.enroll(ctx, j, userID, source, trigger)
	var notActive *reporting.NotActiveError
	var notEligible *reporting.NotEligibleError
	switch {
	case err == nil && e.Created:
		en.Metrics.Enrolled(j.ID, "enrolled")
	case err == nil:
		en.Metrics.Enrolled(j.ID, "already_enrolled")
	case errors.As(err, &notEligible):
		en.Metrics.Enrolled(j.ID, "not_eligible")
	case errors.As(err, &notActive):
		en.Metrics.Enrolled(j.ID, "not_active")
	default:
		en.Metrics.Enrolled(j.ID, "error")
	}
	return e, err
}

func (en *Enroller) enroll(ctx context.Context, j reporting.Journey, userID, source string, trigger *journey.Event) (Enrollment, error) {
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
	e, created, err := en.Store.ClaimEnrollment(ctx, claim)
	if err != nil {
		return Enrollment{}, err
	}
	if !created && en.Reconciler != nil {
		// A run Temporal closed behind the service's back (terminated,
		// timed out) leaves its enrollment active: end it as the run ended,
		// and the user enters anew.
		over, err := en.Reconciler.Reconcile(ctx, e)
		if err != nil {
			return Enrollment{}, err
		}
		if over {
			if e, created, err = en.Store.ClaimEnrollment(ctx, claim); err != nil {
				return Enrollment{}, err
			}
		}
	}
	if e.RunID == "" {
		// A claim whose start failed is started by whoever comes next.
		if e.RunID, e.FirstStepAt, err = en.start(ctx, j, e, trigger); err != nil {
			return Enrollment{}, err
		}
		if err := en.Store.SetEnrollmentRun(ctx, e.ID, e.RunID, e.FirstStepAt); err != nil {
			return Enrollment{}, err
		}
	}
	return Enrollment{Enrollment: e, Created: created}, nil
}

// memoEnrollment is the memo field that names a run's enrollment row.
const memoEnrollment = activities.EnrollmentMemo

// start starts the run of enrollment e and returns its run id and, when
// Temporal holds its first task until its first step, when that is. Every
// call for the same enrollment gets the same run. The user's previous run
// of the journey, when it has ended in Postgres but is still closing in
// Temporal, would be returned as the existing run: that one is waited for
// instead.
func (en *Enroller) start(ctx context.Context, j reporting.Journey, e reporting.Enrollment, trigger *journey.Event) (string, *time.Time, error) {
	typ, ok := Lookup(j.Type)
	if !ok {
		return "", nil, fmt.Errorf("journey %s has unknown type %q", j.ID, j.Type)
	}
	plan := typ.Plan(j.Config)
	in := RunInput(typ, j, e, trigger)
	opts := client.StartWorkflowOptions{
		ID:                       e.WorkflowID,
		TaskQueue:                journey.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes:    journey.StartAttributes(in),
		Memo:                     map[string]any{memoEnrollment: e.ID},
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
	// The previous run is looked up while Temporal starts this one: it only
	// matters when Temporal answers with it.
	type lookup struct {
		run string
		err error
	}
	prior := make(chan lookup, 1)
	go func() {
		run, err := en.Store.PreviousRun(ctx, e)
		prior <- lookup{run, err}
	}()
	var previous *lookup
	for range 3 {
		var run client.WorkflowRun
		var err error
		if trigger != nil {
			run, err = en.Temporal.SignalWithStartWorkflow(ctx, e.WorkflowID, journey.EventSignalName, *trigger, opts, typ.Workflow, in)
		} else {
			run, err = en.Temporal.ExecuteWorkflow(ctx, opts, typ.Workflow, in)
		}
		if err != nil {
			return "", nil, fmt.Errorf("start workflow: %w", err)
		}
		if previous == nil {
			l := <-prior
			previous = &l
		}
		if previous.err != nil {
			return "", nil, previous.err
		}
		if previous.run == "" || run.GetRunID() != previous.run {
			return run.GetRunID(), firstStepAt, nil
		}
		wait, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = en.Temporal.GetWorkflow(wait, e.WorkflowID, previous.run).Get(wait, nil)
		cancel()
	}
	return "", nil, ErrPreviousRunOpen
}

// RunInput returns what the run of enrollment e of journey j, of type typ,
// starts with; trigger is the entry event that enrolled the user, or nil.
// The simulator starts its dry runs with it too, so that they run as the
// real ones do.
func RunInput(typ Type, j reporting.Journey, e reporting.Enrollment, trigger *journey.Event) journey.Input {
	window, _ := time.ParseDuration(j.ConversionWindow)
	return journey.Input{
		Kit: journey.Kit2, Workspace: e.Workspace,
		JourneyID: j.ID, JourneyName: j.Name, JourneyType: j.Type, UserID: e.UserID,
		EnrollmentID: e.ID, EnrolledAt: e.EnrolledAt, GoalEvent: j.GoalEvent,
		ExitEvents: j.ExitEvents, ConversionWindow: window, Trigger: trigger,
		Version: j.Version, Config: j.Config, Holdout: e.Holdout,
		SendWindow: cmp.Or(j.SendWindow, typ.Plan(j.Config).SendWindow), Transactional: j.Transactional,
		Match: e.MatchProperty, MatchValue: e.MatchValue,
	}
}

// Signal brings a signal to the run of enrollment e. A run still in its
// start delay (its first step not due yet) does not wake on a plain signal,
// so it gets a signal-with-start, which reaches the running run and ends
// the delay; a run that has closed is *serviceerror.NotFound either way.
func (en *Enroller) Signal(ctx context.Context, e reporting.Enrollment, name string, arg any) error {
	if e.FirstStepAt == nil || !time.Now().Before(*e.FirstStepAt) {
		return en.Temporal.SignalWorkflow(ctx, e.WorkflowID, e.RunID, name, arg)
	}
	opts := client.StartWorkflowOptions{
		ID:        e.WorkflowID,
		TaskQueue: journey.TaskQueue,
		// The run is open; should it have closed, it is not started again.
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}
	in := journey.Input{Kit: journey.Kit2, Workspace: e.Workspace, JourneyID: e.JourneyID, UserID: e.UserID, EnrollmentID: e.ID, EnrolledAt: e.EnrolledAt, Wake: true}
	run, err := en.Temporal.SignalWithStartWorkflow(ctx, e.WorkflowID, name, arg, opts, kitv1.Workflow, in)
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
