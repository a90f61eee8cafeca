package reporting

import (
	"context"
	"fmt"
)

// Delivery states.
const (
	DeliverySending = "sending"
	DeliverySent    = "sent"
)

// Delivery is the record of one send, keyed by its idempotency key.
type Delivery struct {
	Key    string `db:"idempotency_key"`
	Status string `db:"status"`
	// Channel is the channel the first attempt chose; later attempts keep it.
	Channel    string `db:"channel"`
	Provider   string `db:"provider"`
	ProviderID string `db:"provider_id"`
	Attempts   int    `db:"attempts"`
}

// ClaimDelivery notes that the send with key is about to reach a provider
// on channel and returns the delivery as it now stands. A Status of
// DeliverySent means an earlier attempt delivered it already; Attempts
// above one with DeliverySending means an earlier attempt died without
// recording the provider's answer. Channel stays the one the first claim
// named.
func (s *Store) ClaimDelivery(ctx context.Context, key string, enrollmentID int64, step int, channel string) (Delivery, error) {
	const q = `
	INSERT INTO deliveries (idempotency_key, enrollment_id, step, channel, status)
	VALUES ($1, $2, $3, $4, 'sending')
	ON CONFLICT (idempotency_key) DO UPDATE SET attempts = deliveries.attempts + 1
	RETURNING idempotency_key, status, channel, provider, provider_id, attempts`
	var d Delivery
	if err := s.db.GetContext(ctx, &d, q, key, enrollmentID, step, channel); err != nil {
		return Delivery{}, fmt.Errorf("claim delivery: %w", err)
	}
	return d, nil
}

// Delivery returns the delivery with key; ErrNotFound when no attempt has
// claimed it yet.
func (s *Store) Delivery(ctx context.Context, key string) (Delivery, error) {
	const q = `SELECT idempotency_key, status, channel, provider, provider_id, attempts
	FROM deliveries WHERE idempotency_key = $1`
	var d Delivery
	if err := s.db.GetContext(ctx, &d, q, key); err != nil {
		return Delivery{}, fmt.Errorf("get delivery: %w", translate(err))
	}
	return d, nil
}

// MarkDelivered records that the provider accepted the send with key.
func (s *Store) MarkDelivered(ctx context.Context, key, provider, providerID string) error {
	const q = `
	UPDATE deliveries SET status = 'sent', provider = $2, provider_id = $3, sent_at = now()
	WHERE idempotency_key = $1`
	if _, err := s.db.ExecContext(ctx, q, key, provider, providerID); err != nil {
		return fmt.Errorf("mark delivered: %w", err)
	}
	return nil
}
