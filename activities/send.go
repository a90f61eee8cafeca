package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"journeys/channels"
	"journeys/reporting"
)

// SendInput asks for one touch of a journey to reach one user.
type SendInput struct {
	EnrollmentID int64
	JourneyID    string
	UserID       string
	WorkflowID   string
	Step         int
	Channel      channels.Channel
	Template     string
}

// IdempotencyKey names this send across retries of the activity and resets
// of the run, yet differs between two enrollments of the same user.
func (in SendInput) IdempotencyKey() string {
	return fmt.Sprintf("%s/%d/%d", in.WorkflowID, in.EnrollmentID, in.Step)
}

// Send outcomes.
const (
	Sent    = "sent"
	Skipped = "skipped"
)

// SendResult tells what became of a send.
type SendResult struct {
	Outcome string
	// Reason says why a send was skipped.
	Reason   string
	Provider string
}

// ErrPermanentDelivery is the application error type of a send that the
// provider refused for good; Temporal does not retry it.
const ErrPermanentDelivery = "PermanentDelivery"

// Send delivers one touch and records it. A user without a contact on the
// channel is skipped, not failed. The delivery is claimed under its
// idempotency key before the provider is called and marked after, so a
// retry that follows a successful delivery records it without sending again.
func (a *Activities) Send(ctx context.Context, in SendInput) (SendResult, error) {
	rec := RecordInput{
		EnrollmentID: in.EnrollmentID, JourneyID: in.JourneyID, UserID: in.UserID,
		Step: in.Step, Channel: string(in.Channel), Template: in.Template,
	}
	user, err := a.Store.User(ctx, in.UserID)
	if errors.Is(err, reporting.ErrNotFound) {
		return a.skip(ctx, rec, "user has no profile")
	}
	if err != nil {
		return SendResult{}, err
	}
	to := contact(user, in.Channel)
	if to == "" {
		return a.skip(ctx, rec, fmt.Sprintf("no %s contact", in.Channel))
	}
	sender, ok := a.Senders[in.Channel]
	if !ok {
		return a.skip(ctx, rec, fmt.Sprintf("no sender for channel %s", in.Channel))
	}
	msg, err := render(in, user, to)
	if err != nil {
		return SendResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrPermanentDelivery, err)
	}

	key := msg.IdempotencyKey
	d, err := a.Store.ClaimDelivery(ctx, key, in.EnrollmentID, in.Step, string(in.Channel))
	if err != nil {
		return SendResult{}, err
	}
	if d.Status != reporting.DeliverySent {
		receipt, err := sender.Send(ctx, msg)
		if channels.IsPermanent(err) {
			return SendResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrPermanentDelivery, err)
		}
		if err != nil {
			return SendResult{}, err
		}
		if err := a.Store.MarkDelivered(ctx, key, receipt.Provider, receipt.ID); err != nil {
			return SendResult{}, err
		}
		d.Provider = receipt.Provider
	}
	rec.Kind = reporting.KindSent
	rec.Detail = d.Provider
	if err := a.Record(ctx, rec); err != nil {
		return SendResult{}, err
	}
	return SendResult{Outcome: Sent, Provider: d.Provider}, nil
}

func (a *Activities) skip(ctx context.Context, rec RecordInput, reason string) (SendResult, error) {
	rec.Kind = reporting.KindSkipped
	rec.Detail = reason
	if err := a.Record(ctx, rec); err != nil {
		return SendResult{}, err
	}
	return SendResult{Outcome: Skipped, Reason: reason}, nil
}

// contact returns the user's address on channel, or "" when there is none.
func contact(u reporting.User, c channels.Channel) string {
	switch c {
	case channels.Push:
		return u.PushToken
	case channels.Email:
		return u.Email
	case channels.SMS:
		return u.Phone
	case channels.Webhook:
		return u.ID
	}
	return ""
}
