package workflows

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"journeys/activities"
	"journeys/channels"
	"journeys/reporting"
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

// State is what a run is doing, as the state query returns it.
type State struct {
	JourneyID   string `json:"journey_id"`
	JourneyName string `json:"journey_name"`
	UserID      string `json:"user_id"`
	// Holdout marks a control-group run: it waits but sends nothing.
	Holdout bool   `json:"holdout"`
	Status  string `json:"status"`
	// Step counts the touches reached; StepName is the JourneyStep search
	// attribute: "enrolled", then the channel of the last touch reached.
	Step      int         `json:"step"`
	StepName  string      `json:"step_name"`
	Version   int         `json:"version"`
	Waiting   string      `json:"waiting,omitempty"`
	WaitUntil *time.Time  `json:"wait_until,omitempty"`
	Held      bool        `json:"held,omitempty"`
	Sends     []SendState `json:"sends"`
}

// SendState is one send of a run as the state query shows it.
type SendState struct {
	Step     int              `json:"step"`
	Channel  channels.Channel `json:"channel"`
	Template string           `json:"template"`
	Outcome  string           `json:"outcome"`
	Reason   string           `json:"reason,omitempty"`
}

// Touch is one message of a journey: wait After for the goal, and if it has
// not happened, send Template on Channel.
type Touch struct {
	After    Duration         `json:"after"`
	Channel  channels.Channel `json:"channel"`
	Template string           `json:"template"`
	// Fallback is the channel used instead when the user cannot be reached
	// on Channel: no contact, unsubscribed, or a dead push token.
	Fallback channels.Channel `json:"fallback,omitempty"`
}

func (t Touch) check(field string) error {
	if err := t.After.check(field + ".after"); err != nil {
		return err
	}
	if !t.Channel.Valid() {
		return &ConfigError{Field: field + ".channel", Message: fmt.Sprintf("%q is not a channel; use one of push, email, sms, webhook", t.Channel)}
	}
	if t.Template == "" {
		return &ConfigError{Field: field + ".template", Message: "is required"}
	}
	if t.Fallback != "" && (!t.Fallback.Valid() || t.Fallback == t.Channel) {
		return &ConfigError{Field: field + ".fallback", Message: fmt.Sprintf("%q is not a channel other than %s; use one of push, email, sms, webhook", t.Fallback, t.Channel)}
	}
	return nil
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
	parsed, err := parseConfig[C, P](in.Config)
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
		c, err := parseConfig[C, P](raw)
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
	d += jitter(j.in, j.step, d)
	until := workflow.Now(j.ctx).Add(d).UTC()
	j.state.Waiting, j.state.WaitUntil = j.in.GoalEvent, &until
	j.describe(fmt.Sprintf("waiting for %s until %s", j.in.GoalEvent, until.Format(time.RFC3339)))

	opts := workflow.AwaitOptions{
		Timeout:      d,
		TimerOptions: workflow.TimerOptions{Summary: fmt.Sprintf("wait %s for %s", d.Round(time.Second), j.in.GoalEvent)},
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

// Send sends the touch's template on its channel to the user, with the
// offer, unless the run is ending. A user who cannot be reached on the
// channel gets the touch on its fallback, or is skipped; a send the provider
// refuses, or that keeps failing, is recorded as failed. Either way the
// journey goes on. While the journey is paused the send is held, and goes
// out once it resumes.
func (j *Journey) Send(t Touch, offer Offer) {
	channel, template := t.Channel, t.Template
	if j.end != nil {
		return
	}
	j.step++
	j.state.Step = j.step
	j.upsert(JourneyStepKey.ValueSet(string(channel)))
	j.state.StepName = string(channel)
	if j.in.Holdout {
		j.holdBack(channel, template)
		return
	}

	ctx := workflow.WithActivityOptions(j.ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		Summary:             fmt.Sprintf("send %s %s", channel, template),
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    5 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    10 * time.Minute,
			MaximumAttempts:    8,
		},
	})
	sent := SendState{Step: j.step, Channel: channel, Template: template}
	for recheck := 10 * time.Minute; ; recheck = min(2*recheck, 6*time.Hour) {
		in := activities.SendInput{
			EnrollmentID: j.in.EnrollmentID, JourneyID: j.in.JourneyID, UserID: j.in.UserID,
			WorkflowID: workflow.GetInfo(j.ctx).WorkflowExecution.ID,
			Step:       j.step, Version: j.version, Channel: channel, Template: template,
			Fallback: t.Fallback, Offer: offer.values(),
		}
		var res activities.SendResult
		if err := workflow.ExecuteActivity(ctx, a.Send, in).Get(ctx, &res); err != nil {
			sent.Outcome, sent.Reason = reporting.KindFailed, cause(err)
			j.record(reporting.KindFailed, channel, template, sent.Reason, time.Time{})
			break
		}
		j.refresh(res.Version, res.Config)
		if res.Outcome != activities.Held {
			sent.Outcome, sent.Reason = res.Outcome, res.Reason
			if res.Channel != "" {
				sent.Channel = res.Channel
			}
			break
		}
		if !j.hold(recheck) {
			return
		}
	}
	if sent.Outcome == activities.Sent {
		j.lastSend = &sendMark{step: j.step, channel: sent.Channel, at: workflow.Now(j.ctx)}
	}
	j.state.Sends = append(j.state.Sends, sent)
	j.describe(fmt.Sprintf("%s %s %s", sent.Outcome, sent.Channel, template))
}

// hold waits while the journey is paused: until a resume signal, or until
// recheck has passed, when the send asks again. It reports false when the
// run ends meanwhile.
func (j *Journey) hold(recheck time.Duration) bool {
	j.state.Held = true
	j.describe("held: the journey is paused")
	resumes := j.resumes
	opts := workflow.AwaitOptions{Timeout: recheck, TimerOptions: workflow.TimerOptions{Summary: "held while the journey is paused"}}
	_, _ = workflow.AwaitWithOptions(j.ctx, opts, func() bool { return j.resumes > resumes || j.end != nil })
	j.state.Held = false
	return j.end == nil
}

// refresh applies a newer journey config to the steps not reached yet.
func (j *Journey) refresh(version int, raw json.RawMessage) {
	if version <= j.version || len(raw) == 0 {
		return
	}
	if err := j.reload(raw); err != nil {
		workflow.GetLogger(j.ctx).Warn("ignoring journey config that does not parse", "version", version, "error", err)
		return
	}
	j.version = version
	j.state.Version = version
}

// Converted ends the run as a conversion. The conversion is attributed to
// the last send when the goal came within the journey's conversion window
// after it.
func (j *Journey) Converted() (Result, error) {
	if j.end == nil || j.end.goal == nil {
		return j.finish(reporting.StatusConverted, activities.RecordInput{Kind: reporting.KindConverted, Detail: j.in.GoalEvent})
	}
	goal := j.end.goal
	rec := activities.RecordInput{
		Kind:    reporting.KindConverted,
		Detail:  fmt.Sprintf("%s (event %s)", goal.Name, goal.EventID),
		Revenue: revenue(goal.Properties),
	}
	at := goal.OccurredAt
	if at.IsZero() {
		at = workflow.Now(j.ctx)
	}
	switch last := j.lastSend; {
	case last == nil:
		rec.Detail += " before any send"
	case j.in.ConversionWindow > 0 && at.Sub(last.at) > j.in.ConversionWindow:
		rec.Detail += fmt.Sprintf(" after the %s conversion window", j.in.ConversionWindow)
	default:
		rec.Step, rec.Channel = last.step, string(last.channel)
	}
	return j.finish(reporting.StatusConverted, rec)
}

// Exit ends the run without a conversion, for the given reason, unless an
// exit event or a removal ended it first.
func (j *Journey) Exit(reason string) (Result, error) {
	if j.converted() {
		return j.Converted()
	}
	status := reporting.StatusExited
	if j.end != nil {
		status, reason = j.end.status, j.end.detail
	}
	return j.finish(status, activities.RecordInput{Kind: reporting.KindExited, Detail: reason, Step: j.step})
}

func (j *Journey) finish(status string, rec activities.RecordInput) (Result, error) {
	j.state.Status = status
	j.upsert(JourneyStatusKey.ValueSet(status))
	rec.Version = j.version
	if err := finish(j.ctx, j.in, status, rec); err != nil {
		return Result{}, err
	}
	j.describe(fmt.Sprintf("%s: %s", status, rec.Detail))
	return Result{Status: status, Reason: rec.Detail}, nil
}

// finish closes the enrollment in the reporting store.
func finish(ctx workflow.Context, in Input, status string, rec activities.RecordInput) error {
	ctx = workflow.WithActivityOptions(ctx, recordOptions(rec.Kind))
	rec.EnrollmentID, rec.JourneyID, rec.UserID, rec.At = in.EnrollmentID, in.JourneyID, in.UserID, workflow.Now(ctx)
	return workflow.ExecuteActivity(ctx, a.Finish, activities.FinishInput{Status: status, RecordInput: rec}).Get(ctx, nil)
}

// revenue reads a goal event's revenue property, when it is a number.
func revenue(props map[string]any) *float64 {
	switch v := props["revenue"].(type) {
	case float64:
		return &v
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return &f
		}
	}
	return nil
}

// record appends to the run's reporting log. The activity retries until
// Postgres takes it, so an outage delays the run rather than losing a line.
func (j *Journey) record(kind string, channel channels.Channel, template, detail string, at time.Time) {
	if at.IsZero() {
		at = workflow.Now(j.ctx)
	}
	ctx := workflow.WithActivityOptions(j.ctx, recordOptions(kind))
	in := activities.RecordInput{
		EnrollmentID: j.in.EnrollmentID, JourneyID: j.in.JourneyID, UserID: j.in.UserID,
		Step: j.step, Kind: kind, Channel: string(channel), Template: template, Detail: detail,
		Version: j.version, At: at,
	}
	_ = workflow.ExecuteActivity(ctx, a.Record, in).Get(ctx, nil)
}

func recordOptions(kind string) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		Summary:             "record " + kind,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
	}
}

// upsert updates the run's search attributes. A failure only makes the run
// harder to find, so it does not stop the journey.
func (j *Journey) upsert(updates ...temporal.SearchAttributeUpdate) {
	_ = workflow.UpsertTypedSearchAttributes(j.ctx, updates...)
}

// describe sets what the Temporal UI shows as the run's current details.
func (j *Journey) describe(now string) {
	workflow.SetCurrentDetails(j.ctx, j.state.details(now))
}

// failOnError closes the enrollment as failed when a journey returns an
// error, so that the reporting store never keeps a dead run active.
func failOnError(run func(workflow.Context, Input) (Result, error)) func(workflow.Context, Input) (Result, error) {
	return func(ctx workflow.Context, in Input) (Result, error) {
		res, err := run(ctx, in)
		if err == nil || temporal.IsCanceledError(err) {
			return res, err
		}
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		_ = workflow.UpsertTypedSearchAttributes(dctx, JourneyStatusKey.ValueSet(reporting.StatusFailed))
		rec := activities.RecordInput{Kind: reporting.KindFailed, Detail: cause(err), Version: in.Version}
		if ferr := finish(dctx, in, reporting.StatusFailed, rec); ferr != nil {
			workflow.GetLogger(ctx).Error("close failed enrollment", "error", ferr)
		}
		return Result{Status: reporting.StatusFailed, Reason: cause(err)}, err
	}
}

// jitter spreads timers that would otherwise fire at the same instant for a
// whole audience: up to 1% of the wait, at most five minutes, derived from
// the run and step so that replays see the same value.
func jitter(in Input, step int, d time.Duration) time.Duration {
	limit := min(d/100, 5*time.Minute)
	if limit <= 0 {
		return 0
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d", in.EnrollmentID, step)
	return time.Duration(h.Sum64() % uint64(limit))
}

// cause returns the innermost message of an activity error, which is what a
// person reading a timeline wants.
func cause(err error) string {
	var appErr *temporal.ApplicationError
	for err != nil {
		if e, ok := err.(*temporal.ApplicationError); ok {
			appErr = e
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			break
		}
		err = u.Unwrap()
	}
	if appErr != nil {
		return appErr.Message()
	}
	if err != nil {
		return err.Error()
	}
	return "unknown error"
}
