// Package kittest runs journey types in tests: the Temporal test
// environment with time skipping, so days of waits take milliseconds, over
// an in-memory store and an outbox that keeps the messages, with a script
// of timed events. A journey type's tests read like its plan:
//
//	out := kittest.Journey{Type: "cart_abandonment", Profile: sara,
//		Script: []kittest.At{kittest.Event(26*time.Hour, "purchase", nil)}}.Run(t)
//	// out.Result.Status == "converted", out.Outbox.Channels() == [push]
//
// It also records the histories of real runs and replays them, so that a
// change to a journey type that would break runs in flight fails a test.
package kittest

import (
	"encoding/json"
	"testing"
	"time"

	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/testsuite"

	"journeys/activities"
	"journeys/reporting"
	"journeys/workflows"
	"journeys/workflows/journey"
	"journeys/workflows/journey/dryrun"
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
	// window from the type's plan, as enrolling does (runs.Service). The
	// run sends and takes changes as runs started now do (SendQueues,
	// LocalSends and Changes are set).
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
type At = dryrun.At

// Store is the in-memory reporting store the run's activities use.
type Store = dryrun.Store

// Outbox keeps what the run sends.
type Outbox = dryrun.Outbox

// NewStore returns a store holding the given profiles.
var NewStore = dryrun.NewStore

// Event has the user do name after the delay, with properties; its
// event id is derived from its name and time.
var Event = dryrun.Event

// Signal delivers ev after the delay as it is, for events that need their
// own id or time (a duplicate, one that happened before the enrollment).
var Signal = dryrun.Signal

// Control steers the run after the delay: journey.ControlRemove with a
// reason, or journey.ControlResume.
func Control(after time.Duration, op, reason string) At {
	return At{After: after, Do: func(env *testsuite.TestWorkflowEnvironment) {
		env.SignalWorkflow(journey.ControlSignalName, journey.ControlSignal{Op: op, Reason: reason})
	}}
}

// Do calls fn after the delay, to change the world around the run: pause
// the journey, edit its config or the user's profile.
func Do(after time.Duration, fn func()) At {
	return At{After: after, Do: func(*testsuite.TestWorkflowEnvironment) { fn() }}
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

	run := dryrun.Run{Workflow: name, Custom: j.Workflow, Input: j.input(config), Store: j.Store, Outbox: j.Outbox,
		Caps: j.Caps, OfferSecret: []byte("kittest"), Script: j.Script, StartAt: j.StartAt}
	out, err := run.Execute(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return Outcome{Result: out.Result, Elapsed: out.Elapsed, Store: j.Store, Outbox: j.Outbox, State: out.State}
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
func (j Journey) input(config json.RawMessage) journey.Input {
	in := j.Input
	in.Kit = max(in.Kit, journey.Kit2)
	// Sends as runs started now make them: as local activities, the test
	// environment holding no channel to a rate; and takes the changes they
	// take, without asking Temporal.
	in.SendQueues, in.LocalSends = true, true
	in.Changes = workflows.CurrentChanges()
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
	in.Version = max(in.Version, 1)
	if typ, ok := workflows.Lookup(j.Type); ok && j.Workflow == nil && in.SendWindow == nil {
		// As enrolling (runs.Service) does for a journey without a window of its own.
		in.SendWindow = typ.Plan(config).SendWindow
	}
	return in
}

// Inspect reads the run after the delay the way support staff do: fn gets
// the state query's answer and the current details the Temporal UI shows.
func Inspect(after time.Duration, fn func(state journey.State, details string, err error)) At {
	return At{After: after, Do: func(env *testsuite.TestWorkflowEnvironment) {
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
