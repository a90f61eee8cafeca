package reporting

import (
	"context"
	"fmt"
	"time"
)

// AnyChannel is the channel of a frequency cap that counts the messages of
// every channel together.
const AnyChannel = "any"

// The bounds of a frequency cap. MaxCapWindow also bounds how long the
// ledger keeps a send: older ones count against no cap.
const (
	MaxCapSends  = 1000
	MinCapWindow = time.Minute
	MaxCapWindow = 31 * 24 * time.Hour
	MaxCaps      = 20
)

// FrequencyCap bounds how many messages one user gets on Channel (on all
// channels together for AnyChannel) across all journeys of a workspace,
// within any window of Per.
type FrequencyCap struct {
	Channel string
	Max     int
	Per     time.Duration
}

// FrequencyCaps returns the workspace's caps in the order they were set.
func (s *Store) FrequencyCaps(ctx context.Context) ([]FrequencyCap, error) {
	ws, err := WorkspaceOf(ctx)
	if err != nil {
		return nil, err
	}
	const q = `SELECT channel, max_sends, per_seconds FROM frequency_caps
	WHERE workspace_id = $1 ORDER BY position`
	rows, err := s.db.QueryContext(ctx, q, ws)
	if err != nil {
		return nil, fmt.Errorf("frequency caps: %w", err)
	}
	defer rows.Close()
	caps := []FrequencyCap{}
	for rows.Next() {
		var c FrequencyCap
		var seconds int64
		if err := rows.Scan(&c.Channel, &c.Max, &seconds); err != nil {
			return nil, fmt.Errorf("frequency caps: %w", err)
		}
		c.Per = time.Duration(seconds) * time.Second
		caps = append(caps, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("frequency caps: %w", err)
	}
	return caps, nil
}

// SetFrequencyCaps replaces the workspace's caps with caps, which the
// caller has validated; none removes them all. Sends already counted keep
// counting against the new caps.
func (s *Store) SetFrequencyCaps(ctx context.Context, caps []FrequencyCap) error {
	ws, err := WorkspaceOf(ctx)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set frequency caps: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM frequency_caps WHERE workspace_id = $1`, ws); err != nil {
		return fmt.Errorf("set frequency caps: %w", err)
	}
	const q = `INSERT INTO frequency_caps (workspace_id, channel, max_sends, per_seconds, position)
	VALUES ($1, $2, $3, $4, $5)`
	for i, c := range caps {
		if _, err := tx.ExecContext(ctx, q, ws, c.Channel, c.Max, int64(c.Per/time.Second), i); err != nil {
			return fmt.Errorf("set frequency caps: %w", translate(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("set frequency caps: %w", err)
	}
	return nil
}

// CapSend is a send the frequency caps judge: Key is its idempotency key,
// At the time it goes.
type CapSend struct {
	Key     string
	UserID  string
	Channel string
	At      time.Time
}

// capLockClass namespaces the per-user advisory locks of AdmitSend (the
// two-key form, apart from the migrations' one-key lock).
const capLockClass = 7345103

// AdmitSend decides whether send fits the workspace's caps and, if it
// does, counts it, under a lock on the user: two sends to one user at the
// same instant are judged one after the other, so together they never
// exceed a cap. The decision is kept under the send's key, so a retry gets
// the same answer and is never counted twice. A counted send counts
// against the caps of its channel and of AnyChannel until Per has passed
// since its At. It is one round trip, admit_send (migration 017), as it
// is on every send's way; the user's sends older than any window, which
// count no more, are pruned as it records (a day's margin keeps decisions
// for retries).
func (s *Store) AdmitSend(ctx context.Context, send CapSend) (bool, error) {
	ws, err := WorkspaceOf(ctx)
	if err != nil {
		return false, err
	}
	horizon := send.At.Add(-MaxCapWindow - 24*time.Hour)
	var fits bool
	err = s.db.GetContext(ctx, &fits, `SELECT admit_send($1, $2, $3, $4, $5, $6, $7)`,
		capLockClass, ws, send.Key, send.UserID, send.Channel, send.At, horizon)
	if err != nil {
		return false, fmt.Errorf("admit send: %w", translate(err))
	}
	return fits, nil
}
