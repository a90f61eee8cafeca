package channels

import (
	"context"
	"log/slog"
)

// Console is the sender used when a channel has no provider configured: it
// logs that a message was due instead of delivering it, so journeys run end
// to end on a laptop.
type Console struct {
	Log *slog.Logger
}

// Send logs m's channel, user, journey, template and idempotency key, and
// acknowledges it. It never logs the address or the text: logs travel
// further than messages, and the text carries offer codes.
func (c *Console) Send(ctx context.Context, m Message) (Receipt, error) {
	c.Log.InfoContext(ctx, "message not delivered: the channel has no provider",
		"channel", m.Channel, "user_id", m.UserID, "journey_id", m.Data["journey_id"],
		"template", m.Data["template"], "idempotency_key", m.IdempotencyKey, "body_bytes", len(m.Body))
	return Receipt{Provider: "console", ID: m.IdempotencyKey}, nil
}
