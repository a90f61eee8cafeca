package channels

import (
	"errors"
	"fmt"
	"time"
)

// Channel names a way of reaching a person.
type Channel string

// The channels a journey touch can name.
const (
	Push    Channel = "push"
	Email   Channel = "email"
	SMS     Channel = "sms"
	Webhook Channel = "webhook"
)

// All lists every channel, in the order reports show them.
var All = []Channel{Push, Email, SMS, Webhook}

// Valid reports whether c is a channel the service knows.
func (c Channel) Valid() bool {
	for _, k := range All {
		if c == k {
			return true
		}
	}
	return false
}

// Message is one rendered message for one person on one channel.
type Message struct {
	Channel Channel
	// IdempotencyKey is the same for every attempt at the same send; providers
	// that deduplicate receive it so a retry never reaches the person twice.
	IdempotencyKey string
	UserID         string
	// To is the address on the channel: a push token, an email address, a
	// phone number in E.164, or the user id for webhooks.
	To          string
	Title       string // push
	Subject     string // email
	Body        string
	HTML        string // email
	Data        map[string]string
	Unsubscribe string // URL for List-Unsubscribe, email only
}

// Receipt is a provider's acknowledgement of a delivered message.
type Receipt struct {
	Provider string
	// ID is the provider's id for the message, when it gives one.
	ID string
}

// PermanentError is a refusal that no retry can fix: an unknown recipient,
// an invalid token, a rejected payload.
type PermanentError struct {
	Provider string
	Reason   string
	// InvalidContact says the address itself is dead (for example an
	// unregistered push token) and should not be used again.
	InvalidContact bool
}

func (e *PermanentError) Error() string {
	return fmt.Sprintf("%s refused the message: %s", e.Provider, e.Reason)
}

// TemporaryError is a failure worth retrying: a timeout, a 5xx, a rate limit.
type TemporaryError struct {
	Provider string
	Reason   string
	// RetryAfter is the provider's hint for when to try again, or zero.
	RetryAfter time.Duration
}

func (e *TemporaryError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%s failed, retry after %s: %s", e.Provider, e.RetryAfter, e.Reason)
	}
	return fmt.Sprintf("%s failed: %s", e.Provider, e.Reason)
}

// IsPermanent reports whether err is a refusal that retrying cannot fix.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
