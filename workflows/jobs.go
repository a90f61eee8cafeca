package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"journeys/activities"
	"journeys/reporting"
	"journeys/workflows/journey"
)

// jobs calls the background job activities through a nil pointer.
var jobs *activities.Jobs

// JobWorkflowID returns the id of a background job's workflow.
func JobWorkflowID(jobID string) string { return "job/" + jobID }

// ImportInput starts or continues an audience import.
type ImportInput struct {
	JobID     string
	JourneyID string
	// PageSize is how many rows one activity enrolls.
	PageSize int
}

// importPausedRecheck is how often an import into a paused journey looks
// again whether it has resumed.
const importPausedRecheck = 30 * time.Second

// pagesPerRun bounds a job's history: after that many pages it continues
// as new.
const pagesPerRun = 100

// ImportAudience enrolls an imported audience into a journey, a page at a
// time, at the pace the worker's import limit allows. While the journey is
// paused the import waits; once it is stopped the import ends, failed. Where it is, is kept
// in Postgres (each row's outcome), so a crash anywhere resumes the import
// without enrolling anyone twice.
func ImportAudience(ctx workflow.Context, in ImportInput) error {
	ctx = workflow.WithActivityOptions(ctx, jobOptions("import a page"))
	for range pagesPerRun {
		var page activities.ImportPageResult
		err := workflow.ExecuteActivity(ctx, jobs.ImportPage, activities.ImportPageInput{
			JobID: in.JobID, JourneyID: in.JourneyID, Limit: in.PageSize,
		}).Get(ctx, &page)
		switch {
		case err != nil:
			return finishJob(ctx, in.JobID, err)
		case page.Status == reporting.JourneyStopped:
			return finishJob(ctx, in.JobID, errors.New("the journey was stopped; the rest of the audience is not enrolled"))
		case page.Status == reporting.JourneyPaused:
			// Wait for the journey to resume; nothing is lost meanwhile.
			if err := workflow.Sleep(ctx, importPausedRecheck); err != nil {
				return err
			}
		case page.Rows == 0:
			return finishJob(ctx, in.JobID, nil)
		}
	}
	return workflow.NewContinueAsNewError(ctx, ImportAudience, in)
}

// BroadcastInput starts or continues a signal to every active run of a
// journey.
type BroadcastInput struct {
	JobID     string
	JourneyID string
	Control   journey.ControlSignal
	// After is the enrollment id the broadcast has reached.
	After int64
}

// Broadcast sends a control signal to every active run of a journey, a page
// at a time: removal when the journey stops, resume when it is no longer
// paused.
func Broadcast(ctx workflow.Context, in BroadcastInput) error {
	ctx = workflow.WithActivityOptions(ctx, jobOptions("signal a page of runs"))
	for range pagesPerRun {
		var page activities.BroadcastResult
		err := workflow.ExecuteActivity(ctx, jobs.BroadcastPage, activities.BroadcastInput{
			JobID: in.JobID, JourneyID: in.JourneyID, After: in.After, Limit: 200,
			Signal: journey.ControlSignalName, Arg: in.Control, EndIfGone: in.Control.Op == journey.ControlRemove,
		}).Get(ctx, &page)
		if err != nil {
			return finishJob(ctx, in.JobID, err)
		}
		if page.Count == 0 {
			return finishJob(ctx, in.JobID, nil)
		}
		in.After = page.Last
	}
	return workflow.NewContinueAsNewError(ctx, Broadcast, in)
}

func jobOptions(summary string) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    20 * time.Second,
		Summary:             summary,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute, MaximumAttempts: 20},
	}
}

// finishJob records the job's end: completed, or failed with err.
func finishJob(ctx workflow.Context, jobID string, err error) error {
	in := activities.FinishJobInput{JobID: jobID, Status: reporting.JobCompleted}
	if err != nil {
		in.Status, in.Error = reporting.JobFailed, jobFailure(err)
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		Summary:             "record job " + in.Status,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
	})
	if ferr := workflow.ExecuteActivity(ctx, jobs.FinishJob, in).Get(ctx, nil); ferr != nil {
		return ferr
	}
	return err
}

// jobFailure says why a job failed: the message of the outermost
// application error, which has the context its activity gave it (the line
// of an import, say), unlike the innermost one.
func jobFailure(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
}
