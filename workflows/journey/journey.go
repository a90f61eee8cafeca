// Package journey is the kit journey types are written on. A journey type
// is a workflow that reads like the marketer's plan: wait for the goal,
// send, wait for another event, branch on what is known about the user,
// pick a sticky variant, update the profile, exit. Everything a marketer
// does not see happens inside those calls: the goal and exit events,
// removal, pauses, config changes, send windows, frequency caps, holdout,
// exactly-once sends, the reporting log, search attributes and what the
// Temporal UI shows.
//
// Every call returns at once when the run is ending (a goal, an exit event
// or a removal reached it), so a journey type is straight-line code that
// ends with Converted or Exit.
package journey

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"journeys/channels"
	"journeys/reporting"
)

// Kit2 is the kit version of runs started on this kit. A run keeps the kit
// it started with for life (Input.Kit), so a change to what the kit asks of
// Temporal bumps the version and the previous kit stays until none of its
// runs is open. Runs whose Input.Kit is below Kit2 run on the first kit
// (workflows/kitv1).
const Kit2 = 2

// TaskQueue is the task queue journey workflows and activities run on.
const TaskQueue = "journeys"

// SendTaskQueue is the task queue of the sends on channel c when its
// provider is held to a rate. Each such channel has its own, so that the
// workers polling it can ask Temporal to hold the whole queue to the
// provider's rate (worker.Options' TaskQueueActivitiesPerSecond): the
// server enforces it across every worker process, and a provider at its
// quota holds back only its own channel's sends. A channel held to no
// rate needs none (see WithRates).
func SendTaskQueue(c channels.Channel) string {
	return TaskQueue + "-send-" + string(c)
}

// rateKey is the workflow context key of the channels whose sends the
// worker holds to a provider's rate.
type rateKey struct{}

// WithRates runs run with the channels whose sends the worker's
// deployment holds to a provider's rate: their sends go on the channel's
// SendTaskQueue. The others need no queue: a run started with
// Input.LocalSends sends them as local activities; an older run sends them
// on TaskQueue, the run's own, where the worker that schedules a send
// starts it at once (eager activity execution). Temporal can hold neither
// to a rate, which is why a limited channel keeps its queue.
//
// A deployment may change its rates while runs are open: each send
// follows the rates of the worker that makes it. Which queue an activity
// goes on is not part of the history that replay checks; whether a send
// is a local activity is, so a run keeps the rates it sent by in a
// RatesMarker. Every worker of a deployment should hold the same rates.
func WithRates(run Workflow, limited []channels.Channel) Workflow {
	set := map[channels.Channel]bool{}
	for _, c := range limited {
		set[c] = true
	}
	return func(ctx workflow.Context, in Input) (Result, error) {
		return run(workflow.WithValue(ctx, rateKey{}, set), in)
	}
}

// limited reports whether the worker holds channel c's sends to a rate.
func limited(ctx workflow.Context, c channels.Channel) bool {
	set, _ := ctx.Value(rateKey{}).(map[channels.Channel]bool)
	return set[c]
}

// limitedChannels lists the channels the worker holds to a rate, sorted
// and joined by commas.
func limitedChannels(ctx workflow.Context) string {
	set, _ := ctx.Value(rateKey{}).(map[channels.Channel]bool)
	var cs []string
	for c := range set {
		cs = append(cs, string(c))
	}
	slices.Sort(cs)
	return strings.Join(cs, ",")
}

// RatesMarker is the id of the marker in which a run started with
// Input.LocalSends keeps the channels held to a rate, as its first send
// found them and as any later send found them changed.
const RatesMarker = "send-rates"

// SendQueueChange is the workflow.GetVersion change id of routing sends to
// their channel's SendTaskQueue; runs that sent before it keep sending on
// TaskQueue. Runs started with Input.SendQueues do not ask.
const SendQueueChange = "send-queue-per-channel"

// EventSignalName is the signal that brings a user's events to their runs.
const EventSignalName = "event"

// Event is a user event delivered to a run: its goal, an exit event, or an
// event the journey waits for. The field names are the signal's wire
// format, shared with runs of the first kit.
type Event struct {
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

// Input starts one run of a journey for one user. The field names are the
// wire format of runs in flight: add fields, never rename them.
type Input struct {
	// Kit is the kit version the run was started with (see Kit2).
	Kit int
	// Workspace is the workspace the run belongs to; "" for runs started
	// before workspaces, which are the default workspace's
	// (activities.RunWorkspace). Its activities act in the workspace the
	// run's start header names (activities.WorkspacePropagator).
	Workspace    string
	JourneyID    string
	JourneyName  string
	JourneyType  string
	UserID       string
	EnrollmentID int64
	EnrolledAt   time.Time
	GoalEvent    string
	// ExitEvents end the run with the event's name as the reason.
	ExitEvents []string
	// Match names the property of the entry event that correlates later
	// events with this run (such as cart_id): a goal or awaited event counts
	// only when its value of that property is MatchValue.
	Match      string
	MatchValue string
	// ConversionWindow is how long after a send a goal counts as that
	// send's conversion; zero attributes every goal to the last send.
	ConversionWindow time.Duration
	// SendWindow holds sends to the user's waking hours; nil sends any time.
	SendWindow *reporting.SendWindow
	// Transactional exempts the journey's sends from frequency caps.
	Transactional bool
	// Trigger is the event that enrolled the user, for event-triggered
	// entries.
	Trigger *Event
	// Version is the version of Config.
	Version int
	Config  json.RawMessage
	// Holdout puts the run in the journey's control group: it runs the
	// waits but every send is skipped as "holdout".
	Holdout bool
	// Wake marks the input of the signal-with-start that wakes a run in its
	// start delay. Temporal starts a run with it only when the enrollment's
	// run is gone; that run closes the enrollment as failed at once.
	Wake bool
	// SendQueues sends on each channel's SendTaskQueue from the start.
	// Runs started without it ask workflow.GetVersion(SendQueueChange) at
	// their first send, which costs every run a marker and a search-attribute
	// upsert in its history.
	SendQueues bool
	// LocalSends runs a send on a channel held to no rate as a local
	// activity, in the workflow task that reaches it: the send's result
	// is in the marker that task completes with, where an activity takes
	// three more writes to the run's history (its completion, and a
	// workflow task started and completed to take its result).
	// Which channels are held to a rate is the worker's setting
	// (WithRates), which replay must not see change: the run keeps it in
	// a RatesMarker. Runs started without it send every message as an
	// activity.
	LocalSends bool
	// Changes are the workflow.GetVersion change ids the run takes from its
	// start (see Run.Changed). Asking Temporal costs a run a marker and a
	// search-attribute upsert in its history per change, which only runs
	// started before the change need.
	Changes []string
}

// Result is how a run ended.
type Result struct {
	Status string // converted, exited, removed or failed
	Reason string
}

// WorkflowID returns the id of a user's run of a journey in a workspace:
// readable, so that support staff can type it, and deterministic, so that
// enrolling twice reaches the same run. The workspace comes first, so two
// apps' users of the same id never share a run. Runs started before
// workspaces keep the id they have, journey/<journey>/user/<user>, which
// their enrollment stores.
func WorkflowID(workspace, journeyID, userID string) string {
	return workspace + "/journey/" + journeyID + "/user/" + userID
}

// Search attributes every run carries, so support staff can find it in the
// Temporal UI. They hold ids only, never contact details. WorkspaceId,
// UserId, JourneyId and JourneyType are set at start (runs started before
// workspaces have no WorkspaceId); JourneyStep is the id of the
// step the run reached last (StepEnrolled before the first); JourneyStatus
// is active until the run ends, then converted, exited, removed or failed;
// JourneyVariant lists the variants the run was assigned, as name=arm.
var (
	WorkspaceIDKey    = temporal.NewSearchAttributeKeyKeyword("WorkspaceId")
	UserIDKey         = temporal.NewSearchAttributeKeyKeyword("UserId")
	JourneyIDKey      = temporal.NewSearchAttributeKeyKeyword("JourneyId")
	JourneyTypeKey    = temporal.NewSearchAttributeKeyKeyword("JourneyType")
	JourneyStepKey    = temporal.NewSearchAttributeKeyKeyword("JourneyStep")
	JourneyStatusKey  = temporal.NewSearchAttributeKeyKeyword("JourneyStatus")
	JourneyVariantKey = temporal.NewSearchAttributeKeyKeywordList("JourneyVariant")
)

// StepEnrolled is the JourneyStep of a run that has not reached its first
// step.
const StepEnrolled = "enrolled"

// SearchAttributes lists the custom search attributes to register on the
// Temporal namespace before workers start.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	out := map[string]enumspb.IndexedValueType{}
	for _, k := range []temporal.SearchAttributeKeyKeyword{WorkspaceIDKey, UserIDKey, JourneyIDKey, JourneyTypeKey, JourneyStepKey, JourneyStatusKey} {
		out[k.GetName()] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	out[JourneyVariantKey.GetName()] = enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST
	return out
}

// StartAttributes returns the search attributes a run starts with.
func StartAttributes(in Input) temporal.SearchAttributes {
	updates := []temporal.SearchAttributeUpdate{
		UserIDKey.ValueSet(in.UserID),
		JourneyIDKey.ValueSet(in.JourneyID),
		JourneyTypeKey.ValueSet(in.JourneyType),
		JourneyStepKey.ValueSet(StepEnrolled),
		JourneyStatusKey.ValueSet("active"),
	}
	if in.Workspace != "" {
		updates = append(updates, WorkspaceIDKey.ValueSet(in.Workspace))
	}
	return temporal.NewSearchAttributes(updates...)
}
