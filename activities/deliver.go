package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"journeys/channels"
	"journeys/reporting"
)

// maxRetryAfter bounds how long a provider's Retry-After may hold a send
// back; the kit's retry policy waits at most this long between attempts.
const maxRetryAfter = 10 * time.Minute

// choose returns the channel a touch goes out on for u: primary when it is
// available, else fallback when that is. When neither is, it returns "" and
// why; when it falls back, why says what was wrong with primary.
func (a *Activities) choose(u reporting.User, primary, fallback channels.Channel) (channels.Channel, string) {
	why := a.unavailable(u, primary)
	if why == "" {
		return primary, ""
	}
	if fallback == "" {
		return "", why
	}
	if whyNot := a.unavailable(u, fallback); whyNot != "" {
		return "", why + "; " + whyNot
	}
	return fallback, why
}

// unavailable says why u cannot be reached on c, or "" when they can.
func (a *Activities) unavailable(u reporting.User, c channels.Channel) string {
	switch {
	case slices.Contains(u.Unsubscribed, string(c)):
		return fmt.Sprintf("unsubscribed from %s", c)
	case contact(u, c) == "":
		return fmt.Sprintf("no %s contact", c)
	case c == channels.Push && u.PushTokenInvalidAt != nil:
		return "push token invalid"
	case a.Senders[c] == nil:
		return fmt.Sprintf("no sender for channel %s", c)
	}
	return ""
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

// deliver hands msg, rendered for u, to its channel's sender. A refusal is
// a non-retryable error, and a push token FCM calls dead is marked so that
// later pushes skip it; any other failure is retried, after the provider's
// Retry-After when it gives one.
func (a *Activities) deliver(ctx context.Context, msg channels.Message, u reporting.User) (channels.Receipt, error) {
	channel := msg.Channel
	receipt, err := a.Senders[channel].Send(ctx, msg)
	var perm *channels.PermanentError
	var temp *channels.TemporaryError
	switch {
	case errors.As(err, &perm):
		if perm.InvalidContact && channel == channels.Push {
			if err := a.Store.InvalidatePushToken(ctx, u.ID, msg.To); err != nil {
				return channels.Receipt{}, err
			}
		}
		return channels.Receipt{}, permanent(err)
	case errors.As(err, &temp) && temp.RetryAfter > 0:
		return channels.Receipt{}, temporal.NewApplicationErrorWithOptions(err.Error(), "TemporaryDelivery",
			temporal.ApplicationErrorOptions{Cause: err, NextRetryDelay: min(temp.RetryAfter, maxRetryAfter)})
	case err != nil:
		return channels.Receipt{}, err
	}
	return receipt, nil
}

// message renders the touch's template for u on channel, in the first of
// the user's locales that has it. A missing or broken template is a
// non-retryable error: no retry can fix it.
func (a *Activities) message(ctx context.Context, in SendInput, u reporting.User, channel channels.Channel) (channels.Message, error) {
	tags := locales(u.Locale)
	t, err := a.Store.Template(ctx, in.Template, tags)
	if errors.Is(err, reporting.ErrNotFound) {
		return channels.Message{}, permanent(fmt.Errorf("no template %q in %s", in.Template, strings.Join(tags, " or ")))
	}
	if err != nil {
		return channels.Message{}, err
	}
	attrs, err := userData(u)
	if err != nil {
		return channels.Message{}, permanent(err)
	}
	offer, data := a.offer(in)
	r, err := render(t, TemplateData{User: attrs, Offer: offer})
	if err != nil {
		// %v, not %w: the timeline shows the innermost error of a failure,
		// and this one says it all in the words of the template.
		return channels.Message{}, permanent(fmt.Errorf("template %s (%s): %v", t.ID, t.Locale, err))
	}
	var unsubscribe string
	if a.Unsubscribe != nil && channel == channels.Email {
		ws, err := reporting.WorkspaceOf(ctx)
		if err != nil {
			return channels.Message{}, err
		}
		unsubscribe = a.Unsubscribe(ws, u.ID, channel)
	}
	return channels.Message{
		Unsubscribe:    unsubscribe,
		Channel:        channel,
		IdempotencyKey: in.IdempotencyKey(),
		UserID:         u.ID,
		To:             contact(u, channel),
		Title:          r.title,
		Subject:        r.subjectLine(),
		Body:           r.body,
		HTML:           r.html,
		Data:           data,
	}, nil
}

// offer returns the discount a message carries, as its template sees it,
// and the data fields push and webhook messages carry: the discount code
// only when the message carries an offer.
func (a *Activities) offer(in SendInput) (TemplateOffer, map[string]string) {
	data := map[string]string{"journey_id": in.JourneyID, "template": in.Template}
	if in.Offer == nil {
		return TemplateOffer{}, data
	}
	code := OfferCode(a.OfferSecret, in.Offer.CodePrefix, in.WorkflowID, in.EnrollmentID)
	data["offer_code"] = code
	return TemplateOffer{DiscountPercent: in.Offer.DiscountPercent, CashbackPercent: in.Offer.CashbackPercent, Code: code}, data
}

// permanent makes err a failure Temporal does not retry.
func permanent(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrPermanentDelivery, err)
}
