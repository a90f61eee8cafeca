package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"
	"golang.org/x/time/rate"

	"journeys/reporting"
)

// JobStore is the part of the reporting store background jobs use.
type JobStore interface {
	Journey(ctx context.Context, id string) (reporting.Journey, error)
	MergeUser(ctx context.Context, u reporting.User) error
	PendingImportRows(ctx context.Context, jobID string, limit int) ([]reporting.ImportRow, error)
	CompleteImportRows(ctx context.Context, jobID string, rows []reporting.ImportRow) (reporting.Progress, error)
	ActiveEnrollments(ctx context.Context, journeyID string, after int64, limit int) ([]reporting.Enrollment, error)
	RemoveEnrollment(ctx context.Context, e reporting.Enrollment, reason string) error
	AddProgress(ctx context.Context, jobID string, p reporting.Progress) error
	JobCursor(ctx context.Context, jobID string) (int64, error)
	AddPageProgress(ctx context.Context, jobID string, after, last int64, p reporting.Progress) error
	NoteJobError(ctx context.Context, jobID, errText string) error
	FinishJob(ctx context.Context, jobID, status, errText string) error
}

// Enroller enrolls users into journeys, idempotently, and signals their
// runs.
type Enroller interface {
	EnrollUser(ctx context.Context, j reporting.Journey, userID, source string) (e reporting.Enrollment, created bool, err error)
	Signal(ctx context.Context, e reporting.Enrollment, name string, arg any) error
}

// Jobs holds what the background jobs depend on: audience imports, signals
// to every run of a journey, and the sweep of runs Temporal closed.
type Jobs struct {
	Store    JobStore
	Enroller Enroller
	// Reconciler ends the enrollments of runs Temporal closed, for the
	// sweep (SweepClosedRuns).
	Reconciler *Reconciler
	// Limit paces imports across the worker, so that a large audience does
	// not crowd out due journeys; nil means no limit.
	Limit *rate.Limiter
	// Workers is how many rows of a page are enrolled at once.
	Workers int
}

// ImportPageInput asks for the next page of an import.
type ImportPageInput struct {
	JobID     string
	JourneyID string
	Limit     int
}

// ImportPageResult tells what a page did; Rows is 0 once the file is done.
type ImportPageResult struct {
	Rows     int
	Progress reporting.Progress
	// Status is the journey's status when it is not active: the page was
	// left for later (paused) or for good (stopped).
	Status string
}

// ImportPage enrolls the next rows of an import that are not done yet and
// records each row's outcome. It is safe to run again after a crash at any
// point: rows are marked done only with their outcome, enrolling is
// idempotent, and a row whose user this import enrolled before the crash
// still counts as enrolled (the enrollment's source names the import).
// A row that can never be processed fails the job, without retries, once
// the rest of its page is done (see jobError).
func (j *Jobs) ImportPage(ctx context.Context, in ImportPageInput) (ImportPageResult, error) {
	res, err := j.importPage(ctx, in)
	return res, j.jobError(ctx, in.JobID, err)
}

func (j *Jobs) importPage(ctx context.Context, in ImportPageInput) (ImportPageResult, error) {
	rows, err := j.Store.PendingImportRows(ctx, in.JobID, in.Limit)
	if err != nil || len(rows) == 0 {
		return ImportPageResult{}, err
	}
	journey, err := j.Store.Journey(ctx, in.JourneyID)
	if errors.Is(err, reporting.ErrNotFound) {
		return ImportPageResult{}, cannotProceed(fmt.Errorf("journey %q no longer exists", in.JourneyID))
	}
	if err != nil {
		return ImportPageResult{}, err
	}
	if journey.Status != reporting.JourneyActive {
		return ImportPageResult{Status: journey.Status}, nil
	}
	source := "import:" + in.JobID
	var mu sync.Mutex
	var done int
	// The first row, in file order, that cannot proceed fails the page once
	// the others are done.
	bad, badErr := len(rows), error(nil)
	err = each(ctx, len(rows), max(j.Workers, 1), func(i int) error {
		r := &rows[i]
		if j.Limit != nil {
			if err := j.Limit.Wait(ctx); err != nil {
				return err
			}
		}
		err := j.importRow(ctx, journey, r, source)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case notRetryable(err):
			if i < bad {
				bad, badErr = i, err
			}
			return nil
		case err != nil:
			return err
		}
		done++
		activity.RecordHeartbeat(ctx, done)
		return nil
	})
	if err == nil {
		err = badErr
	}
	var notActive *reporting.NotActiveError
	if errors.As(err, &notActive) {
		// The rows enrolled so far stay pending; they count as this
		// import's enrollments when the page runs again.
		return ImportPageResult{Status: notActive.Status}, nil
	}
	if err != nil {
		// Count the rows done before the error, so that the job says what
		// happened to them even if it fails here.
		if _, cerr := j.Store.CompleteImportRows(ctx, in.JobID, slices.DeleteFunc(rows, pending)); cerr != nil {
			activity.GetLogger(ctx).Warn("could not record the rows done", "job", in.JobID, "error", cerr)
		}
		return ImportPageResult{}, err
	}
	p, err := j.Store.CompleteImportRows(ctx, in.JobID, rows)
	if err != nil {
		return ImportPageResult{}, err
	}
	return ImportPageResult{Rows: len(rows), Progress: p}, nil
}

// pending reports whether the row has no outcome yet.
func pending(r reporting.ImportRow) bool { return r.Outcome == "" }

// importRow merges the row's profile and enrolls its user, setting the
// row's outcome. Errors name the line and user; those no retry can fix
// cannot proceed.
func (j *Jobs) importRow(ctx context.Context, journey reporting.Journey, r *reporting.ImportRow, source string) error {
	fail := func(err error) error {
		err = fmt.Errorf("line %d (user %s): %w", r.Line, r.UserID, err)
		if errors.Is(err, reporting.ErrInvalid) {
			return cannotProceed(err)
		}
		return err
	}
	if len(r.Profile) > 0 {
		var u reporting.User
		if err := json.Unmarshal(r.Profile, &u); err != nil {
			return cannotProceed(fmt.Errorf("line %d (user %s): the stored profile cannot be read; import this user again", r.Line, r.UserID))
		}
		u.ID = r.UserID
		if err := j.Store.MergeUser(ctx, u); err != nil {
			return fail(err)
		}
	}
	e, created, err := j.Enroller.EnrollUser(ctx, journey, r.UserID, source)
	var notActive *reporting.NotActiveError
	if errors.As(err, &notActive) {
		return err // paused or stopped during the page: the page stops here
	}
	// A user this import enrolled before a crash counts as enrolled.
	if r.Outcome, _, err = reporting.EnrollOutcome(created || e.Source == source, err); err != nil {
		return fail(err)
	}
	return nil
}

// BroadcastInput asks for one page of a broadcast to a journey's runs.
type BroadcastInput struct {
	JobID     string
	JourneyID string
	// After is the enrollment id the previous page ended at.
	After  int64
	Limit  int
	Signal string
	Arg    any
	// EndIfGone closes, as removed, enrollments whose run is gone from
	// Temporal, so that a stop leaves none active.
	EndIfGone bool
}

// BroadcastResult tells where a page of a broadcast ended.
type BroadcastResult struct {
	// Count is how many runs the page signalled: 0 when none were left.
	// A page an earlier attempt recorded counts 1, its runs counted then.
	Count int
	Last  int64
}

// BroadcastPage signals the next page of the journey's active runs.
func (j *Jobs) BroadcastPage(ctx context.Context, in BroadcastInput) (BroadcastResult, error) {
	res, err := j.broadcastPage(ctx, in)
	return res, j.jobError(ctx, in.JobID, err)
}

func (j *Jobs) broadcastPage(ctx context.Context, in BroadcastInput) (BroadcastResult, error) {
	// An earlier attempt of this page that was recorded but whose answer was
	// lost: go on from where it ended rather than count its runs again.
	cursor, err := j.Store.JobCursor(ctx, in.JobID)
	if err != nil {
		return BroadcastResult{}, err
	}
	if cursor > in.After {
		return BroadcastResult{Count: 1, Last: cursor}, nil
	}
	runs, err := j.Store.ActiveEnrollments(ctx, in.JourneyID, in.After, in.Limit)
	if err != nil || len(runs) == 0 {
		return BroadcastResult{}, err
	}
	err = each(ctx, len(runs), max(j.Workers, 1), func(i int) error {
		e := runs[i]
		err := j.Enroller.Signal(ctx, e, in.Signal, in.Arg)
		var gone *serviceerror.NotFound
		if errors.As(err, &gone) && in.EndIfGone {
			return j.Store.RemoveEnrollment(ctx, e, "journey stopped")
		}
		if errors.As(err, &gone) {
			return nil
		}
		return err
	})
	if err != nil {
		return BroadcastResult{}, err
	}
	last := runs[len(runs)-1].ID
	if err := j.Store.AddPageProgress(ctx, in.JobID, in.After, last, reporting.Progress{Processed: len(runs)}); err != nil {
		return BroadcastResult{}, err
	}
	return BroadcastResult{Count: len(runs), Last: last}, nil
}

// FinishJobInput closes a job.
type FinishJobInput struct {
	JobID  string
	Status string
	Error  string
}

// FinishJob records a job's final status.
func (j *Jobs) FinishJob(ctx context.Context, in FinishJobInput) error {
	return j.Store.FinishJob(ctx, in.JobID, in.Status, in.Error)
}

// ErrJobCannotProceed is the type of the application errors that fail a
// job at once: no retry can fix them.
const ErrJobCannotProceed = "JobCannotProceed"

// cannotProceed makes err one that fails the job without a retry.
func cannotProceed(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrJobCannotProceed, err)
}

// notRetryable reports whether err is one that no retry can fix.
func notRetryable(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.NonRetryable()
}

// jobError is what a step of a job returns for err. One that cannot
// proceed ends the retries, so that the job fails with it at once. Any other is noted on
// the job as its last error, for people following it to see why it does
// not move while Temporal retries the step.
func (j *Jobs) jobError(ctx context.Context, jobID string, err error) error {
	if err == nil || notRetryable(err) {
		return err
	}
	// The step's own context may be what ended it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if nerr := j.Store.NoteJobError(ctx, jobID, err.Error()); nerr != nil {
		activity.GetLogger(ctx).Warn("could not note the job's error", "job", jobID, "error", nerr)
	}
	return err
}

// each calls fn for 0..n-1 on up to workers goroutines and returns the
// first error; after one, the items not started yet are skipped.
func each(ctx context.Context, n, workers int, fn func(i int) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i := 0; i < n && ctx.Err() == nil; i++ {
		g.Go(func() error { return fn(i) })
	}
	return g.Wait()
}
