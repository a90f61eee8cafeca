package journey

import (
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"journeys/activities"
	"journeys/reporting"
)

// Outcome is what became of a send: sent (on Channel), skipped or failed,
// with the reason for the last two.
type Outcome struct {
	Status  string
	Channel string
	Reason  string
}

// Send sends the message to the user, unless the run is ending, and
// reports what became of it. offer is the journey's offer, which the
// message carries when it asks for it. A user who cannot be reached on the
// message's channel gets it on its fallback, or is skipped; so is a user
// its condition does not hold for, or one a frequency cap has had enough
// messages. A send outside the journey's send window waits for the next
// opening; while the journey is paused the send is held. A send the
// provider refuses, or that keeps failing, is failed. Either way the
// journey goes on.
func (j *Run) Send(m Message, offer Offer) Outcome {
	if j.drain(); j.end != nil {
		return Outcome{}
	}
	id := m.ID
	if id == "" {
		id = string(m.Channel)
	}
	visit := j.nextStep(id)
	if held, err := j.evaluate(m.Condition); !held {
		reason := "condition"
		if err != nil {
			reason += ": " + err.Error()
		}
		j.record(j.entry(id, reporting.KindSkipped, string(m.Channel), m.Template, reason))
		return j.sent(id, m, Outcome{Status: activities.Skipped, Reason: reason})
	}
	j.upsert(JourneyStepKey.ValueSet(id))
	// Runs that sent before sends had a queue per channel keep the shared
	// one; runs started since know from their input. A channel held to no
	// rate needs no queue of its own (WithRates).
	queue := ""
	perChannel := j.in.SendQueues || workflow.GetVersion(j.ctx, SendQueueChange, workflow.DefaultVersion, 1) >= 1
	if perChannel && limited(j.ctx, m.Channel) {
		queue = SendTaskQueue(m.Channel)
	}
	ctx := workflow.WithActivityOptions(j.ctx, workflow.ActivityOptions{
		TaskQueue:           queue,
		StartToCloseTimeout: time.Minute,
		Summary:             fmt.Sprintf("send %s %s", m.Channel, m.Template),
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    5 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    10 * time.Minute,
			MaximumAttempts:    8,
		},
	})
	for recheck := 10 * time.Minute; ; {
		in := activities.SendInput{
			EnrollmentID: j.in.EnrollmentID, JourneyID: j.in.JourneyID, UserID: j.in.UserID,
			WorkflowID: workflow.GetInfo(j.ctx).WorkflowExecution.ID,
			Step:       j.seq, StepID: id, Visit: visit, Version: j.version,
			Channel: m.Channel, Template: m.Template, Fallback: m.Fallback, Offer: m.Offer.resolve(offer),
			Holdout: j.in.Holdout, At: workflow.Now(j.ctx), SendWindow: j.in.SendWindow, Transactional: j.in.Transactional,
		}
		var res activities.SendResult
		if err := workflow.ExecuteActivity(ctx, a.Send, in).Get(ctx, &res); err != nil {
			reason := Cause(err)
			j.record(j.entry(id, reporting.KindFailed, string(m.Channel), m.Template, reason))
			return j.sent(id, m, Outcome{Status: reporting.KindFailed, Channel: string(m.Channel), Reason: reason})
		}
		j.refresh(res.Version, res.Config)
		switch res.Outcome {
		case activities.Held:
			if !j.hold(recheck) {
				return Outcome{}
			}
			recheck = min(2*recheck, 6*time.Hour)
		case activities.Deferred:
			if !j.postpone(res.Until, res.Reason) {
				return Outcome{}
			}
		default:
			out := Outcome{Status: res.Outcome, Channel: string(res.Channel), Reason: res.Reason}
			if out.Channel == "" {
				out.Channel = string(m.Channel)
			}
			return j.sent(id, m, out)
		}
	}
}

// sent notes what became of a send in the run's state.
func (j *Run) sent(id string, m Message, out Outcome) Outcome {
	if out.Status == activities.Sent {
		j.lastSend = &sendMark{step: j.seq, stepID: id, channel: out.Channel, at: workflow.Now(j.ctx)}
	}
	j.state.Sends = append(j.state.Sends, SendState{Step: j.seq, StepID: id, Channel: out.Channel, Template: m.Template, Outcome: out.Status, Reason: out.Reason})
	j.describe(fmt.Sprintf("%s %s %s", out.Status, out.Channel, m.Template))
	return out
}

// hold waits while the journey is paused: until a resume signal, or until
// recheck has passed, when the send asks again. It reports false when the
// run ends meanwhile.
func (j *Run) hold(recheck time.Duration) bool {
	j.state.Held = true
	j.describe("held: the journey is paused")
	resumes := j.resumes
	opts := workflow.AwaitOptions{Timeout: recheck, TimerOptions: workflow.TimerOptions{Summary: "held while the journey is paused"}}
	_, _ = workflow.AwaitWithOptions(j.ctx, opts, func() bool { return j.resumes > resumes || j.end != nil })
	j.state.Held = false
	return j.end == nil
}

// postpone waits until a send the send window put off may go. It reports
// false when the run ends meanwhile.
func (j *Run) postpone(until time.Time, reason string) bool {
	d := until.Sub(workflow.Now(j.ctx))
	if d <= 0 {
		return j.end == nil
	}
	j.describe(fmt.Sprintf("deferred by the %s until %s", reason, until.UTC().Format(time.RFC3339)))
	timer := workflow.NewTimerWithOptions(j.ctx, d, workflow.TimerOptions{Summary: "wait for the " + reason})
	_ = workflow.Await(j.ctx, func() bool { return timer.IsReady() || j.end != nil })
	return j.end == nil
}

// refresh applies a newer journey config to the steps not reached yet,
// unless the config is Pinned.
func (j *Run) refresh(version int, raw json.RawMessage) {
	if j.reload == nil || version <= j.version || len(raw) == 0 {
		return
	}
	if err := j.reload(raw); err != nil {
		workflow.GetLogger(j.ctx).Warn("ignoring journey config that does not parse", "version", version, "error", err)
		return
	}
	j.version = version
	j.state.Version = version
}

// Cause returns the innermost message of an activity error, which is what a
// person reading a timeline wants.
func Cause(err error) string {
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
