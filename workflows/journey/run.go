package journey

import (
	"encoding/json"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"journeys/activities"
	"journeys/reporting"
)

// a calls activities through a nil pointer: only the method names matter.
var a *activities.Activities

// Run is one run of a journey for one user, as a journey type sees it.
type Run struct {
	ctx     workflow.Context
	in      Input
	version int
	// reload applies a newer config; nil when the config is Pinned.
	reload func(json.RawMessage) error
	// seq numbers the run's steps in the reporting log, in the order they
	// happen; a step reached twice (a loop in a flow) gets two numbers.
	seq int
	// nodes counts the flow nodes the run entered (see Enter).
	nodes int
	// visits counts how often each step id was reached, for the sends'
	// idempotency keys.
	visits map[string]int
	// started is false until the run's first step or wait; a wait that
	// comes first is measured from the run's start, so that a start
	// Temporal delayed serves it.
	started bool
	seen    map[string]bool
	end     *ending
	resumes int
	// received holds the events the journey may wait for, by name, in the
	// order they came, until a wait takes them.
	received map[string][]Event
	lastSend *sendMark
	// sentAt is when the last send ended, as its result says (see now).
	sentAt   time.Time
	programs programs
	state    State
	// events and control are the run's signal channels.
	events, control workflow.ReceiveChannel
}

// ending is how a run will end, set by the first goal, exit event or
// removal that reaches it.
type ending struct {
	status string
	detail string
	goal   *Event
}

// sendMark is the last message that reached the user.
type sendMark struct {
	step    int
	stepID  string
	channel string
	at      time.Time
}

// Start begins a run: it reads the journey's config into a C and starts
// listening for the user's events. The config is a pointer the kit keeps
// current: a change to the journey applies to the steps the run has not
// reached, so read it at each step; a Pinned config stays as the run
// started. The enrollment itself is recorded by
// whoever enrolled the user, with the enrollment.
func Start[C any, P ConfigPtr[C]](ctx workflow.Context, in Input) (*Run, *C, error) {
	cfg := new(C)
	parsed, err := ParseConfig[C, P](in.Config)
	if err != nil {
		return nil, cfg, temporal.NewNonRetryableApplicationError(err.Error(), "InvalidConfig", err)
	}
	*cfg = parsed
	version := max(in.Version, 1)
	j := &Run{
		ctx:      ctx,
		in:       in,
		version:  version,
		visits:   map[string]int{},
		seen:     map[string]bool{},
		received: map[string][]Event{},
		state: State{JourneyID: in.JourneyID, JourneyName: in.JourneyName, UserID: in.UserID, Holdout: in.Holdout,
			Status: reporting.StatusActive, StepName: StepEnrolled, Version: version, Sends: []SendState{}},
	}
	if pinned, ok := any(cfg).(Pinned); !ok || !pinned.Pinned() {
		j.reload = func(raw json.RawMessage) error {
			c, err := ParseConfig[C, P](raw)
			if err == nil {
				*cfg = c
			}
			return err
		}
	}
	if in.Trigger != nil {
		j.seen[in.Trigger.EventID] = true
	}
	j.listen()
	if err := workflow.SetQueryHandler(ctx, StateQueryName, func() (State, error) { return j.state, nil }); err != nil {
		return nil, cfg, err
	}
	j.describe("enrolled")
	return j, cfg, nil
}

// Input returns what the run was started with.
func (j *Run) Input() Input { return j.in }

// Context returns the run's workflow context, for the rare journey type
// that needs Temporal itself (its clock, say).
func (j *Run) Context() workflow.Context { return j.ctx }

// listen takes in the user's events and the service's control signals for
// as long as the run lives: in the background while the run waits, and at
// once at every step (drain), so that a signal already in the run's
// history counts before the next step goes.
func (j *Run) listen() {
	j.events = workflow.GetSignalChannel(j.ctx, EventSignalName)
	j.control = workflow.GetSignalChannel(j.ctx, ControlSignalName)
	sel := workflow.NewSelector(j.ctx)
	sel.AddReceive(j.events, func(c workflow.ReceiveChannel, _ bool) {
		var ev Event
		c.Receive(j.ctx, &ev)
		j.observe(ev)
	})
	sel.AddReceive(j.control, func(c workflow.ReceiveChannel, _ bool) {
		var cs ControlSignal
		c.Receive(j.ctx, &cs)
		j.steer(cs)
	})
	workflow.Go(j.ctx, func(ctx workflow.Context) {
		for {
			sel.Select(ctx)
		}
	})
}

// drain takes in the signals the run has received but not looked at yet.
func (j *Run) drain() {
	for {
		var ev Event
		if !j.events.ReceiveAsync(&ev) {
			break
		}
		j.observe(ev)
	}
	for {
		var cs ControlSignal
		if !j.control.ReceiveAsync(&cs) {
			break
		}
		j.steer(cs)
	}
}

// observe takes in one user event, once, and only when it happened after
// the enrollment: the goal converts and an exit event ends the run; any
// other event waits to be taken by WaitForEvent. The goal and awaited
// events count only when they carry the run's correlation value.
func (j *Run) observe(ev Event) {
	if j.seen[ev.EventID] || j.end != nil {
		return
	}
	j.seen[ev.EventID] = true
	if !ev.OccurredAt.IsZero() && ev.OccurredAt.Before(j.in.EnrolledAt) {
		return
	}
	switch {
	case slices.Contains(j.in.ExitEvents, ev.Name):
		j.end = &ending{status: reporting.StatusExited, detail: ev.Name}
	case !j.matches(ev):
	case ev.Name == j.in.GoalEvent:
		j.end = &ending{status: reporting.StatusConverted, goal: &ev}
	default:
		j.received[ev.Name] = append(j.received[ev.Name], ev)
	}
}

// matches reports whether ev belongs to this run under the journey's
// correlation key: always, for journeys without one.
func (j *Run) matches(ev Event) bool {
	if j.in.Match == "" || j.in.MatchValue == "" {
		return true
	}
	return reporting.MatchValue(ev.Properties, j.in.Match) == j.in.MatchValue
}

// PropertyString writes an event property value the way correlation keys
// compare it: strings as they are, numbers in their shortest form, and
// anything else as JSON. Routing events to runs compares them the same way
// (reporting.MatchValue).
func PropertyString(v any) string {
	return reporting.MatchValue(map[string]any{"v": v}, "v")
}

// steer applies a control signal.
func (j *Run) steer(cs ControlSignal) {
	switch cs.Op {
	case ControlRemove:
		if j.end == nil {
			j.end = &ending{status: reporting.StatusRemoved, detail: "removed: " + cs.Reason}
		}
	case ControlResume:
		j.resumes++
	}
}

// Changed reports whether the run takes change id, a workflow.GetVersion
// change whose only versions are DefaultVersion and 1: at once for runs
// started with id in Input.Changes, by asking Temporal for the others,
// which may have started before the change.
func (j *Run) Changed(id string) bool {
	return slices.Contains(j.in.Changes, id) || workflow.GetVersion(j.ctx, id, workflow.DefaultVersion, 1) >= 1
}

// Done reports whether the run is ending: converted, exited or removed.
// Every kit call returns at once once it is; journey types with loops check
// it.
func (j *Run) Done() bool { return j.end != nil }

func (j *Run) converted() bool {
	return j.end != nil && j.end.status == reporting.StatusConverted
}

// nextStep numbers the next step of the run and counts a visit to id; it
// returns the visit number (1 the first time).
func (j *Run) nextStep(id string) int {
	j.started = true
	j.seq++
	j.visits[id]++
	j.state.Step = j.seq
	j.state.StepName = id
	return j.visits[id]
}
