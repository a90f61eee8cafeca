package kitv1

import (
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"journeys/activities"
	"journeys/channels"
	"journeys/reporting"
)

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
	if err := t.After.Check(field + ".after"); err != nil {
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
	sent := SendState{Step: j.step, Channel: string(channel), Template: template}
	values := offer.Values()
	for recheck := 10 * time.Minute; ; recheck = min(2*recheck, 6*time.Hour) {
		in := activities.SendInput{
			EnrollmentID: j.in.EnrollmentID, JourneyID: j.in.JourneyID, UserID: j.in.UserID,
			WorkflowID: workflow.GetInfo(j.ctx).WorkflowExecution.ID,
			Step:       j.step, Version: j.version, Channel: channel, Template: template,
			Fallback: t.Fallback, Offer: &values, Holdout: j.in.Holdout,
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
				sent.Channel = string(res.Channel)
			}
			break
		}
		if !j.hold(recheck) {
			return
		}
	}
	if sent.Outcome == activities.Sent {
		j.lastSend = &sendMark{step: j.step, channel: channels.Channel(sent.Channel), at: workflow.Now(j.ctx)}
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
