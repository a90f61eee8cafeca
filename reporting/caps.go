package reporting

import (
	"context"
	"database/sql"
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
// does, counts it, in one transaction under a lock on the user: two sends
// to one user at the same instant are judged one after the other, so
// together they never exceed a cap. The decision is kept under the send's
// key, so a retry gets the same answer and is never counted twice. A
// counted send counts against the caps of its channel and of AnyChannel
// until Per has passed since its At.
func (s *Store) AdmitSend(ctx context.Context, send CapSend) (bool, error) {
	ws, err := WorkspaceOf(ctx)
	if err != nil {
		return false, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("admit send: %w", err)
	}
	defer tx.Rollback()
	// Workspace ids cannot hold a slash, so ws/user names one user.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2 || '/' || $3))`, capLockClass, ws, send.UserID); err != nil {
		return false, fmt.Errorf("admit send: lock user: %w", err)
	}
	// An earlier decision on the same send, if any; else whether it fits:
	// it does unless one of the caps on its channel is full.
	const decide = `
	SELECT (SELECT counted FROM frequency_ledger WHERE workspace_id = $1 AND idempotency_key = $2) AS prior,
	NOT EXISTS (
		SELECT 1 FROM frequency_caps c
		WHERE c.workspace_id = $1 AND c.channel IN ($4, 'any')
		AND c.max_sends <= (
			SELECT count(*) FROM frequency_ledger l
			WHERE l.workspace_id = $1 AND l.user_id = $3 AND l.counted
			AND l.at > $5::timestamptz - make_interval(secs => c.per_seconds)
			AND (c.channel = 'any' OR l.channel = c.channel))) AS fits`
	var d struct {
		Prior sql.NullBool `db:"prior"`
		Fits  bool         `db:"fits"`
	}
	if err := tx.GetContext(ctx, &d, decide, ws, send.Key, send.UserID, send.Channel, send.At); err != nil {
		return false, fmt.Errorf("admit send: %w", err)
	}
	if d.Prior.Valid {
		return d.Prior.Bool, nil
	}
	// Recorded along with pruning the user's sends older than any window,
	// which count no more (a day's margin keeps decisions for retries).
	const record = `
	WITH pruned AS (DELETE FROM frequency_ledger WHERE workspace_id = $1 AND user_id = $3 AND at < $7)
	INSERT INTO frequency_ledger (workspace_id, idempotency_key, user_id, channel, at, counted)
	VALUES ($1, $2, $3, $4, $5, $6)`
	horizon := send.At.Add(-MaxCapWindow - 24*time.Hour)
	if _, err := tx.ExecContext(ctx, record, ws, send.Key, send.UserID, send.Channel, send.At, d.Fits, horizon); err != nil {
		return false, fmt.Errorf("admit send: record: %w", translate(err))
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("admit send: %w", err)
	}
	return d.Fits, nil
}
