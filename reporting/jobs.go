package reporting

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Job kinds.
const (
	JobImport = "import"
	JobStop   = "stop"
	JobResume = "resume"
)

// Job statuses.
const (
	JobRunning   = "running"
	JobCompleted = "completed"
	JobFailed    = "failed"
)

// Job is a background job over a journey's audience and its progress.
type Job struct {
	ID              string `db:"id" json:"id"`
	Kind            string `db:"kind" json:"kind"`
	JourneyID       string `db:"journey_id" json:"journey_id"`
	Status          string `db:"status" json:"status"`
	Total           int    `db:"total" json:"total"`
	Processed       int    `db:"processed" json:"processed"`
	Enrolled        int    `db:"enrolled" json:"enrolled"`
	AlreadyEnrolled int    `db:"already_enrolled" json:"already_enrolled"`
	NotEligible     int    `db:"not_eligible" json:"not_eligible"`
	Invalid         int    `db:"invalid" json:"invalid"`
	Error           string `db:"error" json:"error,omitempty"`
	// LastError is what the running job is retrying after, set while a
	// step fails and cleared once it makes progress again.
	LastError   string     `db:"last_error" json:"last_error,omitempty"`
	LastErrorAt *time.Time `db:"last_error_at" json:"last_error_at,omitempty"`
	CreatedAt   time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time  `db:"updated_at" json:"updated_at"`
}

const jobColumns = `id, kind, journey_id, status, total, processed, enrolled, already_enrolled, not_eligible, invalid, error, last_error, last_error_at, created_at, updated_at`

// CreateJob stores a new running job.
func (s *Store) CreateJob(ctx context.Context, j Job) (Job, error) {
	ws, err := scope(ctx, "insert job")
	if err != nil {
		return Job{}, err
	}
	const q = `
	INSERT INTO jobs (id, kind, journey_id, total, workspace_id) VALUES ($1, $2, $3, $4, $5)
	RETURNING ` + jobColumns
	var out Job
	if err := s.db.GetContext(ctx, &out, q, j.ID, j.Kind, j.JourneyID, j.Total, ws); err != nil {
		return Job{}, fmt.Errorf("insert job: %w", translate(err))
	}
	return out, nil
}

// Job returns the job with the given id.
func (s *Store) Job(ctx context.Context, id string) (Job, error) {
	ws, err := scope(ctx, "get job")
	if err != nil {
		return Job{}, err
	}
	const q = `SELECT ` + jobColumns + ` FROM jobs WHERE workspace_id = $2 AND id = $1`
	var j Job
	if err := s.db.GetContext(ctx, &j, q, id, ws); err != nil {
		return Job{}, fmt.Errorf("get job: %w", translate(err))
	}
	return j, nil
}

// Progress is what one step of a job did.
type Progress struct {
	Processed, Enrolled, AlreadyEnrolled, NotEligible, Invalid int
}

// AddProgress adds p to the job's counters and clears its last error.
func (s *Store) AddProgress(ctx context.Context, jobID string, p Progress) error {
	ws, err := scope(ctx, "update job progress")
	if err != nil {
		return err
	}
	return addProgress(ctx, s.db, ws, jobID, p)
}

func addProgress(ctx context.Context, db sqlx.ExecerContext, ws, jobID string, p Progress) error {
	const q = `
	UPDATE jobs SET processed = processed + $2, enrolled = enrolled + $3,
		already_enrolled = already_enrolled + $4, not_eligible = not_eligible + $5,
		invalid = invalid + $6, last_error = '', last_error_at = NULL, updated_at = now()
	WHERE workspace_id = $7 AND id = $1`
	_, err := db.ExecContext(ctx, q, jobID, p.Processed, p.Enrolled, p.AlreadyEnrolled, p.NotEligible, p.Invalid, ws)
	if err != nil {
		return fmt.Errorf("update job progress: %w", err)
	}
	return nil
}

// JobCursor returns where the job's last recorded page ended: 0 before
// its first.
func (s *Store) JobCursor(ctx context.Context, jobID string) (int64, error) {
	ws, err := scope(ctx, "read job cursor")
	if err != nil {
		return 0, err
	}
	var cursor int64
	err = s.db.GetContext(ctx, &cursor, `SELECT cursor FROM jobs WHERE workspace_id = $2 AND id = $1`, jobID, ws)
	if err != nil {
		return 0, fmt.Errorf("read job cursor: %w", translate(err))
	}
	return cursor, nil
}

// AddPageProgress adds p to the job's counters for its page of ids from
// after to last, once: a page recorded before, by an attempt whose answer
// was lost, changes nothing.
func (s *Store) AddPageProgress(ctx context.Context, jobID string, after, last int64, p Progress) error {
	ws, err := scope(ctx, "update job progress")
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update job progress: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE jobs SET cursor = $3 WHERE workspace_id = $4 AND id = $1 AND cursor = $2`, jobID, after, last, ws)
	if err != nil {
		return fmt.Errorf("update job progress: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	if err := addProgress(ctx, tx, ws, jobID, p); err != nil {
		return err
	}
	return tx.Commit()
}

// NoteJobError records errText as what the running job is retrying after,
// for GET /v1/jobs/{id} to show until the job makes progress again.
func (s *Store) NoteJobError(ctx context.Context, jobID, errText string) error {
	ws, err := scope(ctx, "note job error")
	if err != nil {
		return err
	}
	const q = `UPDATE jobs SET last_error = $2, last_error_at = now() WHERE workspace_id = $3 AND id = $1 AND status = 'running'`
	if _, err := s.db.ExecContext(ctx, q, jobID, errText, ws); err != nil {
		return fmt.Errorf("note job error: %w", err)
	}
	return nil
}

// FinishJob sets the job's final status, and its error when it failed.
func (s *Store) FinishJob(ctx context.Context, jobID, status, errText string) error {
	ws, err := scope(ctx, "finish job")
	if err != nil {
		return err
	}
	const q = `UPDATE jobs SET status = $2, error = $3, updated_at = now() WHERE workspace_id = $4 AND id = $1 AND status = 'running'`
	if _, err := s.db.ExecContext(ctx, q, jobID, status, errText, ws); err != nil {
		return fmt.Errorf("finish job: %w", err)
	}
	return nil
}

// ImportRow is one line of an audience file.
type ImportRow struct {
	Line   int    `db:"line"`
	UserID string `db:"user_id"`
	// Profile is the JSON of the User fields the row sets; nil when the
	// file has no column but user_id.
	Profile json.RawMessage `db:"profile"`
	// Outcome is what processing the row did: enrolled, already_enrolled,
	// not_eligible or invalid; empty until then.
	Outcome string `db:"outcome"`
}

// importBatch is how many rows one COPY of an import stores.
const importBatch = 10000

// CreateImport stores an import job with its audience file's rows, in one
// transaction. The rows are copied in batches as rows yields them, so the
// file is never held in memory. Rows that arrive with an outcome (invalid
// ones) count as processed already. An error from rows rolls everything
// back and is returned as it is.
func (s *Store) CreateImport(ctx context.Context, job Job, rows iter.Seq2[ImportRow, error]) (Job, error) {
	ws, err := scope(ctx, "create import")
	if err != nil {
		return Job{}, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Job{}, fmt.Errorf("create import: %w", err)
	}
	defer tx.Rollback()

	const insert = `INSERT INTO jobs (id, kind, journey_id, workspace_id) VALUES ($1, 'import', $2, $3)`
	if _, err := tx.ExecContext(ctx, insert, job.ID, job.JourneyID, ws); err != nil {
		return Job{}, fmt.Errorf("insert job: %w", translate(err))
	}
	var total, invalid int
	var stmt *sql.Stmt // the open COPY, if any
	defer func() {
		if stmt != nil {
			stmt.Close()
		}
	}()
	for r, err := range rows {
		if err != nil {
			return Job{}, err
		}
		if stmt == nil {
			stmt, err = tx.PrepareContext(ctx, `COPY import_rows (job_id, line, user_id, profile, outcome) FROM STDIN`)
			if err != nil {
				return Job{}, fmt.Errorf("store import rows: %w", err)
			}
		}
		var profile any
		if len(r.Profile) > 0 {
			profile = string(r.Profile)
		}
		if _, err := stmt.ExecContext(ctx, job.ID, r.Line, r.UserID, profile, r.Outcome); err != nil {
			return Job{}, fmt.Errorf("store import row %d: %w", r.Line, err)
		}
		total++
		if r.Outcome != "" {
			invalid++
		}
		if total%importBatch == 0 {
			err := endCopy(ctx, stmt)
			stmt = nil
			if err != nil {
				return Job{}, fmt.Errorf("store import rows up to line %d: %w", r.Line, err)
			}
		}
	}
	if stmt != nil {
		err := endCopy(ctx, stmt)
		stmt = nil
		if err != nil {
			return Job{}, fmt.Errorf("store import rows: %w", err)
		}
	}
	const count = `
	UPDATE jobs SET total = $2, processed = $3, invalid = $3 WHERE id = $1
	RETURNING ` + jobColumns
	var out Job
	if err := tx.GetContext(ctx, &out, count, job.ID, total, invalid); err != nil {
		return Job{}, fmt.Errorf("count import rows: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Job{}, fmt.Errorf("create import: %w", err)
	}
	return out, nil
}

// endCopy sends the rows a COPY holds and ends it; Postgres reports what
// it refused only then.
func endCopy(ctx context.Context, stmt *sql.Stmt) error {
	_, err := stmt.ExecContext(ctx)
	if cerr := stmt.Close(); err == nil {
		err = cerr
	}
	return err
}

// PendingImportRows returns up to limit rows of the job not processed yet,
// in file order.
func (s *Store) PendingImportRows(ctx context.Context, jobID string, limit int) ([]ImportRow, error) {
	ws, err := scope(ctx, "list import rows")
	if err != nil {
		return nil, err
	}
	const q = `SELECT line, user_id, profile, outcome FROM import_rows
	WHERE job_id = $1 AND outcome = '' AND EXISTS (SELECT 1 FROM jobs WHERE workspace_id = $3 AND id = $1)
	ORDER BY line LIMIT $2`
	rows, err := s.db.QueryContext(ctx, q, jobID, limit, ws)
	if err != nil {
		return nil, fmt.Errorf("list import rows: %w", err)
	}
	defer rows.Close()
	out := []ImportRow{}
	for rows.Next() {
		var r ImportRow
		// A []byte, not Profile itself: a file of user ids alone stores
		// NULL, which a json.RawMessage cannot be scanned from.
		var profile []byte
		if err := rows.Scan(&r.Line, &r.UserID, &profile, &r.Outcome); err != nil {
			return nil, fmt.Errorf("list import rows: %w", err)
		}
		r.Profile = profile
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list import rows: %w", err)
	}
	return out, nil
}

// CompleteImportRows records the outcome of processed rows and adds them to
// the job's progress, in one transaction. Rows done already are not counted
// again, so a page processed twice after a crash counts once.
func (s *Store) CompleteImportRows(ctx context.Context, jobID string, rows []ImportRow) (Progress, error) {
	ws, err := scope(ctx, "complete import rows")
	if err != nil {
		return Progress{}, err
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Progress{}, fmt.Errorf("complete import rows: %w", err)
	}
	defer tx.Rollback()

	lines := make(pq.Int64Array, len(rows))
	outcomes := make(pq.StringArray, len(rows))
	for i, r := range rows {
		lines[i], outcomes[i] = int64(r.Line), r.Outcome
	}
	const q = `
	UPDATE import_rows r SET outcome = u.outcome
	FROM unnest($2::int[], $3::text[]) AS u(line, outcome)
	WHERE r.job_id = $1 AND r.line = u.line AND r.outcome = ''
	  AND EXISTS (SELECT 1 FROM jobs WHERE workspace_id = $4 AND id = $1)
	RETURNING u.outcome`
	var done []string
	if err := tx.SelectContext(ctx, &done, q, jobID, lines, outcomes, ws); err != nil {
		return Progress{}, fmt.Errorf("complete import rows: %w", err)
	}
	var p Progress
	for _, o := range done {
		p.Processed++
		switch o {
		case "enrolled":
			p.Enrolled++
		case "already_enrolled":
			p.AlreadyEnrolled++
		case "not_eligible":
			p.NotEligible++
		default:
			p.Invalid++
		}
	}
	if err := addProgress(ctx, tx, ws, jobID, p); err != nil {
		return Progress{}, err
	}
	return p, tx.Commit()
}

// Entry outcomes of an event trigger.
const (
	EntryEnrolled        = "enrolled"
	EntryAlreadyEnrolled = "already_enrolled"
	EntryNotEligible     = "not_eligible"
	// EntryInvalid is a batch or import row whose user id is not valid.
	EntryInvalid = "invalid"
)

// EnrollOutcome names what an attempt to enroll did: enrolled when it
// created the enrollment, already_enrolled when it found the active one,
// not_eligible with the reason when the re-entry rule or the journey's
// status refused it. Any other error is returned.
func EnrollOutcome(created bool, err error) (outcome, reason string, _ error) {
	var notEligible *NotEligibleError
	var notActive *NotActiveError
	switch {
	case errors.As(err, &notEligible), errors.As(err, &notActive):
		return EntryNotEligible, err.Error(), nil
	case err != nil:
		return "", "", err
	case created:
		return EntryEnrolled, "", nil
	}
	return EntryAlreadyEnrolled, "", nil
}

// RecordEntry notes what an entry event did to a journey, once per event
// and journey.
func (s *Store) RecordEntry(ctx context.Context, eventID, journeyID, userID, outcome, reason string) error {
	ws, err := scope(ctx, "record entry")
	if err != nil {
		return err
	}
	const q = `
	INSERT INTO entries (workspace_id, event_id, journey_id, user_id, outcome, reason) VALUES ($6, $1, $2, $3, $4, $5)
	ON CONFLICT (workspace_id, event_id, journey_id) DO NOTHING`
	if _, err := s.db.ExecContext(ctx, q, eventID, journeyID, userID, outcome, reason, ws); err != nil {
		return fmt.Errorf("record entry: %w", err)
	}
	return nil
}
