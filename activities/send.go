package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"journeys/channels"
	"journeys/reporting"
)

// SendInput asks for one touch of a journey to reach one user.
type SendInput struct {
	EnrollmentID int64
	JourneyID    string
	UserID       string
	WorkflowID   string
	// Step numbers the send in the run's log. StepID names it in the
	// journey, and Visit counts how often the run reached it (a flow may
	// loop); runs of the first kit have no StepID.
	Step    int
	StepID  string
	Visit   int
	Version int
	Channel channels.Channel
	// Fallback is the channel used when Channel is unavailable for the
	// user (no contact, unsubscribed, dead push token); "" for none.
	Fallback channels.Channel
	Template string
	// Offer is the discount the message carries, nil for none; the
	// enrollment's discount code is derived from it here, so that the
	// workflow never holds a secret.
	Offer *Offer
	// Holdout marks a control-group run: the send is skipped for
	// HoldoutReason, and the run keeps the journey's timing.
	Holdout bool
	// At is the run's time when it asked for the send: send windows and
	// frequency caps are judged at it.
	At time.Time
	// SendWindow, when set, defers a send outside the user's waking hours.
	SendWindow *reporting.SendWindow
	// Transactional exempts the send from frequency caps.
	Transactional bool
}

// HoldoutReason is the skip reason of every send of a control-group run.
const HoldoutReason = "holdout"

// IdempotencyKey names this send: the workflow id, the enrollment id and the
// step. It is the same on every retry of the activity and after a reset of
// the run, which is why it holds no run id (a reset starts a new run that
// replays the same steps, and must not send them again), and the enrollment
// id makes it differ between two enrollments of the same user, which share
// the workflow id. Whichever channel the send ends up on, the key is the
// same: a step reaches the user once.
func (in SendInput) IdempotencyKey() string {
	if in.StepID == "" {
		return fmt.Sprintf("%s/%d/%d", in.WorkflowID, in.EnrollmentID, in.Step)
	}
	key := fmt.Sprintf("%s/%d/%s", in.WorkflowID, in.EnrollmentID, in.StepID)
	if in.Visit > 1 {
		key += fmt.Sprintf("#%d", in.Visit)
	}
	return key
}

// Send outcomes.
const (
	Sent    = "sent"
	Skipped = "skipped"
	// Held means the journey is paused: nothing was sent or recorded, and
	// the run should try again once the journey resumes.
	Held = "held"
	// Deferred means the send window is closed for the user: the deferral
	// is recorded, and the run should try again at Until.
	Deferred = "deferred"
)

// SendResult tells what became of a send.
type SendResult struct {
	Outcome string
	// Reason says why a send was skipped.
	Reason   string
	Provider string
	// Channel is the channel the message went out on: the touch's, or its
	// fallback.
	Channel channels.Channel
	// Until is when a deferred send may go.
	Until time.Time
	// Version and Config are the journey's current config, so that a run
	// applies a change to the steps it has not reached.
	Version int
	Config  json.RawMessage
	// At is when the send ended, after it logged what became of it.
	At time.Time
}

// ErrPermanentDelivery is the application error type of a send that the
// provider refused for good; Temporal does not retry it.
const ErrPermanentDelivery = "PermanentDelivery"

// Send delivers one touch and records it. When the touch's channel is
// unavailable for the user (no contact, unsubscribed, a dead push token) its
// fallback channel is used; when that is unavailable too, or there is none,
// the send is skipped with the reasons, not failed; so is a send over one of
// the workspace's frequency caps (FrequencyCapReason). The delivery is claimed
// under its idempotency key before the provider is called and marked after,
// so a retry that follows a successful delivery records it without sending
// again; channels/doc.go says what a crash between the two can do.
func (a *Activities) Send(ctx context.Context, in SendInput) (SendResult, error) {
	journey, err := a.Store.Journey(ctx, in.JourneyID)
	if err != nil {
		return SendResult{}, err
	}
	if journey.Status == reporting.JourneyPaused {
		return SendResult{Outcome: Held, Version: journey.Version, Config: journey.Config}, nil
	}
	var res SendResult
	switch {
	case in.Holdout:
		res, err = a.skip(ctx, in.record(), HoldoutReason)
	case journey.Status == reporting.JourneyStopped:
		// A run the stop has not reached yet sends nothing more.
		res, err = a.skip(ctx, in.record(), "journey stopped")
	default:
		res, err = a.send(ctx, in)
	}
	res.Version, res.Config, res.At = journey.Version, journey.Config, time.Now()
	return res, err
}

// record is the start of the log entry of this send.
func (in SendInput) record() RecordInput {
	return RecordInput{
		EnrollmentID: in.EnrollmentID, JourneyID: in.JourneyID, UserID: in.UserID,
		Step: in.Step, StepID: in.StepID, Channel: string(in.Channel), Template: in.Template, Version: in.Version,
	}
}

func (a *Activities) send(ctx context.Context, in SendInput) (SendResult, error) {
	rec := in.record()
	user, err := a.Store.User(ctx, in.UserID)
	if errors.Is(err, reporting.ErrNotFound) {
		return a.skip(ctx, rec, "user has no profile")
	}
	if err != nil {
		return SendResult{}, err
	}
	key := in.IdempotencyKey()
	prior, err := a.Store.Delivery(ctx, key)
	if err != nil && !errors.Is(err, reporting.ErrNotFound) {
		return SendResult{}, err
	}
	if prior.Status != reporting.DeliverySent {
		if until, ok := in.deferral(user); ok {
			return a.postpone(ctx, rec, until)
		}
	}
	channel, why := a.choose(user, in.Channel, in.Fallback)
	if first := channels.Channel(prior.Channel); first != "" && first != channel {
		// An earlier attempt chose another channel and may have delivered
		// on it before the profile changed: stay with that choice.
		channel, why = first, "chosen by an earlier attempt"
		if r := a.unavailable(user, channel); r != "" && prior.Status != reporting.DeliverySent {
			return a.skip(ctx, rec, r)
		}
	}
	if channel == "" {
		return a.skip(ctx, rec, why)
	}

	var msg channels.Message
	if prior.Status != reporting.DeliverySent {
		// Rendered before the caps count it: a message that cannot be
		// made does not use up one of the user's.
		if msg, err = a.message(ctx, in, user, channel); err != nil {
			return SendResult{}, err
		}
		if ok, err := a.admit(ctx, in, channel); err != nil {
			return SendResult{}, err
		} else if !ok {
			return a.skip(ctx, rec, FrequencyCapReason)
		}
	}
	d, err := a.Store.ClaimDelivery(ctx, key, in.EnrollmentID, in.Step, string(channel))
	if err != nil {
		return SendResult{}, err
	}
	if d.Status != reporting.DeliverySent {
		receipt, err := a.deliver(ctx, msg, user)
		if err != nil {
			return SendResult{}, err
		}
		if err := a.Store.MarkDelivered(ctx, key, receipt.Provider, receipt.ID); err != nil {
			return SendResult{}, err
		}
		d.Provider = receipt.Provider
	}
	rec.Kind = reporting.KindSent
	rec.Channel = string(channel)
	rec.Detail = d.Provider
	if channel != in.Channel {
		rec.Detail = fmt.Sprintf("%s, instead of %s: %s", d.Provider, in.Channel, why)
	}
	if err := a.Record(ctx, rec); err != nil {
		return SendResult{}, err
	}
	return SendResult{Outcome: Sent, Provider: d.Provider, Channel: channel}, nil
}

// FrequencyCapReason is the skip reason of a send that would have
// exceeded one of the workspace's frequency caps.
const FrequencyCapReason = "frequency_cap"

// admit reports whether the send fits the frequency caps, counting it if
// it does. Sends of transactional journeys are exempt and not counted.
// The caps judge the send at the run's time, as the send window does.
func (a *Activities) admit(ctx context.Context, in SendInput, channel channels.Channel) (bool, error) {
	if a.Caps == nil || in.Transactional {
		return true, nil
	}
	at := in.At
	if at.IsZero() {
		at = time.Now()
	}
	ok, err := a.Caps.AdmitSend(ctx, reporting.CapSend{Key: in.IdempotencyKey(), UserID: in.UserID, Channel: string(channel), At: at})
	if err != nil {
		return false, fmt.Errorf("frequency caps: %w", err)
	}
	return ok, nil
}

// SendWindowReason is the reason of a send the journey's send window
// deferred.
const SendWindowReason = "send_window"

// deferral returns when a send outside the journey's send window may go,
// judged in the user's time zone (UTC when the user has none or an unknown
// one); ok is false when it may go now.
func (in SendInput) deferral(u reporting.User) (until time.Time, ok bool) {
	if in.SendWindow == nil {
		return time.Time{}, false
	}
	at := in.At
	if at.IsZero() {
		at = time.Now()
	}
	loc, err := time.LoadLocation(u.Timezone)
	if err != nil {
		loc = time.UTC
	}
	next := in.SendWindow.Next(at, loc)
	return next, next.After(at)
}

// postpone records that the send waits for the send window and tells the
// run until when.
func (a *Activities) postpone(ctx context.Context, rec RecordInput, until time.Time) (SendResult, error) {
	rec.Kind = reporting.KindDeferred
	rec.Detail = fmt.Sprintf("%s: until %s", SendWindowReason, until.UTC().Format(time.RFC3339))
	if err := a.Record(ctx, rec); err != nil {
		return SendResult{}, err
	}
	return SendResult{Outcome: Deferred, Reason: SendWindowReason, Until: until}, nil
}

func (a *Activities) skip(ctx context.Context, rec RecordInput, reason string) (SendResult, error) {
	rec.Kind = reporting.KindSkipped
	rec.Detail = reason
	if err := a.Record(ctx, rec); err != nil {
		return SendResult{}, err
	}
	return SendResult{Outcome: Skipped, Reason: reason}, nil
}
