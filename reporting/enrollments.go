package reporting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
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
	Source     string     `db:"source" json:"source"`
	// Holdout puts the run in the journey's control group: it waits but
	// receives nothing. See InHoldout.
	Holdout bool `db:"holdout" json:"holdout"`
	// FirstStepAt is when Temporal gives a run whose journey starts with a
	// wait its first task; before then only a signal-with-start wakes it.
	FirstStepAt *time.Time `db:"first_step_at" json:"-"`
	// MatchProperty and MatchValue correlate events with the run: the
	// journey's match property when the run started and the entry event's
	// value of it; empty for runs every event of their user reaches.
	MatchProperty string `db:"match_property" json:"-"`
	MatchValue    string `db:"match_value" json:"-"`
	// Workspace is the workspace the run belongs to.
	Workspace string `db:"workspace_id" json:"-"`
}

const enrollmentColumns = `id, journey_id, user_id, workflow_id, run_id, status, exit_reason, enrolled_at, ended_at, source, holdout, first_step_at,
	match_property, match_value, workspace_id`

// Claim asks for a user's enrollment in a journey.
type Claim struct {
	Journey    Journey
	UserID     string
	WorkflowID string
	// Source says where the enrollment came from: api, event:<id> or
	// import:<job id>.
	Source string
	// Detail is what the log's enrolled entry says, such as the event that
	// entered the user.
	Detail string
	// MatchValue is the entry event's value of the journey's match
	// property (see Journey.Match), or "".
	MatchValue string
}

// NotEligibleError is a claim the journey's re-entry rule refuses.
type NotEligibleError struct {
	Rule string
}

func (e *NotEligibleError) Error() string {
	switch e.Rule {
	case ReentryNever:
		return `the journey's re-entry rule is "never" and the user has been enrolled before`
	case ReentryAfterExit:
		return `the journey's re-entry rule is "after_exit" and the user's run has not ended`
	}
	return fmt.Sprintf("the journey's re-entry rule is a cool-down of %s and the user's last run ended less than that ago", e.Rule)
}

// NotActiveError is an enrollment into a paused or stopped journey.
type NotActiveError struct {
	JourneyID, Status string
}

func (e *NotActiveError) Error() string {
	return fmt.Sprintf("journey %s is %s and takes no new enrollments", e.JourneyID, e.Status)
}

// Claimed is the enrollment ClaimEnrollment returns, with the run before
// it: a run Temporal still holds open under the same workflow id would be
// returned by a start as if it were the new one.
type Claimed struct {
	Enrollment
	// PreviousRun is the run id of the user's enrollment in the journey
	// before this one, or "".
	PreviousRun string `db:"previous_run"`
}

// ClaimEnrollment returns the user's active enrollment in the journey,
// creating it when there is none, the journey is active (*NotActiveError
// otherwise) and its re-entry rule allows it (*NotEligibleError otherwise).
// created tells which happened. Concurrent claims for the same journey and
// user all return the same row and exactly one of them reports created.
func (s *Store) ClaimEnrollment(ctx context.Context, c Claim) (e Claimed, created bool, err error) {
	ws, err := scope(ctx, "claim enrollment")
	if err != nil {
		return Claimed{}, false, err
	}
	rule, cooldown, err := reentryRule(c.Journey.Reentry)
	if err != nil {
		return Claimed{}, false, err
	}
	// The rule holds when no earlier enrollment blocks it: never blocks on
	// any, a cool-down on one that ended within it, after_exit on none (the
	// unique index on active enrollments does that part).
	const blocked = `
	SELECT EXISTS (SELECT 1 FROM enrollments
	WHERE workspace_id = $5 AND journey_id = $1 AND user_id = $2
	  AND ($3 = 'never' OR ($4::bigint > 0 AND ended_at > now() - $4::bigint * interval '1 microsecond')))`
	// The run before an enrollment comes with it: starting its run needs it.
	const previous = `COALESCE((SELECT p.run_id FROM enrollments p
		WHERE p.workspace_id = e.workspace_id AND p.journey_id = e.journey_id AND p.user_id = e.user_id AND p.id < e.id
		ORDER BY p.id DESC LIMIT 1), '') AS previous_run`
	// The enrollment and the first line of its log are one statement, so
	// that a run's timeline never lacks its start.
	const insert = `
	WITH e AS (
		INSERT INTO enrollments (workspace_id, journey_id, user_id, workflow_id, source, holdout, match_property, match_value)
		SELECT $12, $1, $2, $3, $4, $7, $10, $11
		WHERE NOT EXISTS (SELECT 1 FROM enrollments
			WHERE workspace_id = $12 AND journey_id = $1 AND user_id = $2
			  AND ($5 = 'never' OR ($6::bigint > 0 AND ended_at > now() - $6::bigint * interval '1 microsecond')))
		  AND EXISTS (SELECT 1 FROM journeys WHERE workspace_id = $12 AND id = $1 AND status = 'active')
		ON CONFLICT (workspace_id, journey_id, user_id) WHERE status = 'active' DO NOTHING
		RETURNING ` + enrollmentColumns + `
	), logged AS (
		INSERT INTO journey_events (workspace_id, enrollment_id, journey_id, user_id, step, kind, detail, version, at)
		SELECT workspace_id, id, journey_id, user_id, 0, 'enrolled', $8, $9, enrolled_at FROM e
	)
	SELECT e.*, ` + previous + ` FROM e`
	const active = `SELECT e.*, ` + previous + ` FROM (SELECT ` + enrollmentColumns + ` FROM enrollments
	WHERE workspace_id = $3 AND journey_id = $1 AND user_id = $2 AND status = 'active') e`

	j := c.Journey
	match := j.Match
	if c.MatchValue == "" {
		match = ""
	}
	micros := cooldown.Microseconds()
	holdout := InHoldout(ws, j.ID, c.UserID, j.HoldoutPercent)
	// The active row that blocked the insert can end before we read it;
	// then the next insert goes through.
	for range 3 {
		err = s.db.GetContext(ctx, &e, insert, j.ID, c.UserID, c.WorkflowID, c.Source, rule, micros, holdout, c.Detail, max(j.Version, 1),
			match, c.MatchValue, ws)
		if err == nil {
			return e, true, nil
		}
		if err = translate(err); !errors.Is(err, ErrNotFound) {
			return Claimed{}, false, fmt.Errorf("insert enrollment: %w", err)
		}
		err = s.db.GetContext(ctx, &e, active, j.ID, c.UserID, ws)
		if err == nil {
			return e, false, nil
		}
		if err = translate(err); !errors.Is(err, ErrNotFound) {
			return Claimed{}, false, fmt.Errorf("get active enrollment: %w", err)
		}
		var isBlocked bool
		if err := s.db.GetContext(ctx, &isBlocked, blocked, j.ID, c.UserID, rule, micros, ws); err != nil {
			return Claimed{}, false, fmt.Errorf("check re-entry: %w", err)
		}
		if isBlocked {
			return Claimed{}, false, &NotEligibleError{Rule: j.Reentry}
		}
		// Paused or stopped since the caller read it.
		now, err := s.Journey(ctx, j.ID)
		if err != nil {
			return Claimed{}, false, err
		}
		if now.Status != JourneyActive {
			return Claimed{}, false, &NotActiveError{JourneyID: j.ID, Status: now.Status}
		}
	}
	return Claimed{}, false, errors.New("claim enrollment: the active enrollment kept changing")
}

// reentryRule splits a re-entry rule into its kind and cool-down.
func reentryRule(r string) (string, time.Duration, error) {
	switch r {
	case ReentryNever, ReentryAfterExit:
		return r, 0, nil
	case "":
		return ReentryAfterExit, 0, nil
	}
	d, err := time.ParseDuration(r)
	if err != nil || d <= 0 {
		return "", 0, fmt.Errorf("re-entry rule %q is not never, after_exit or a duration", r)
	}
	return "cooldown", d, nil
}

// SetEnrollmentRun stores the Temporal run id of an enrollment, once, and
// when its first step is due if Temporal delayed the run's start.
func (s *Store) SetEnrollmentRun(ctx context.Context, id int64, runID string, firstStepAt *time.Time) error {
	ws, err := scope(ctx, "set enrollment run")
	if err != nil {
		return err
	}
	const q = `UPDATE enrollments SET run_id = $2, first_step_at = $3 WHERE id = $1 AND workspace_id = $4 AND run_id = ''`
	if _, err := s.db.ExecContext(ctx, q, id, runID, firstStepAt, ws); err != nil {
		return fmt.Errorf("set enrollment run: %w", err)
	}
	return nil
}

// LatestEnrollment returns the user's most recent enrollment in the journey.
func (s *Store) LatestEnrollment(ctx context.Context, journeyID, userID string) (Enrollment, error) {
	ws, err := scope(ctx, "get enrollment")
	if err != nil {
		return Enrollment{}, err
	}
	const q = `SELECT ` + enrollmentColumns + ` FROM enrollments
	WHERE workspace_id = $3 AND journey_id = $1 AND user_id = $2 ORDER BY id DESC LIMIT 1`
	var e Enrollment
	if err := s.db.GetContext(ctx, &e, q, journeyID, userID, ws); err != nil {
		return Enrollment{}, fmt.Errorf("get enrollment: %w", translate(err))
	}
	return e, nil
}

// ActiveEnrollmentsForEvent returns the active enrollments of the event's
// user that the event concerns: in journeys whose goal or exit event it is,
// or that listen for it (Journey.ListenedEvents). A goal or listened event
// reaches a run with a match value only when the event carries the same
// value of the run's match property; an exit event reaches every run.
func (s *Store) ActiveEnrollmentsForEvent(ctx context.Context, ev Event) ([]Enrollment, error) {
	ws, err := scope(ctx, "list active enrollments")
	if err != nil {
		return nil, err
	}
	const q = `WITH ev AS (SELECT $3::text AS workspace_id, $1::text AS user_id, $2::text AS name) ` + routedRuns + ` ORDER BY e.id`
	var rows []routedRun
	if err := s.db.SelectContext(ctx, &rows, q, ev.UserID, ev.Name, ws); err != nil {
		return nil, fmt.Errorf("list active enrollments: %w", err)
	}
	return matching(rows, ev)
}

// routedRuns selects the active runs that the event in ev (a row of
// workspace_id, user_id and name) may concern, as routedRun rows: those of
// its user in journeys whose goal or exit it is or that listen for it.
const routedRuns = `
	SELECT e.id, e.journey_id, e.user_id, e.workflow_id, e.run_id, e.status, e.exit_reason, e.enrolled_at, e.ended_at,
		e.source, e.holdout, e.first_step_at, e.match_property, e.match_value, e.workspace_id, ev.name = ANY (j.exit_events) AS exits
	FROM ev JOIN enrollments e ON e.workspace_id = ev.workspace_id AND e.user_id = ev.user_id AND e.status = 'active'
	JOIN journeys j ON j.workspace_id = e.workspace_id AND j.id = e.journey_id
	WHERE j.goal_event = ev.name OR ev.name = ANY (j.exit_events) OR ev.name = ANY (j.listened_events)`

// routedRun is a run an event may concern; exits tells whether the event
// is one of its journey's exits.
type routedRun struct {
	Enrollment
	Exits bool `db:"exits"`
}

// matching returns the runs of rows that ev reaches: all for an exit
// event, else those without a match value or with ev's value of their
// match property.
func matching(rows []routedRun, ev Event) ([]Enrollment, error) {
	var props map[string]any
	if len(ev.Properties) > 0 {
		if err := json.Unmarshal(ev.Properties, &props); err != nil {
			return nil, fmt.Errorf("read event properties: %w", err)
		}
	}
	es := []Enrollment{}
	for _, r := range rows {
		if r.Exits || r.MatchValue == "" || MatchValue(props, r.MatchProperty) == r.MatchValue {
			es = append(es, r.Enrollment)
		}
	}
	return es, nil
}

// ActiveEnrollmentsByIDAllWorkspaces returns those of the given enrollments
// that are still active, in id order, whatever their workspace: the sweep
// over closed runs looks at every workspace's runs, and each enrollment
// says which it belongs to (Enrollment.Workspace).
func (s *Store) ActiveEnrollmentsByIDAllWorkspaces(ctx context.Context, ids []int64) ([]Enrollment, error) {
	const q = `SELECT ` + enrollmentColumns + ` FROM enrollments
	WHERE id = ANY($1) AND status = 'active' ORDER BY id`
	es := []Enrollment{}
	if err := s.db.SelectContext(ctx, &es, q, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("list active enrollments: %w", err)
	}
	return es, nil
}

// ActiveEnrollments returns up to limit active enrollments of the journey
// with ids above after, in id order, for paging through a whole audience.
func (s *Store) ActiveEnrollments(ctx context.Context, journeyID string, after int64, limit int) ([]Enrollment, error) {
	ws, err := scope(ctx, "list active enrollments")
	if err != nil {
		return nil, err
	}
	const q = `SELECT ` + enrollmentColumns + ` FROM enrollments
	WHERE workspace_id = $4 AND journey_id = $1 AND status = 'active' AND id > $2 ORDER BY id LIMIT $3`
	es := []Enrollment{}
	if err := s.db.SelectContext(ctx, &es, q, journeyID, after, limit, ws); err != nil {
		return nil, fmt.Errorf("list active enrollments: %w", err)
	}
	return es, nil
}

// CountActive counts the journey's active enrollments.
func (s *Store) CountActive(ctx context.Context, journeyID string) (int, error) {
	ws, err := scope(ctx, "count active enrollments")
	if err != nil {
		return 0, err
	}
	const q = `SELECT count(*) FROM enrollments WHERE workspace_id = $2 AND journey_id = $1 AND status = 'active'`
	var n int
	if err := s.db.GetContext(ctx, &n, q, journeyID, ws); err != nil {
		return 0, fmt.Errorf("count active enrollments: %w", err)
	}
	return n, nil
}

// UserEnrollments lists all of a user's enrollments across journeys,
// newest first.
func (s *Store) UserEnrollments(ctx context.Context, userID string) ([]Enrollment, error) {
	ws, err := scope(ctx, "list user enrollments")
	if err != nil {
		return nil, err
	}
	const q = `SELECT ` + enrollmentColumns + ` FROM enrollments WHERE workspace_id = $2 AND user_id = $1 ORDER BY id DESC`
	es := []Enrollment{}
	if err := s.db.SelectContext(ctx, &es, q, userID, ws); err != nil {
		return nil, fmt.Errorf("list user enrollments: %w", err)
	}
	return es, nil
}

// RemoveEnrollment closes an active enrollment whose run is gone from
// Temporal as removed, logging why.
func (s *Store) RemoveEnrollment(ctx context.Context, e Enrollment, reason string) error {
	entry := Entry{EnrollmentID: e.ID, JourneyID: e.JourneyID, UserID: e.UserID,
		Kind: KindExited, Detail: "removed: " + reason, At: time.Now().UTC()}
	return s.EndEnrollment(ctx, e.ID, StatusRemoved, entry)
}

// EndEnrollment closes an active enrollment with its final status and
// records the matching entry in the log, in one statement. Ending an
// enrollment that already ended changes nothing, and logs nothing: a run
// ends once, whoever saw it end.
func (s *Store) EndEnrollment(ctx context.Context, id int64, status string, entry Entry) error {
	ws, err := scope(ctx, "end enrollment")
	if err != nil {
		return err
	}
	const q = `
	WITH ended AS (
		UPDATE enrollments SET status = $2, exit_reason = $3, ended_at = $4
		WHERE id = $1 AND workspace_id = $5 AND status = 'active'
		RETURNING id, workspace_id
	)
	` + insertEntry + `
	SELECT workspace_id, id, $6, $7, $8, $9, $10, $11, $12, $3, $13, $14, $4 FROM ended
	ON CONFLICT (enrollment_id, step, kind) DO NOTHING`
	_, err = s.db.ExecContext(ctx, q, id, status, entry.Detail, entry.At, ws,
		entry.JourneyID, entry.UserID, entry.Step, entry.StepID, entry.Kind, entry.Channel, entry.Template, max(entry.Version, 1), entry.Revenue)
	if err != nil {
		return fmt.Errorf("end enrollment: %w", err)
	}
	return nil
}
