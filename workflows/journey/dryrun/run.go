// Package dryrun runs a journey's real workflow code without touching the
// world: the Temporal test environment with time skipping, so days of waits
// take milliseconds, the real activities over an in-memory Store, and an
// Outbox that keeps the messages instead of sending them. The simulator
// answers with it, so its answer is what a real run does, and the kit's
// tests (kittest) are written on it.
package dryrun

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"journeys/activities"
	"journeys/reporting"
	"journeys/workflows"
	"journeys/workflows/journey"
)

// deadlockTimeout is how long a workflow task of a dry run may go without
// yielding before the run fails as deadlocked.
const deadlockTimeout = 10 * time.Second

// At is something that happens to a run at a time after it starts.
type At struct {
	After time.Duration
	// Do acts on the run, or the world around it, through the environment.
	Do func(env *testsuite.TestWorkflowEnvironment)
}

// Event has the user do name after the delay, with properties; its event
// id is derived from its name and time.
func Event(after time.Duration, name string, props map[string]any) At {
	return At{after, func(env *testsuite.TestWorkflowEnvironment) {
		env.SignalWorkflow(journey.EventSignalName, journey.Event{
			EventID: fmt.Sprintf("%s@%s", name, after), Name: name, OccurredAt: env.Now(), Properties: props,
		})
	}}
}

// Signal delivers ev after the delay as it is, with its own id and time;
// a zero OccurredAt is the moment it arrives.
func Signal(after time.Duration, ev journey.Event) At {
	return At{After: after, Do: func(env *testsuite.TestWorkflowEnvironment) {
		if ev.OccurredAt.IsZero() {
			ev.OccurredAt = env.Now()
		}
		env.SignalWorkflow(journey.EventSignalName, ev)
	}}
}

// Run is one run of a journey's workflow in the test environment.
type Run struct {
	// Workflow is the workflow type to run: a journey type's, as
	// workflows.Register names it, or Custom's name.
	Workflow string
	// Custom, when set, is registered as Workflow: a journey written for a
	// test.
	Custom journey.Workflow
	// WorkflowID is the run's workflow id, which sticky variants and the
	// sends' idempotency keys read; "" leaves the environment's default.
	WorkflowID string
	// Input is what the run starts with; a zero EnrolledAt is the start.
	Input  journey.Input
	Store  *Store
	Outbox *Outbox
	// Caps, when set, holds the sends to frequency caps.
	Caps activities.Caps
	// OfferSecret keys the discount codes the messages carry.
	OfferSecret []byte
	// Script is what happens during the run, each at its time after the
	// start.
	Script []At
	// StartAt is when the run starts on the environment's clock; zero is
	// the environment's default.
	StartAt time.Time
	// Horizon, when set, stops a run still going that long after its
	// start: its Outcome is Unfinished.
	Horizon time.Duration
	// Idle is how long, on the wall clock, the environment waits with
	// nothing to do before it gives up on the run; zero is the SDK's 3s.
	Idle time.Duration
	// Log receives the environment's and the activities' logs; nil
	// discards them.
	Log *slog.Logger
}

// Outcome is how a dry run went.
type Outcome struct {
	Result journey.Result
	// Elapsed is the time the run took on the environment's clock.
	Elapsed time.Duration
	// State is what the run's state query answered as it ended.
	State journey.State
	// Unfinished says the run was still going at the Horizon; Result is
	// empty then.
	Unfinished bool
}

// Execute runs the workflow to its end, or to the Horizon. The enrollment
// is logged first, as enrolling (runs.Service) logs it with the enrollment row, and
// the Store's entries are stamped with the environment's clock. An error
// is a run that failed, or that the environment gave up on.
func (r Run) Execute(ctx context.Context) (out Outcome, err error) {
	logger := r.Log
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(logger))
	env := suite.NewTestWorkflowEnvironment()
	if !r.StartAt.IsZero() {
		env.SetStartTime(r.StartAt)
	}
	if r.Idle > 0 {
		env.SetTestTimeout(r.Idle)
	}
	// A dry run shares the machine's CPUs (the API's, a test's): a
	// workflow task may take longer than the SDK's 1s there without any
	// deadlock in it.
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: deadlockTimeout,
		BackgroundActivityContext: reporting.WithWorkspace(context.Background(), activities.RunWorkspace(r.Input.Workspace))})
	if r.WorkflowID != "" {
		env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: r.WorkflowID})
	}
	if r.Horizon > 0 {
		env.SetWorkflowRunTimeout(r.Horizon)
	}
	workflows.Register(env)
	if r.Custom != nil {
		env.RegisterWorkflowWithOptions(journey.FailOnError(r.Custom), workflow.RegisterOptions{Name: r.Workflow})
	}
	env.RegisterActivity(&activities.Activities{Store: r.Store, Caps: r.Caps, Senders: r.Outbox.Senders(), OfferSecret: r.OfferSecret, Log: logger})

	in := r.Input
	if in.EnrolledAt.IsZero() {
		in.EnrolledAt = env.Now()
	}
	if err := r.Store.Record(ctx, reporting.Entry{EnrollmentID: in.EnrollmentID, JourneyID: in.JourneyID,
		UserID: in.UserID, Kind: reporting.KindEnrolled, Version: in.Version, At: in.EnrolledAt}); err != nil {
		return Outcome{}, err
	}
	for _, a := range r.Script {
		env.RegisterDelayedCallback(func() { a.Do(env) }, a.After)
	}
	start := env.Now()
	r.Store.setClock(env.Now)
	defer r.Store.setClock(nil)
	defer func() {
		// The environment panics when the run waits for nothing it can
		// skip to, for longer than Idle.
		if p := recover(); p != nil {
			err = fmt.Errorf("the run got stuck: %v", p)
		}
	}()
	env.ExecuteWorkflow(r.Workflow, in)
	out.Elapsed = env.Now().Sub(start)
	if !env.IsWorkflowCompleted() {
		return out, fmt.Errorf("the run did not end")
	}
	if v, err := env.QueryWorkflow(journey.StateQueryName); err == nil {
		_ = v.Get(&out.State)
	}
	if err := env.GetWorkflowError(); err != nil {
		if r.Horizon > 0 && out.Elapsed >= r.Horizon {
			out.Unfinished = true
			return out, nil
		}
		return out, fmt.Errorf("the run failed: %w", err)
	}
	if err := env.GetWorkflowResult(&out.Result); err != nil {
		return out, fmt.Errorf("read the run's result: %w", err)
	}
	return out, nil
}
