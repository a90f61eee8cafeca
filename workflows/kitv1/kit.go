package kitv1

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"journeys/activities"
	"journeys/channels"
	"journeys/reporting"
	"journeys/workflows/journey"
)

// a calls activities through a nil pointer: only the method names matter.
var a *activities.Activities

// Journey is one run of a journey for one user, as a journey type sees it:
// waits that end early on the goal, sends, and the way out. Everything else
// (the goal and exit events, removal, pauses, config changes, reporting,
// search attributes, what the UI shows) is done here.
type Journey struct {
	ctx      workflow.Context
	in       Input
	step     int
	version  int
	reload   func(json.RawMessage) error
	seen     map[string]bool
	end      *ending
	resumes  int
	lastSend *sendMark
	state    State
}

// ending is how a run will end, set by the first goal, exit event or
// removal that reaches it.
type ending struct {
	status string
	detail string
	goal   *EventSignal
}

// sendMark is the last message that reached the user.
type sendMark struct {
	step    int
	channel channels.Channel
	at      time.Time
}

// Start begins a run: it reads the journey's config into a C, starts
// listening for the user's events and records the enrollment. The config
// is a pointer the kit keeps current: a change to the journey applies to
// the steps the run has not reached, so read it at each step.
func Start[C any, P interface {
	*C
	Config
}](ctx workflow.Context, in Input) (*Journey, *C, error) {
	cfg := new(C)
	parsed, err := journey.ParseConfig[C, P](in.Config)
	if err != nil {
		return nil, cfg, temporal.NewNonRetryableApplicationError(err.Error(), "InvalidConfig", err)
	}
	*cfg = parsed
	j := &Journey{
		ctx:     ctx,
		in:      in,
		version: max(in.Version, 1),
		seen:    map[string]bool{},
		state:   State{JourneyID: in.JourneyID, JourneyName: in.JourneyName, UserID: in.UserID, Holdout: in.Holdout, Status: reporting.StatusActive, StepName: StepEnrolled, Version: max(in.Version, 1), Sends: []SendState{}},
	}
	j.reload = func(raw json.RawMessage) error {
		c, err := journey.ParseConfig[C, P](raw)
		if err == nil {
			*cfg = c
		}
		return err
	}
	if in.Trigger != nil {
		j.seen[in.Trigger.EventID] = true
	}
	j.listen()
	if err := workflow.SetQueryHandler(ctx, StateQueryName, func() (State, error) { return j.state, nil }); err != nil {
		return nil, cfg, err
	}
	detail := ""
	if in.Trigger != nil {
		detail = fmt.Sprintf("entered on %s (event %s)", in.Trigger.Name, in.Trigger.EventID)
	}
	j.record(reporting.KindEnrolled, "", "", detail, in.EnrolledAt)
	j.describe("enrolled")
	return j, cfg, nil
}

// listen takes in the user's events and the service's control signals for
// as long as the run lives.
func (j *Journey) listen() {
	events := workflow.GetSignalChannel(j.ctx, EventSignalName)
	control := workflow.GetSignalChannel(j.ctx, ControlSignalName)
	sel := workflow.NewSelector(j.ctx)
	sel.AddReceive(events, func(c workflow.ReceiveChannel, _ bool) {
		var ev EventSignal
		c.Receive(j.ctx, &ev)
		j.observe(ev)
	})
	sel.AddReceive(control, func(c workflow.ReceiveChannel, _ bool) {
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

// observe takes in one user event: the goal converts and an exit event
// ends the run, each once, and only when it happened after the enrollment.
func (j *Journey) observe(ev EventSignal) {
	if j.seen[ev.EventID] || j.end != nil {
		return
	}
	j.seen[ev.EventID] = true
	if !ev.OccurredAt.IsZero() && ev.OccurredAt.Before(j.in.EnrolledAt) {
		return
	}
	switch {
	case ev.Name == j.in.GoalEvent:
		j.end = &ending{status: reporting.StatusConverted, goal: &ev}
	case slices.Contains(j.in.ExitEvents, ev.Name):
		j.end = &ending{status: reporting.StatusExited, detail: ev.Name}
	}
}

// steer applies a control signal.
func (j *Journey) steer(cs ControlSignal) {
	switch cs.Op {
	case ControlRemove:
		if j.end == nil {
			j.end = &ending{status: reporting.StatusRemoved, detail: "removed: " + cs.Reason}
		}
	case ControlResume:
		j.resumes++
	}
}

// Done reports whether the run is ending: converted, exited or removed.
// Journey types with open-ended loops check it; the kit's waits and sends
// return at once when it is true.
func (j *Journey) Done() bool { return j.end != nil }

func (j *Journey) converted() bool {
	return j.end != nil && j.end.status == reporting.StatusConverted
}

// WaitForGoal waits d for the journey's goal event and reports whether it
// happened. The wait is a durable timer: restarts do not move it. An exit
// event or a removal ends the wait too, and the run then ends that way.
func (j *Journey) WaitForGoal(d time.Duration) bool {
	if j.end != nil {
		return j.converted()
	}
	// The summary names the wait as planned; the timer adds the jitter.
	summary := fmt.Sprintf("wait %s for %s", journey.Short(d), j.in.GoalEvent)
	d += journey.Jitter(j.in.EnrollmentID, j.step, d)
	until := workflow.Now(j.ctx).Add(d).UTC()
	j.state.Waiting, j.state.WaitUntil = j.in.GoalEvent, &until
	j.describe(fmt.Sprintf("waiting for %s until %s", j.in.GoalEvent, until.Format(time.RFC3339)))

	opts := workflow.AwaitOptions{
		Timeout:      d,
		TimerOptions: workflow.TimerOptions{Summary: summary},
	}
	_, _ = workflow.AwaitWithOptions(j.ctx, opts, func() bool { return j.end != nil })
	j.state.Waiting, j.state.WaitUntil = "", nil
	return j.converted()
}

// WaitForConversion is the last wait of a journey: the journey's
// conversion window after the last send, or d when it has none.
func (j *Journey) WaitForConversion(d time.Duration) bool {
	if j.in.ConversionWindow > 0 {
		d = j.in.ConversionWindow
	}
	return j.WaitForGoal(d)
}
