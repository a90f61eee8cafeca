package reporting

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lib/pq"
)

// Event is something a user did, as the app reported it.
type Event struct {
	EventID    string          `db:"event_id" json:"event_id"`
	UserID     string          `db:"user_id" json:"user_id"`
	Name       string          `db:"name" json:"name"`
	Properties json.RawMessage `db:"properties" json:"properties,omitempty"`
	OccurredAt time.Time       `db:"occurred_at" json:"occurred_at"`
	// Delivered is true once the event is brought to the runs it
	// concerns (see InsertEvent).
	Delivered bool `db:"delivered" json:"-"`
}

// MatchValue returns the value of property key in an event's properties
// the way correlation keys compare it (see Journey.Match): strings as they
// are, numbers in their shortest form, anything else as JSON, and "" when
// the event does not carry it.
func MatchValue(props map[string]any, key string) string {
	switch v := props[key].(type) {
	case string:
		return v
	case nil:
		return ""
	case json.Number:
		return v.String()
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
}

// Routed is an event as stored, with where it goes: the active runs it
// concerns (see ActiveEnrollmentsForEvent) and the active journeys it is
// the entry event of.
type Routed struct {
	Event Event
	// Inserted is false when an event with the same id was stored before:
	// Event, Runs and Journeys are then that event's.
	Inserted bool
	Runs     []Enrollment
	Journeys []Journey
}

// IngestEvent stores e unless an event with the same id is stored
// already, and routes the stored event, in one statement: a round trip to
// Postgres, and one backend's work, where storing and the two lookups
// would take three. A new event is stored as not delivered to its runs
// yet: EventsDelivered marks it delivered, and until then
// ClaimUndeliveredEvents takes it once redeliverAfter has passed.
func (s *Store) IngestEvent(ctx context.Context, e Event, redeliverAfter time.Duration) (Routed, error) {
	ws, err := scope(ctx, "ingest event")
	if err != nil {
		return Routed{}, err
	}
	// ev is the event as stored: inserted now, or stored before (the
	// statement's snapshot does not see its own insert, so at most one
	// branch has a row).
	const q = `
	WITH stored AS (
		INSERT INTO events (workspace_id, event_id, user_id, name, properties, occurred_at)
		VALUES ($6, $1, $2, $3, $4, $5)
		ON CONFLICT (workspace_id, event_id) DO NOTHING
		RETURNING workspace_id, event_id, user_id, name, properties, occurred_at
	), undelivered AS (
		INSERT INTO event_deliveries (workspace_id, event_id, deliver_by)
		SELECT workspace_id, event_id, now() + make_interval(secs => $7) FROM stored
	), ev AS (
		SELECT workspace_id, event_id, user_id, name, properties, occurred_at, true AS inserted, false AS delivered FROM stored
		UNION ALL
		SELECT e.workspace_id, e.event_id, e.user_id, e.name, e.properties, e.occurred_at, false, NOT EXISTS (
			SELECT 1 FROM event_deliveries d WHERE d.workspace_id = e.workspace_id AND d.event_id = e.event_id
		)
		FROM events e WHERE e.workspace_id = $6 AND e.event_id = $1
	)
	SELECT event_id, user_id, name, properties, occurred_at, delivered, inserted,
		(SELECT coalesce(json_agg(r ORDER BY r.id), '[]') FROM (` + routedRuns + `) r) AS runs,
		(SELECT coalesce(json_agg(j ORDER BY j.id), '[]') FROM (
			SELECT ` + journeyColumns + ` FROM journeys
			WHERE workspace_id = ev.workspace_id AND entry_event = ev.name AND status = 'active'
		) j) AS journeys
	FROM ev`
	props := e.Properties
	if len(props) == 0 {
		props = json.RawMessage(`{}`)
	}
	var row struct {
		Event
		Inserted bool   `db:"inserted"`
		Runs     []byte `db:"runs"`
		Journeys []byte `db:"journeys"`
	}
	// An insert of the same id by another request, not committed when the
	// statement began, is neither inserted nor seen; asked again, it is.
	for range 2 {
		err = s.db.GetContext(ctx, &row, q, e.EventID, e.UserID, e.Name, []byte(props), e.OccurredAt, ws, redeliverAfter.Seconds())
		if !errors.Is(err, sql.ErrNoRows) {
			break
		}
	}
	if err != nil {
		return Routed{}, fmt.Errorf("ingest event: %w", err)
	}
	runs, err := scanJSON[routedRun](s.db.Mapper, row.Runs)
	if err != nil {
		return Routed{}, fmt.Errorf("ingest event: runs: %w", err)
	}
	journeys, err := scanJSON[Journey](s.db.Mapper, row.Journeys)
	if err != nil {
		return Routed{}, fmt.Errorf("ingest event: journeys: %w", err)
	}
	matched, err := matching(runs, row.Event)
	if err != nil {
		return Routed{}, err
	}
	return Routed{Event: row.Event, Inserted: row.Inserted, Runs: matched, Journeys: journeys}, nil
}

// EventKey names a stored event of any workspace.
type EventKey struct {
	Workspace string `db:"workspace_id"`
	EventID   string `db:"event_id"`
}

// UndeliveredEvent is an event whose delivery to its runs is overdue.
type UndeliveredEvent struct {
	Event
	Workspace  string    `db:"workspace_id"`
	ReceivedAt time.Time `db:"received_at"`
	// Attempts counts the claims that took it, this one included.
	Attempts int `db:"attempts"`
}

// EventsDelivered marks events, of any workspace, as brought to their runs.
func (s *Store) EventsDelivered(ctx context.Context, keys []EventKey) error {
	if len(keys) == 0 {
		return nil
	}
	workspaces, ids := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		workspaces[i], ids[i] = k.Workspace, k.EventID
	}
	const q = `
	DELETE FROM event_deliveries d
	USING unnest($1::text[], $2::text[]) AS k (workspace_id, event_id)
	WHERE d.workspace_id = k.workspace_id AND d.event_id = k.event_id`
	if _, err := s.db.ExecContext(ctx, q, pq.Array(workspaces), pq.Array(ids)); err != nil {
		return fmt.Errorf("mark events delivered: %w", err)
	}
	return nil
}

// ClaimUndeliveredEvents takes up to limit events, of any workspace, that
// are not delivered and whose time to be is past (see InsertEvent), and
// counts the attempt. It moves that time ahead by lease, doubled for each
// earlier attempt up to maxLease: no other claim takes them meanwhile, and
// those the claimer does not mark delivered are taken again after it, less
// often the longer Temporal refuses them. They come in the order they were
// received.
func (s *Store) ClaimUndeliveredEvents(ctx context.Context, lease, maxLease time.Duration, limit int) ([]UndeliveredEvent, error) {
	const q = `
	WITH claimed AS (
		UPDATE event_deliveries d SET attempts = d.attempts + 1,
			deliver_by = now() + least(make_interval(secs => $1 * power(2, least(d.attempts, 30))), make_interval(secs => $2))
		FROM (
			SELECT workspace_id, event_id FROM event_deliveries
			WHERE deliver_by <= now()
			ORDER BY deliver_by LIMIT $3
			FOR UPDATE SKIP LOCKED
		) due
		WHERE d.workspace_id = due.workspace_id AND d.event_id = due.event_id
		RETURNING d.workspace_id, d.event_id, d.attempts
	)
	SELECT e.workspace_id, e.event_id, e.user_id, e.name, e.properties, e.occurred_at, e.received_at, c.attempts
	FROM claimed c JOIN events e USING (workspace_id, event_id)`
	var out []UndeliveredEvent
	if err := s.db.SelectContext(ctx, &out, q, lease.Seconds(), maxLease.Seconds(), limit); err != nil {
		return nil, fmt.Errorf("claim undelivered events: %w", err)
	}
	slices.SortFunc(out, func(a, b UndeliveredEvent) int {
		return cmp.Or(a.ReceivedAt.Compare(b.ReceivedAt), cmp.Compare(a.EventID, b.EventID))
	})
	return out, nil
}

// EventNotDelivered records why a claimed event could not be brought to its
// runs. With giveUp no claim takes it again: it stays listed, with the
// reason and when it was given up, until it is sent again (see
// InsertEvent) or the row is put back in the sweep's way by hand.
func (s *Store) EventNotDelivered(ctx context.Context, k EventKey, reason string, giveUp bool) error {
	const q = `
	UPDATE event_deliveries SET last_error = $3,
		gave_up_at = CASE WHEN $4 THEN now() END,
		deliver_by = CASE WHEN $4 THEN 'infinity' ELSE deliver_by END
	WHERE workspace_id = $1 AND event_id = $2`
	if _, err := s.db.ExecContext(ctx, q, k.Workspace, k.EventID, reason, giveUp); err != nil {
		return fmt.Errorf("record undelivered event: %w", err)
	}
	return nil
}

// EntryOutcome is what an entry event did to a journey.
type EntryOutcome struct {
	JourneyID string `db:"journey_id"`
	Outcome   string `db:"outcome"`
	Reason    string `db:"reason"`
}

// Entries returns what the event did to the journeys it entered, by
// journey id.
func (s *Store) Entries(ctx context.Context, eventID string) (map[string]EntryOutcome, error) {
	ws, err := scope(ctx, "list entries")
	if err != nil {
		return nil, err
	}
	const q = `SELECT journey_id, outcome, reason FROM entries WHERE workspace_id = $2 AND event_id = $1`
	var rows []EntryOutcome
	if err := s.db.SelectContext(ctx, &rows, q, eventID, ws); err != nil {
		return nil, fmt.Errorf("list entries: %w", err)
	}
	out := make(map[string]EntryOutcome, len(rows))
	for _, r := range rows {
		out[r.JourneyID] = r
	}
	return out, nil
}
