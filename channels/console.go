package channels

import (
	"context"
	"log/slog"
)

// Console is the sender used when a channel has no provider configured: it
// logs the rendered message instead of delivering it, so journeys run end to
// end on a laptop.
type Console struct {
	Log *slog.Logger
}

// Send logs m and acknowledges it.
func (c *Console) Send(ctx context.Context, m Message) (Receipt, error) {
	c.Log.InfoContext(ctx, "message",
		"channel", m.Channel, "user_id", m.UserID, "to", m.To,
		"title", m.Title, "subject", m.Subject, "body", m.Body,
		"idempotency_key", m.IdempotencyKey)
	return Receipt{Provider: "console", ID: m.IdempotencyKey}, nil
}
