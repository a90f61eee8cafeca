package journey

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"journeys/activities"
	"journeys/channels"
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
	send := j.sender(m)
	for recheck := 10 * time.Minute; ; {
		in := activities.SendInput{
			EnrollmentID: j.in.EnrollmentID, JourneyID: j.in.JourneyID, UserID: j.in.UserID,
			WorkflowID: workflow.GetInfo(j.ctx).WorkflowExecution.ID,
			Step:       j.seq, StepID: id, Visit: visit, Version: j.version,
			Channel: m.Channel, Template: m.Template, Fallback: m.Fallback, Offer: m.Offer.resolve(offer),
			Holdout: j.in.Holdout, At: workflow.Now(j.ctx), SendWindow: j.in.SendWindow, Transactional: j.in.Transactional,
		}
		var res activities.SendResult
		if err := send(in).Get(j.ctx, &res); err != nil {
			reason := Cause(err)
			j.record(j.entry(id, reporting.KindFailed, string(m.Channel), m.Template, reason))
			return j.sent(id, m, Outcome{Status: reporting.KindFailed, Channel: string(m.Channel), Reason: reason})
		}
		if res.At.After(j.sentAt) {
			j.sentAt = res.At
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

// sender returns how the run calls the Send activity for message m: on
// the channel's own task queue when the worker holds the channel to a
// rate, else as a local activity (Input.LocalSends) or on the run's own
// queue, where the worker that schedules the send starts it at once.
// Runs that sent before sends had a queue per channel keep the shared
// one; runs started since know from their input.
func (j *Run) sender(m Message) func(activities.SendInput) workflow.Future {
	summary := fmt.Sprintf("send %s %s", m.Channel, m.Template)
	retry := &temporal.RetryPolicy{
		InitialInterval:    5 * time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    10 * time.Minute,
		MaximumAttempts:    8,
	}
	held := limited(j.ctx, m.Channel)
	if j.in.LocalSends {
		held = j.heldToRate(m.Channel)
		if !held {
			ctx := workflow.WithLocalActivityOptions(j.ctx, workflow.LocalActivityOptions{
				StartToCloseTimeout: time.Minute, RetryPolicy: retry, Summary: summary,
			})
			return func(in activities.SendInput) workflow.Future { return workflow.ExecuteLocalActivity(ctx, a.Send, in) }
		}
	}
	queue := ""
	perChannel := j.in.SendQueues || j.Changed(SendQueueChange)
	if perChannel && held {
		queue = SendTaskQueue(m.Channel)
	}
	ctx := workflow.WithActivityOptions(j.ctx, workflow.ActivityOptions{
		TaskQueue: queue, StartToCloseTimeout: time.Minute, RetryPolicy: retry, Summary: summary,
	})
	return func(in activities.SendInput) workflow.Future { return workflow.ExecuteActivity(ctx, a.Send, in) }
}

// heldToRate reports whether channel c is held to a rate, as the run's
// RatesMarker says: the worker's rates when the run first sent, or when a
// later send found them changed. On replay the marker answers, whatever
// the replaying worker's rates.
func (j *Run) heldToRate(c channels.Channel) bool {
	var held string
	v := workflow.MutableSideEffect(j.ctx, RatesMarker,
		func(workflow.Context) any { return limitedChannels(j.ctx) },
		func(a, b any) bool { return a == b })
	_ = v.Get(&held)
	return slices.Contains(strings.Split(held, ","), string(c))
}

// now is the time the run logs its entries at: workflow.Now, the time of
// the workflow task, but never before the end of the run's last send,
// whose entries the send stamped as it went. A send that ran as a local
// activity ended within the task, after that time, and what the run logs
// after it must not precede it in the timeline.
func (j *Run) now() time.Time {
	if t := workflow.Now(j.ctx); t.After(j.sentAt) {
		return t
	}
	return j.sentAt
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
