package reporting

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Enrollment statuses.
const (
	StatusActive    = "active"
	StatusConverted = "converted"
	StatusExited    = "exited"
	StatusRemoved   = "removed"
	StatusFailed    = "failed"
)

// Enrollment is one run of a journey for one user.
type Enrollment struct {
	ID         int64      `db:"id" json:"-"`
	JourneyID  string     `db:"journey_id" json:"journey_id"`
	UserID     string     `db:"user_id" json:"user_id"`
	WorkflowID string     `db:"workflow_id" json:"workflow_id"`
	RunID      string     `db:"run_id" json:"run_id"`
	Status     string     `db:"status" json:"status"`
	ExitReason string     `db:"exit_reason" json:"exit_reason,omitempty"`
	EnrolledAt time.Time  `db:"enrolled_at" json:"enrolled_at"`
	EndedAt    *time.Time `db:"ended_at" json:"ended_at,omitempty"`
}

const enrollmentColumns = `id, journey_id, user_id, workflow_id, run_id, status, exit_reason, enrolled_at, ended_at`

// ClaimEnrollment returns the user's active enrollment in the journey,
// creating it when there is none. created tells which happened. Concurrent
// claims for the same journey and user all return the same row and exactly
// one of them reports created.
func (s *Store) ClaimEnrollment(ctx context.Context, journeyID, userID, workflowID string) (e Enrollment, created bool, err error) {
	const insert = `
	INSERT INTO enrollments (journey_id, user_id, workflow_id)
	VALUES ($1, $2, $3)
	ON CONFLICT (journey_id, user_id) WHERE status = 'active' DO NOTHING
	RETURNING ` + enrollmentColumns
	const active = `SELECT ` + enrollmentColumns + ` FROM enrollments
	WHERE journey_id = $1 AND user_id = $2 AND status = 'active'`

	// The active row that blocked the insert can end before we read it;
	// then the next insert goes through.
	for range 3 {
		err = s.db.GetContext(ctx, &e, insert, journeyID, userID, workflowID)
		if err == nil {
			return e, true, nil
		}
		if err = translate(err); !errors.Is(err, ErrNotFound) {
			return Enrollment{}, false, fmt.Errorf("insert enrollment: %w", err)
		}
		err = s.db.GetContext(ctx, &e, active, journeyID, userID)
		if err == nil {
			return e, false, nil
		}
		if err = translate(err); !errors.Is(err, ErrNotFound) {
			return Enrollment{}, false, fmt.Errorf("get active enrollment: %w", err)
		}
	}
	return Enrollment{}, false, errors.New("claim enrollment: the active enrollment kept changing")
}

// SetEnrollmentRun stores the Temporal run id of an enrollment, once.
func (s *Store) SetEnrollmentRun(ctx context.Context, id int64, runID string) error {
	const q = `UPDATE enrollments SET run_id = $2 WHERE id = $1 AND run_id = ''`
	if _, err := s.db.ExecContext(ctx, q, id, runID); err != nil {
		return fmt.Errorf("set enrollment run: %w", err)
	}
	return nil
}

// LatestEnrollment returns the user's most recent enrollment in the journey.
func (s *Store) LatestEnrollment(ctx context.Context, journeyID, userID string) (Enrollment, error) {
	const q = `SELECT ` + enrollmentColumns + ` FROM enrollments
	WHERE journey_id = $1 AND user_id = $2 ORDER BY id DESC LIMIT 1`
	var e Enrollment
	if err := s.db.GetContext(ctx, &e, q, journeyID, userID); err != nil {
		return Enrollment{}, fmt.Errorf("get enrollment: %w", translate(err))
	}
	return e, nil
}

// ActiveEnrollmentsForGoal returns the user's active enrollments in journeys whose
// goal is the named event.
func (s *Store) ActiveEnrollmentsForGoal(ctx context.Context, userID, event string) ([]Enrollment, error) {
	const q = `
	SELECT e.id, e.journey_id, e.user_id, e.workflow_id, e.run_id, e.status, e.exit_reason, e.enrolled_at, e.ended_at
	FROM enrollments e JOIN journeys j ON j.id = e.journey_id
	WHERE e.user_id = $1 AND e.status = 'active' AND j.goal_event = $2
	ORDER BY e.id`
	es := []Enrollment{}
	if err := s.db.SelectContext(ctx, &es, q, userID, event); err != nil {
		return nil, fmt.Errorf("list active enrollments: %w", err)
	}
	return es, nil
}

// EndEnrollment closes an active enrollment with its final status and
// records the matching entry in the log, in one transaction. Ending an
// enrollment that already ended changes nothing.
func (s *Store) EndEnrollment(ctx context.Context, id int64, status string, entry Entry) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("end enrollment: %w", err)
	}
	defer tx.Rollback()

	const q = `
	UPDATE enrollments SET status = $2, exit_reason = $3, ended_at = $4
	WHERE id = $1 AND status = 'active'`
	if _, err := tx.ExecContext(ctx, q, id, status, entry.Detail, entry.At); err != nil {
		return fmt.Errorf("end enrollment: %w", err)
	}
	if err := record(ctx, tx, entry); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("end enrollment: %w", err)
	}
	return nil
}
