package kittest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"journeys/activities"
	"journeys/reporting"
	"journeys/workflows"
	"journeys/workflows/journey"
)

// EnrollmentID is the enrollment id of the runs Journey.Run starts unless
// its Input names another.
const EnrollmentID = 7

// Journey is one run of a journey type under test.
type Journey struct {
	// Type is the journey type's name, such as cart_abandonment.
	Type string
	// Workflow, when set, is run instead of a registered type: a journey
	// written for the test, which reads Config as it is.
	Workflow journey.Workflow
	// Config is the journey's config as the panel sends it; empty takes the
	// type's defaults. It goes through the type's validation first.
	Config string
	// Input is what the run starts with besides its type and config. The
	// journey (j1), user (the profile's, or u1), enrollment, goal (purchase),
	// enrollment time and kit are filled in when left empty, and the send
	// window from the type's plan, as the enroller does.
	Input journey.Input
	// Profile is the user's profile; leave ID empty for a user without one.
	Profile reporting.User
	// Store and Outbox, when set, are used instead of new ones, so a test
	// can prepare them (JourneyFn, SendFn).
	Store  *Store
	Outbox *Outbox
	// Caps, when set, holds the sends to frequency caps, such as those of
	// a real store in the default workspace; nil caps nothing.
	Caps activities.Caps
	// Script is what happens during the run, each at its time after the
	// enrollment.
	Script []At
	// StartAt is when the run starts on the test clock; zero is the test
	// environment's default.
	StartAt time.Time
}

// At is something that happens to a run at a time after its enrollment.
type At struct {
	After time.Duration
	do    func(env *testsuite.TestWorkflowEnvironment)
}

// Event has the user do name after the delay, with properties; its
// event id is derived from its name and time.
func Event(after time.Duration, name string, props map[string]any) At {
	return At{after, func(env *testsuite.TestWorkflowEnvironment) {
		env.SignalWorkflow(journey.EventSignalName, journey.Event{
			EventID: fmt.Sprintf("%s@%s", name, after), Name: name, OccurredAt: env.Now(), Properties: props,
		})
	}}
}

// Signal delivers ev after the delay as it is, for events that need their
// own id or time (a duplicate, one that happened before the enrollment).
// A zero OccurredAt is the moment it arrives.
func Signal(after time.Duration, ev journey.Event) At {
	return At{after, func(env *testsuite.TestWorkflowEnvironment) {
		if ev.OccurredAt.IsZero() {
			ev.OccurredAt = env.Now()
		}
		env.SignalWorkflow(journey.EventSignalName, ev)
	}}
}

// Control steers the run after the delay: journey.ControlRemove with a
// reason, or journey.ControlResume.
func Control(after time.Duration, op, reason string) At {
	return At{after, func(env *testsuite.TestWorkflowEnvironment) {
		env.SignalWorkflow(journey.ControlSignalName, journey.ControlSignal{Op: op, Reason: reason})
	}}
}

// Do calls fn after the delay, to change the world around the run: pause
// the journey, edit its config or the user's profile.
func Do(after time.Duration, fn func()) At {
	return At{after, func(*testsuite.TestWorkflowEnvironment) { fn() }}
}

// Outcome is how a run under test went.
type Outcome struct {
	Result journey.Result
	// Elapsed is the time the run took on the test clock.
	Elapsed time.Duration
	Store   *Store
	Outbox  *Outbox
	// State is what the run's state query answered as it ended.
	State journey.State
}

// Run runs the journey to its end on the Temporal test environment with
// real activities over the in-memory store, and fails the test when the
// run fails or does not end.
func (j Journey) Run(t testing.TB) Outcome {
	t.Helper()
	name, config := j.workflow(t)
	if j.Store == nil {
		j.Store = NewStore()
		if j.Profile.ID != "" {
			j.Store = NewStore(j.Profile)
		}
	}
	if j.Outbox == nil {
		j.Outbox = &Outbox{}
	}

	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	if !j.StartAt.IsZero() {
		env.SetStartTime(j.StartAt)
	}
	workflows.Register(env)
	if j.Workflow != nil {
		env.RegisterWorkflowWithOptions(journey.FailOnError(j.Workflow), workflow.RegisterOptions{Name: name})
	}
	env.SetWorkerOptions(worker.Options{BackgroundActivityContext: reporting.WithWorkspace(context.Background(), reporting.DefaultWorkspace)})
	env.RegisterActivity(&activities.Activities{Store: j.Store, Caps: j.Caps, Senders: j.Outbox.Senders(), OfferSecret: []byte("kittest")})

	in := j.input(config, env.Now())
	// The enroller logs the enrollment with the enrollment row.
	_ = j.Store.Record(t.Context(), reporting.Entry{EnrollmentID: in.EnrollmentID, JourneyID: in.JourneyID,
		UserID: in.UserID, Kind: reporting.KindEnrolled, Version: in.Version, At: in.EnrolledAt})
	for _, a := range j.Script {
		env.RegisterDelayedCallback(func() { a.do(env) }, a.After)
	}
	start := env.Now()
	var state journey.State
	j.Store.setClock(env.Now)
	defer j.Store.setClock(nil)
	env.ExecuteWorkflow(name, in)
	if !env.IsWorkflowCompleted() {
		t.Fatal("the run did not end")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("the run failed: %v", err)
	}
	var res journey.Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if v, err := env.QueryWorkflow(journey.StateQueryName); err == nil {
		_ = v.Get(&state)
	}
	return Outcome{Result: res, Elapsed: env.Now().Sub(start), Store: j.Store, Outbox: j.Outbox, State: state}
}

// workflow returns the workflow type to run and the config it gets: the
// journey type's, after its validation, or the test's own.
func (j Journey) workflow(t testing.TB) (string, json.RawMessage) {
	t.Helper()
	if j.Workflow != nil {
		if j.Config == "" {
			return "kittest", nil
		}
		return "kittest", json.RawMessage(j.Config)
	}
	typ, ok := workflows.Lookup(j.Type)
	if !ok {
		t.Fatalf("no journey type %q; types: %v", j.Type, workflows.TypeNames())
	}
	config, err := typ.Config(json.RawMessage(j.Config))
	if err != nil {
		t.Fatalf("config of %s: %v", j.Type, err)
	}
	return typ.Workflow, config
}

// input fills in what the test left out of the run's input.
func (j Journey) input(config json.RawMessage, now time.Time) journey.Input {
	in := j.Input
	in.Kit = max(in.Kit, journey.Kit2)
	in.Config = config
	if in.JourneyType == "" {
		in.JourneyType = j.Type
	}
	if in.JourneyID == "" {
		in.JourneyID = "j1"
	}
	if in.JourneyName == "" {
		in.JourneyName = "Journey 1"
	}
	if in.UserID == "" {
		in.UserID = j.Profile.ID
	}
	if in.UserID == "" {
		in.UserID = "u1"
	}
	if in.EnrollmentID == 0 {
		in.EnrollmentID = EnrollmentID
	}
	if in.GoalEvent == "" {
		in.GoalEvent = "purchase"
	}
	if in.EnrolledAt.IsZero() {
		in.EnrolledAt = now
	}
	in.Version = max(in.Version, 1)
	if typ, ok := workflows.Lookup(j.Type); ok && j.Workflow == nil && in.SendWindow == nil {
		// As the enroller does for a journey without a window of its own.
		in.SendWindow = typ.Plan(config).SendWindow
	}
	return in
}

// Inspect reads the run after the delay the way support staff do: fn gets
// the state query's answer and the current details the Temporal UI shows.
func Inspect(after time.Duration, fn func(state journey.State, details string, err error)) At {
	return At{after, func(env *testsuite.TestWorkflowEnvironment) {
		var state journey.State
		v, err := env.QueryWorkflow(journey.StateQueryName)
		if err == nil {
			err = v.Get(&state)
		}
		var meta sdkpb.WorkflowMetadata
		if err == nil {
			if v, err = env.QueryWorkflow("__temporal_workflow_metadata"); err == nil {
				err = v.Get(&meta)
			}
		}
		fn(state, meta.GetCurrentDetails(), err)
	}}
}
