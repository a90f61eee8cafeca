// Package workflows holds the journey types, one per file, and the kit they
// are written on (kit.go): goal signal, timers raced against it, sends,
// reporting and search attributes.
package workflows

import (
	"encoding/json"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// TaskQueue is the task queue journey workflows and activities run on.
const TaskQueue = "journeys"

// EventSignalName is the signal that brings a user's events to their runs.
const EventSignalName = "event"

// EventSignal is a user event delivered to a run.
type EventSignal struct {
	EventID    string
	Name       string
	OccurredAt time.Time
	Properties map[string]any
}

// ControlSignalName is the signal the service uses to steer a run.
const ControlSignalName = "control"

// Control operations.
const (
	// ControlRemove ends the run as removed.
	ControlRemove = "remove"
	// ControlResume wakes a run whose send is held by a paused journey.
	ControlResume = "resume"
)

// ControlSignal steers a run from outside.
type ControlSignal struct {
	Op     string
	Reason string
}

// StateQueryName is the query that returns a run's State.
const StateQueryName = "state"

// Input starts one run of a journey for one user.
type Input struct {
	JourneyID    string
	JourneyName  string
	JourneyType  string
	UserID       string
	EnrollmentID int64
	EnrolledAt   time.Time
	GoalEvent    string
	// ExitEvents end the run with the event's name as the reason.
	ExitEvents []string
	// ConversionWindow is how long after a send a goal counts as that
	// send's conversion; zero attributes every goal to the last send.
	ConversionWindow time.Duration
	// Trigger is the event that enrolled the user, for event-triggered
	// entries.
	Trigger *EventSignal
	// Version is the version of Config.
	Version int
	Config  json.RawMessage
	// Holdout puts the run in the journey's control group: it runs the
	// waits but every send is skipped as "holdout".
	Holdout bool
}

// Result is how a run ended.
type Result struct {
	Status string // converted, exited, removed or failed
	Reason string
}

// WorkflowID returns the id of a user's run of a journey: readable, so that
// support staff can type it, and deterministic, so that enrolling twice
// reaches the same run.
func WorkflowID(journeyID, userID string) string {
	return "journey/" + journeyID + "/user/" + userID
}

// Search attributes every run carries, so support staff can find it in the
// Temporal UI. They hold ids only, never contact details. UserId,
// JourneyId and JourneyType are set at start; JourneyStep says which touch
// the run is at (see StepEnrolled); JourneyStatus is active until the run
// ends, then converted, exited, removed or failed.
var (
	UserIDKey        = temporal.NewSearchAttributeKeyKeyword("UserId")
	JourneyIDKey     = temporal.NewSearchAttributeKeyKeyword("JourneyId")
	JourneyTypeKey   = temporal.NewSearchAttributeKeyKeyword("JourneyType")
	JourneyStepKey   = temporal.NewSearchAttributeKeyKeyword("JourneyStep")
	JourneyStatusKey = temporal.NewSearchAttributeKeyKeyword("JourneyStatus")
)

// StepEnrolled is the JourneyStep of a run that has not reached its first
// touch. From then on JourneyStep is the channel of the touch the run
// reached last: it stays while the run waits for the next touch, and after
// the run ends, when JourneyStatus says how.
const StepEnrolled = "enrolled"

// SearchAttributes lists the custom search attributes to register on the
// Temporal namespace before workers start.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	out := map[string]enumspb.IndexedValueType{}
	for _, k := range []temporal.SearchAttributeKeyKeyword{UserIDKey, JourneyIDKey, JourneyTypeKey, JourneyStepKey, JourneyStatusKey} {
		out[k.GetName()] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	return out
}

// StartAttributes returns the search attributes a run starts with.
func StartAttributes(in Input) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		UserIDKey.ValueSet(in.UserID),
		JourneyIDKey.ValueSet(in.JourneyID),
		JourneyTypeKey.ValueSet(in.JourneyType),
		JourneyStepKey.ValueSet(StepEnrolled),
		JourneyStatusKey.ValueSet("active"),
	)
}
