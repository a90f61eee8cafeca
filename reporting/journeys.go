package reporting

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Journey is a journey as the panel defined it.
type Journey struct {
	ID        string          `db:"id" json:"id"`
	Name      string          `db:"name" json:"name"`
	Type      string          `db:"type" json:"type"`
	GoalEvent string          `db:"goal_event" json:"goal_event"`
	Config    json.RawMessage `db:"config" json:"config"`
	Status    string          `db:"status" json:"status"`
	CreatedAt time.Time       `db:"created_at" json:"created_at"`
	UpdatedAt time.Time       `db:"updated_at" json:"updated_at"`
}

// Journey statuses.
const (
	JourneyActive = "active"
)

const journeyColumns = `id, name, type, goal_event, config, status, created_at, updated_at`

// CreateJourney stores a new journey; an existing id is ErrDuplicate.
func (s *Store) CreateJourney(ctx context.Context, j Journey) (Journey, error) {
	const q = `
	INSERT INTO journeys (id, name, type, goal_event, config, status)
	VALUES ($1, $2, $3, $4, $5, $6)
	RETURNING ` + journeyColumns
	var out Journey
	err := s.db.GetContext(ctx, &out, q, j.ID, j.Name, j.Type, j.GoalEvent, []byte(j.Config), JourneyActive)
	if err != nil {
		return Journey{}, fmt.Errorf("insert journey: %w", translate(err))
	}
	return out, nil
}

// Journey returns the journey with the given id.
func (s *Store) Journey(ctx context.Context, id string) (Journey, error) {
	const q = `SELECT ` + journeyColumns + ` FROM journeys WHERE id = $1`
	var j Journey
	if err := s.db.GetContext(ctx, &j, q, id); err != nil {
		return Journey{}, fmt.Errorf("get journey: %w", translate(err))
	}
	return j, nil
}

// Journeys lists every journey, newest first.
func (s *Store) Journeys(ctx context.Context) ([]Journey, error) {
	const q = `SELECT ` + journeyColumns + ` FROM journeys ORDER BY created_at DESC, id`
	js := []Journey{}
	if err := s.db.SelectContext(ctx, &js, q); err != nil {
		return nil, fmt.Errorf("list journeys: %w", err)
	}
	return js, nil
}
