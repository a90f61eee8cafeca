package reporting

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Journey is a journey as the panel defined it.
type Journey struct {
	ID        string `db:"id" json:"id"`
	Name      string `db:"name" json:"name"`
	Type      string `db:"type" json:"type"`
	GoalEvent string `db:"goal_event" json:"goal_event"`
	// EntryEvent, when set, enrolls a user into the journey each time the
	// user does it, subject to Reentry.
	EntryEvent string `db:"entry_event" json:"entry_event"`
	// ExitEvents end a user's run with the event's name as the reason.
	ExitEvents pq.StringArray `db:"exit_events" json:"exit_events"`
	// ConversionWindow is how long after a send a goal still counts as that
	// send's conversion, as a Go duration; empty means no window.
	ConversionWindow string `db:"conversion_window" json:"conversion_window"`
	// Reentry is when a user may enter again: never, after_exit, or a
	// cool-down duration after the last run ended.
	Reentry string `db:"reentry" json:"reentry"`
	// HoldoutPercent is the share of enrollments kept as a control group
	// that waits but receives nothing.
	HoldoutPercent int `db:"holdout_percent" json:"holdout_percent"`
	// SendWindow holds sends to waking hours in each user's time zone;
	// nil leaves it to the journey type (see workflows.Plan).
	SendWindow *SendWindow `db:"send_window" json:"send_window"`
	// Transactional exempts the journey's sends from frequency caps.
	Transactional bool `db:"transactional" json:"transactional"`
	// Match names the property of the entry event that correlates later
	// events with a run, such as cart_id: a goal or awaited event reaches
	// the run only with the same value.
	Match string `db:"match_property" json:"match"`
	// ListenedEvents are the events the journey's runs wait for besides
	// the goal and exits, as its config says; events reach only the runs
	// of journeys that listen for them.
	ListenedEvents pq.StringArray  `db:"listened_events" json:"listened_events"`
	Config         json.RawMessage `db:"config" json:"config"`
	Version        int             `db:"version" json:"version"`
	Status         string          `db:"status" json:"status"`
	CreatedAt      time.Time       `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time       `db:"updated_at" json:"updated_at"`
}

// Journey statuses.
const (
	JourneyActive  = "active"
	JourneyPaused  = "paused"
	JourneyStopped = "stopped"
)

// Re-entry rules other than a cool-down duration.
const (
	ReentryNever     = "never"
	ReentryAfterExit = "after_exit"
)

const journeyColumns = `id, name, type, goal_event, entry_event, exit_events, conversion_window, reentry,
	holdout_percent, send_window, transactional, match_property, listened_events, config, version, status, created_at, updated_at`

// CreateJourney stores a new journey as version 1; an existing id is
// ErrDuplicate.
func (s *Store) CreateJourney(ctx context.Context, j Journey) (Journey, error) {
	ws, err := scope(ctx, "insert journey")
	if err != nil {
		return Journey{}, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Journey{}, fmt.Errorf("insert journey: %w", err)
	}
	defer tx.Rollback()

	const q = `
	INSERT INTO journeys (id, name, type, goal_event, entry_event, exit_events, conversion_window, reentry, config, holdout_percent,
		send_window, transactional, match_property, listened_events, status, workspace_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'active', $15)
	RETURNING ` + journeyColumns
	if j.ExitEvents == nil {
		j.ExitEvents = pq.StringArray{}
	}
	if j.ListenedEvents == nil {
		j.ListenedEvents = pq.StringArray{}
	}
	if j.Reentry == "" {
		j.Reentry = ReentryAfterExit
	}
	var out Journey
	err = tx.GetContext(ctx, &out, q, j.ID, j.Name, j.Type, j.GoalEvent, j.EntryEvent, j.ExitEvents,
		j.ConversionWindow, j.Reentry, []byte(j.Config), j.HoldoutPercent, j.SendWindow, j.Transactional, j.Match, j.ListenedEvents, ws)
	if err != nil {
		return Journey{}, fmt.Errorf("insert journey: %w", translate(err))
	}
	const version = `INSERT INTO journey_versions (workspace_id, journey_id, version, config) VALUES ($3, $1, 1, $2)`
	if _, err := tx.ExecContext(ctx, version, out.ID, []byte(out.Config), ws); err != nil {
		return Journey{}, fmt.Errorf("insert journey version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Journey{}, fmt.Errorf("insert journey: %w", err)
	}
	return out, nil
}

// JourneyUpdate is a change to a journey; nil fields stay as they are.
type JourneyUpdate struct {
	Name   *string
	Status *string
	// Config, when set, becomes the next version; runs apply it to the
	// steps they have not reached. ListenedEvents come with it.
	Config         json.RawMessage
	ListenedEvents pq.StringArray
	// SendWindow replaces the send window when SetSendWindow is true (nil
	// removes it). The controls apply to runs that start after the change.
	SetSendWindow bool
	SendWindow    *SendWindow
	Transactional *bool
	Match         *string
}

// UpdateJourney applies u and returns the journey as it now is.
func (s *Store) UpdateJourney(ctx context.Context, id string, u JourneyUpdate) (Journey, error) {
	ws, err := scope(ctx, "update journey")
	if err != nil {
		return Journey{}, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Journey{}, fmt.Errorf("update journey: %w", err)
	}
	defer tx.Rollback()

	const q = `
	UPDATE journeys SET
		name = COALESCE($2, name),
		status = COALESCE($3, status),
		config = COALESCE($4, config),
		version = version + CASE WHEN $4::jsonb IS NULL THEN 0 ELSE 1 END,
		listened_events = CASE WHEN $4::jsonb IS NULL THEN listened_events ELSE COALESCE($5::text[], '{}') END,
		send_window = CASE WHEN $6 THEN $7::jsonb ELSE send_window END,
		transactional = COALESCE($8, transactional),
		match_property = COALESCE($9, match_property),
		updated_at = now()
	WHERE workspace_id = $10 AND id = $1
	RETURNING ` + journeyColumns
	var config []byte
	if u.Config != nil {
		config = u.Config
	}
	var out Journey
	err = tx.GetContext(ctx, &out, q, id, u.Name, u.Status, config, u.ListenedEvents, u.SetSendWindow, u.SendWindow, u.Transactional, u.Match, ws)
	if err != nil {
		return Journey{}, fmt.Errorf("update journey: %w", translate(err))
	}
	if u.Config != nil {
		const version = `INSERT INTO journey_versions (workspace_id, journey_id, version, config) VALUES ($4, $1, $2, $3)`
		if _, err := tx.ExecContext(ctx, version, out.ID, out.Version, config, ws); err != nil {
			return Journey{}, fmt.Errorf("insert journey version: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return Journey{}, fmt.Errorf("update journey: %w", err)
	}
	return out, nil
}

// Journey returns the journey with the given id.
func (s *Store) Journey(ctx context.Context, id string) (Journey, error) {
	ws, err := scope(ctx, "get journey")
	if err != nil {
		return Journey{}, err
	}
	const q = `SELECT ` + journeyColumns + ` FROM journeys WHERE workspace_id = $2 AND id = $1`
	var j Journey
	if err := s.db.GetContext(ctx, &j, q, id, ws); err != nil {
		return Journey{}, fmt.Errorf("get journey: %w", translate(err))
	}
	return j, nil
}

// Journeys lists every journey, newest first.
func (s *Store) Journeys(ctx context.Context) ([]Journey, error) {
	ws, err := scope(ctx, "list journeys")
	if err != nil {
		return nil, err
	}
	const q = `SELECT ` + journeyColumns + ` FROM journeys WHERE workspace_id = $1 ORDER BY created_at DESC, id`
	js := []Journey{}
	if err := s.db.SelectContext(ctx, &js, q, ws); err != nil {
		return nil, fmt.Errorf("list journeys: %w", err)
	}
	return js, nil
}
