package reporting

import (
	"context"
	"encoding/json"
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

// InsertEvent stores e unless an event with the same id is stored already;
// inserted tells which.
func (s *Store) InsertEvent(ctx context.Context, e Event) (inserted bool, err error) {
	const q = `
	INSERT INTO events (event_id, user_id, name, properties, occurred_at)
	VALUES ($1, $2, $3, $4, $5)
	ON CONFLICT (event_id) DO NOTHING`
	props := e.Properties
	if len(props) == 0 {
		props = json.RawMessage(`{}`)
	}
	res, err := s.db.ExecContext(ctx, q, e.EventID, e.UserID, e.Name, []byte(props), e.OccurredAt)
	if err != nil {
		return false, fmt.Errorf("insert event: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert event: %w", err)
	}
	return n == 1, nil
}
