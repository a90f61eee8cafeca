package reporting

import (
	"context"
	"fmt"
	"time"
)

// Kinds of entries in the reporting log.
const (
	KindEnrolled  = "enrolled"
	KindSent      = "sent"
	KindSkipped   = "skipped"
	KindFailed    = "failed"
	KindConverted = "converted"
	KindExited    = "exited"
	// KindDeferred is a send the journey's send window put off.
	KindDeferred = "deferred"
	// KindVariant is the arm of a variant the run was assigned.
	KindVariant = "variant"
	// KindProfileUpdated is a step that set attributes on the profile.
	KindProfileUpdated = "profile_updated"
	// KindEvent is an event the run waited for: received, or timed out.
	KindEvent = "event"
	// KindNode is a node of a flow the run reached; its detail is the
	// node's type.
	KindNode = "node"
	// KindBranch is the way a run left a flow node: a condition's "then"
	// or "else", an awaited event that came ("event") or did not
	// ("timeout").
	KindBranch = "branch"
)

// Entry is one line of a run's story in the reporting log.
type Entry struct {
	EnrollmentID int64  `db:"enrollment_id" json:"-"`
	JourneyID    string `db:"journey_id" json:"-"`
	UserID       string `db:"user_id" json:"-"`
	Step         int    `db:"step" json:"step"`
	// StepID names the journey's step the entry is about; empty for the
	// run's start and end, and for runs of the first kit.
	StepID   string `db:"step_id" json:"step_id,omitempty"`
	Kind     string `db:"kind" json:"kind"`
	Channel  string `db:"channel" json:"channel,omitempty"`
	Template string `db:"template" json:"template,omitempty"`
	Detail   string `db:"detail" json:"detail,omitempty"`
	// Version is the journey config version the step ran under.
	Version int `db:"version" json:"version"`
	// Revenue is the goal event's revenue, on conversions that carry one.
	Revenue *float64  `db:"revenue" json:"revenue,omitempty"`
	At      time.Time `db:"at" json:"at"`
}

// insertEntry begins the statements that append an Entry to the log.
const insertEntry = `INSERT INTO journey_events (workspace_id, enrollment_id, journey_id, user_id, step, step_id, kind, channel, template, detail, version, revenue, at)`

// Record appends e to the log. Recording the same step and kind of the same
// enrollment again changes nothing, so retried activities record once. An
// enrollment of another workspace records nothing.
func (s *Store) Record(ctx context.Context, e Entry) error {
	ws, err := scope(ctx, "record "+e.Kind)
	if err != nil {
		return err
	}
	const q = insertEntry + `
	SELECT $13, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12
	WHERE EXISTS (SELECT 1 FROM enrollments WHERE id = $1 AND workspace_id = $13)
	ON CONFLICT (enrollment_id, step, kind) DO NOTHING`
	version := max(e.Version, 1)
	_, err = s.db.ExecContext(ctx, q, e.EnrollmentID, e.JourneyID, e.UserID, e.Step, e.StepID, e.Kind, e.Channel, e.Template, e.Detail, version, e.Revenue, e.At, ws)
	if err != nil {
		return fmt.Errorf("record %s: %w", e.Kind, err)
	}
	return nil
}

// Timeline returns the log of one enrollment in the order it happened.
func (s *Store) Timeline(ctx context.Context, enrollmentID int64) ([]Entry, error) {
	ws, err := scope(ctx, "get timeline")
	if err != nil {
		return nil, err
	}
	const q = `
	SELECT enrollment_id, journey_id, user_id, step, step_id, kind, channel, template, detail, version, revenue, at
	FROM journey_events WHERE enrollment_id = $1 AND workspace_id = $2 ORDER BY at, id`
	es := []Entry{}
	if err := s.db.SelectContext(ctx, &es, q, enrollmentID, ws); err != nil {
		return nil, fmt.Errorf("get timeline: %w", err)
	}
	return es, nil
}
