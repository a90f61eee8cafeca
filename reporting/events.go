package reporting

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Event is something a user did, as the app reported it.
type Event struct {
	EventID    string          `db:"event_id" json:"event_id"`
	UserID     string          `db:"user_id" json:"user_id"`
	Name       string          `db:"name" json:"name"`
	Properties json.RawMessage `db:"properties" json:"properties,omitempty"`
	OccurredAt time.Time       `db:"occurred_at" json:"occurred_at"`
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

// InsertEvent stores e unless an event with the same id is stored already,
// and returns the stored event; inserted tells which happened.
func (s *Store) InsertEvent(ctx context.Context, e Event) (stored Event, inserted bool, err error) {
	ws, err := scope(ctx, "insert event")
	if err != nil {
		return Event{}, false, err
	}
	const insert = `
	INSERT INTO events (workspace_id, event_id, user_id, name, properties, occurred_at)
	VALUES ($6, $1, $2, $3, $4, $5)
	ON CONFLICT (workspace_id, event_id) DO NOTHING
	RETURNING event_id, user_id, name, properties, occurred_at`
	const get = `SELECT event_id, user_id, name, properties, occurred_at FROM events WHERE workspace_id = $2 AND event_id = $1`
	props := e.Properties
	if len(props) == 0 {
		props = json.RawMessage(`{}`)
	}
	err = s.db.GetContext(ctx, &stored, insert, e.EventID, e.UserID, e.Name, []byte(props), e.OccurredAt, ws)
	if err == nil {
		return stored, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Event{}, false, fmt.Errorf("insert event: %w", err)
	}
	if err := s.db.GetContext(ctx, &stored, get, e.EventID, ws); err != nil {
		return Event{}, false, fmt.Errorf("get event: %w", err)
	}
	return stored, false, nil
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
