package dryrun

import (
	"context"
	"sync"

	"journeys/activities"
	"journeys/channels"
)

// Outbox is a sender that keeps what it is asked to deliver.
type Outbox struct {
	mu   sync.Mutex
	sent []channels.Message
	// SendFn, when set, decides each delivery: an error is the provider's
	// answer (a *channels.PermanentError refusal, a temporary failure).
	SendFn func(channels.Message) error
}

var _ activities.Sender = (*Outbox)(nil)

// Send keeps m, unless SendFn refuses it.
func (o *Outbox) Send(_ context.Context, m channels.Message) (channels.Receipt, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.SendFn != nil {
		if err := o.SendFn(m); err != nil {
			return channels.Receipt{}, err
		}
	}
	o.sent = append(o.sent, m)
	return channels.Receipt{Provider: "outbox", ID: m.IdempotencyKey}, nil
}

// Messages returns what was delivered, in order.
func (o *Outbox) Messages() []channels.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]channels.Message(nil), o.sent...)
}

// Channels returns the channel of each delivered message, in order.
func (o *Outbox) Channels() []channels.Channel {
	var out []channels.Channel
	for _, m := range o.Messages() {
		out = append(out, m.Channel)
	}
	return out
}

// Senders returns the outbox as the sender of every channel.
func (o *Outbox) Senders() map[channels.Channel]activities.Sender {
	out := map[channels.Channel]activities.Sender{}
	for _, c := range channels.All {
		out[c] = o
	}
	return out
}
