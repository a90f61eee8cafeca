package workflows

import (
	"fmt"
	"hash/fnv"
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
// (the goal signal, reporting, search attributes, what the UI shows) is
// done here.
type Journey struct {
	ctx   workflow.Context
	in    Input
	step  int
	goal  *EventSignal
	seen  map[string]bool
	state State
}

// State is what a run is doing, as the state query returns it.
type State struct {
	JourneyID string      `json:"journey_id"`
	UserID    string      `json:"user_id"`
	Status    string      `json:"status"`
	Step      int         `json:"step"`
	Waiting   string      `json:"waiting,omitempty"`
	WaitUntil *time.Time  `json:"wait_until,omitempty"`
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
	return nil
}

// Start begins a run: it reads the journey's config into a C, starts
// listening for the user's events and records the enrollment.
func Start[C any, P interface {
	*C
	Config
}](ctx workflow.Context, in Input) (*Journey, C, error) {
	cfg, err := parseConfig[C, P](in.Config)
	if err != nil {
		return nil, cfg, temporal.NewNonRetryableApplicationError(err.Error(), "InvalidConfig", err)
	}
	j := &Journey{
		ctx:   ctx,
		in:    in,
		seen:  map[string]bool{},
		state: State{JourneyID: in.JourneyID, UserID: in.UserID, Status: reporting.StatusActive, Sends: []SendState{}},
	}
	events := workflow.GetSignalChannel(ctx, EventSignalName)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var ev EventSignal
			events.Receive(ctx, &ev)
			j.observe(ev)
		}
	})
	if err := workflow.SetQueryHandler(ctx, StateQueryName, func() (State, error) { return j.state, nil }); err != nil {
		return nil, cfg, err
	}
	j.record(reporting.KindEnrolled, "", "", "", in.EnrolledAt)
	j.describe("enrolled")
	return j, cfg, nil
}

// observe takes in one user event. The goal counts once, and only when it
// happened after the enrollment.
func (j *Journey) observe(ev EventSignal) {
	if j.seen[ev.EventID] {
		return
	}
	j.seen[ev.EventID] = true
	if ev.Name != j.in.GoalEvent || j.goal != nil {
		return
	}
	if !ev.OccurredAt.IsZero() && ev.OccurredAt.Before(j.in.EnrolledAt) {
		return
	}
	j.goal = &ev
}

// WaitForGoal waits d for the journey's goal event and reports whether it
// happened. The wait is a durable timer: restarts do not move it.
func (j *Journey) WaitForGoal(d time.Duration) bool {
	if j.goal != nil {
		return true
	}
	d += jitter(j.in, j.step, d)
	until := workflow.Now(j.ctx).Add(d).UTC()
	j.state.Waiting, j.state.WaitUntil = j.in.GoalEvent, &until
	j.describe(fmt.Sprintf("waiting for %s until %s", j.in.GoalEvent, until.Format(time.RFC3339)))

	opts := workflow.AwaitOptions{
		Timeout:      d,
		TimerOptions: workflow.TimerOptions{Summary: fmt.Sprintf("wait %s for %s", d.Round(time.Second), j.in.GoalEvent)},
	}
	_, _ = workflow.AwaitWithOptions(j.ctx, opts, func() bool { return j.goal != nil })
	j.state.Waiting, j.state.WaitUntil = "", nil
	return j.goal != nil
}

// Send sends template on channel to the user, unless the goal has happened
// meanwhile. A user without a contact on the channel is skipped; a send the
// provider refuses, or that keeps failing, is recorded as failed. Either way
// the journey goes on.
func (j *Journey) Send(channel channels.Channel, template string) {
	if j.goal != nil {
		return
	}
	j.step++
	j.state.Step = j.step
	j.upsert(JourneyStepKey.ValueSet(string(channel)))

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
	in := activities.SendInput{
		EnrollmentID: j.in.EnrollmentID, JourneyID: j.in.JourneyID, UserID: j.in.UserID,
		WorkflowID: workflow.GetInfo(j.ctx).WorkflowExecution.ID,
		Step:       j.step, Channel: channel, Template: template,
	}
	var res activities.SendResult
	sent := SendState{Step: j.step, Channel: channel, Template: template}
	if err := workflow.ExecuteActivity(ctx, a.Send, in).Get(ctx, &res); err != nil {
		sent.Outcome, sent.Reason = reporting.KindFailed, cause(err)
		j.record(reporting.KindFailed, channel, template, sent.Reason, time.Time{})
	} else {
		sent.Outcome, sent.Reason = res.Outcome, res.Reason
	}
	j.state.Sends = append(j.state.Sends, sent)
	j.describe(fmt.Sprintf("%s %s %s", sent.Outcome, channel, template))
}

// Converted ends the run as a conversion.
func (j *Journey) Converted() (Result, error) {
	detail := j.in.GoalEvent
	if j.goal != nil {
		detail = fmt.Sprintf("%s (event %s)", j.goal.Name, j.goal.EventID)
	}
	return j.finish(reporting.StatusConverted, reporting.KindConverted, detail)
}

// Exit ends the run without a conversion, for the given reason.
func (j *Journey) Exit(reason string) (Result, error) {
	return j.finish(reporting.StatusExited, reporting.KindExited, reason)
}

func (j *Journey) finish(status, kind, detail string) (Result, error) {
	j.state.Status = status
	j.upsert(JourneyStepKey.ValueSet("done"), JourneyStatusKey.ValueSet(status))
	if err := finish(j.ctx, j.in, j.step, status, kind, detail); err != nil {
		return Result{}, err
	}
	j.describe(fmt.Sprintf("%s: %s", status, detail))
	return Result{Status: status, Reason: detail}, nil
}

// finish closes the enrollment in the reporting store.
func finish(ctx workflow.Context, in Input, step int, status, kind, detail string) error {
	ctx = workflow.WithActivityOptions(ctx, recordOptions(kind))
	fin := activities.FinishInput{Status: status, RecordInput: activities.RecordInput{
		EnrollmentID: in.EnrollmentID, JourneyID: in.JourneyID, UserID: in.UserID,
		Step: step, Kind: kind, Detail: detail, At: workflow.Now(ctx),
	}}
	return workflow.ExecuteActivity(ctx, a.Finish, fin).Get(ctx, nil)
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
		Step: j.step, Kind: kind, Channel: string(channel), Template: template, Detail: detail, At: at,
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
	workflow.SetCurrentDetails(j.ctx, fmt.Sprintf("**%s** · user `%s` · step %d\n\n%s",
		j.in.JourneyName, j.in.UserID, j.step, now))
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
		if ferr := finish(dctx, in, 0, reporting.StatusFailed, reporting.KindFailed, cause(err)); ferr != nil {
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
