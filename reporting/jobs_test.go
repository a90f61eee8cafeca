package reporting_test

import (
	"errors"
	"fmt"
	"iter"
	"testing"

	"journeys/reporting"
	"journeys/reporting/dbtest"
)

// numbered yields n import rows, then err if it is not nil.
func numbered(n int, err error) iter.Seq2[reporting.ImportRow, error] {
	return func(yield func(reporting.ImportRow, error) bool) {
		for i := range n {
			r := reporting.ImportRow{Line: i + 2, UserID: fmt.Sprintf("u%d", i)}
			if i%3 == 0 {
				r.Outcome = reporting.EntryInvalid
			}
			if !yield(r, nil) {
				return
			}
		}
		if err != nil {
			yield(reporting.ImportRow{}, err)
		}
	}
}

// TestCreateImport stores a file of several COPY batches, and stores
// nothing when the file turns out bad after some of them.
func TestCreateImport(t *testing.T) {
	s, _ := dbtest.New(t)
	ctx := dbtest.Ctx()
	newJourney(t, s, "cart")
	const n = 25_000 // three batches

	job, err := s.CreateImport(ctx, reporting.Job{ID: "imp-good", JourneyID: "cart"}, numbered(n, nil))
	if err != nil {
		t.Fatal(err)
	}
	if job.Total != n || job.Invalid != (n+2)/3 || job.Processed != job.Invalid || job.Status != reporting.JobRunning {
		t.Errorf("job = %+v, want %d rows, %d invalid", job, n, (n+2)/3)
	}
	var stored int
	if err := s.DB().Get(&stored, `SELECT count(*) FROM import_rows WHERE job_id = 'imp-good'`); err != nil || stored != n {
		t.Errorf("%d rows stored (%v), want %d", stored, err, n)
	}

	bad := errors.New("line 20002: bad row")
	if _, err := s.CreateImport(ctx, reporting.Job{ID: "imp-bad", JourneyID: "cart"}, numbered(20_000, bad)); err != bad {
		t.Errorf("CreateImport = %v, want the file's error as it is", err)
	}
	var jobs, rows int
	err = s.DB().QueryRow(`SELECT (SELECT count(*) FROM jobs WHERE id = 'imp-bad'), (SELECT count(*) FROM import_rows WHERE job_id = 'imp-bad')`).Scan(&jobs, &rows)
	if err != nil || jobs != 0 || rows != 0 {
		t.Errorf("after a bad file: %d jobs, %d rows (%v); want none", jobs, rows, err)
	}
}

// TestJobLastError shows a running job's last error until it makes
// progress again.
func TestJobLastError(t *testing.T) {
	s, _ := dbtest.New(t)
	ctx := dbtest.Ctx()
	newJourney(t, s, "cart")
	job, err := s.CreateJob(ctx, reporting.Job{ID: "stop-1", Kind: reporting.JobStop, JourneyID: "cart", Total: 10})
	if err != nil {
		t.Fatal(err)
	}
	if job.LastError != "" || job.LastErrorAt != nil {
		t.Errorf("new job has last error %q at %v", job.LastError, job.LastErrorAt)
	}
	if err := s.NoteJobError(ctx, job.ID, "signal: connection refused"); err != nil {
		t.Fatal(err)
	}
	if job, _ = s.Job(ctx, job.ID); job.LastError != "signal: connection refused" || job.LastErrorAt == nil {
		t.Errorf("after an error: last error %q at %v", job.LastError, job.LastErrorAt)
	}
	if err := s.AddProgress(ctx, job.ID, reporting.Progress{Processed: 5}); err != nil {
		t.Fatal(err)
	}
	if job, _ = s.Job(ctx, job.ID); job.LastError != "" || job.LastErrorAt != nil || job.Processed != 5 {
		t.Errorf("after progress: %d processed, last error %q at %v; want it cleared", job.Processed, job.LastError, job.LastErrorAt)
	}
	if err := s.FinishJob(ctx, job.ID, reporting.JobCompleted, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.NoteJobError(ctx, job.ID, "late"); err != nil {
		t.Fatal(err)
	}
	if job, _ = s.Job(ctx, job.ID); job.LastError != "" {
		t.Errorf("a finished job took the error %q", job.LastError)
	}
}

// TestRefusedData translates what Postgres refuses to store into
// ErrInvalid, which no retry fixes.
func TestRefusedData(t *testing.T) {
	s, _ := dbtest.New(t)
	err := s.MergeUser(dbtest.Ctx(), reporting.User{ID: "u1", Email: "a\x00b@example.com"})
	if !errors.Is(err, reporting.ErrInvalid) {
		t.Errorf("MergeUser with a NUL byte = %v, want ErrInvalid", err)
	}
}

func TestPageProgressCountsOnce(t *testing.T) {
	s, _ := dbtest.New(t)
	ctx := dbtest.Ctx()
	newJourney(t, s, "cart")
	if _, err := s.CreateJob(ctx, reporting.Job{ID: "stop-1", Kind: reporting.JobStop, JourneyID: "cart"}); err != nil {
		t.Fatal(err)
	}
	page := func(after, last int64, n int) {
		t.Helper()
		if err := s.AddPageProgress(ctx, "stop-1", after, last, reporting.Progress{Processed: n}); err != nil {
			t.Fatal(err)
		}
	}
	page(0, 200, 200)
	page(0, 200, 200) // the first page again: its answer was lost
	page(0, 260, 230) // again, having read further the second time
	page(200, 300, 100)
	job, err := s.Job(ctx, "stop-1")
	if err != nil {
		t.Fatal(err)
	}
	cursor, err := s.JobCursor(ctx, "stop-1")
	if err != nil {
		t.Fatal(err)
	}
	if job.Processed != 300 || cursor != 300 {
		t.Errorf("processed %d, cursor %d; want 300 and 300: each page counted once", job.Processed, cursor)
	}
}
