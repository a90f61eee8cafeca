package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"journeys/activities"
	"journeys/reporting"
)

// TestImportAudience runs the import workflow over pages that come back
// paused, done or stopped, and checks how the job ends.
func TestImportAudience(t *testing.T) {
	page := func(rows int, status string) activities.ImportPageResult {
		return activities.ImportPageResult{Rows: rows, Status: status}
	}
	tests := []struct {
		name       string
		pages      []activities.ImportPageResult
		wantStatus string
		wantWait   time.Duration
	}{
		{"two pages", []activities.ImportPageResult{page(500, ""), page(200, ""), page(0, "")}, reporting.JobCompleted, 0},
		{"paused, then resumed", []activities.ImportPageResult{page(500, ""), page(0, "paused"), page(0, "paused"), page(100, ""), page(0, "")},
			reporting.JobCompleted, 2 * importPausedRecheck},
		{"stopped", []activities.ImportPageResult{page(500, ""), page(0, "stopped")}, reporting.JobFailed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestWorkflowEnvironment()
			Register(env)
			env.RegisterActivity(&activities.Jobs{})
			calls := 0
			env.OnActivity(jobs.ImportPage, mock.Anything, mock.Anything).Return(
				func(_ context.Context, _ activities.ImportPageInput) (activities.ImportPageResult, error) {
					calls++
					return tt.pages[calls-1], nil
				})
			var finished activities.FinishJobInput
			env.OnActivity(jobs.FinishJob, mock.Anything, mock.Anything).Return(
				func(_ context.Context, in activities.FinishJobInput) error { finished = in; return nil })

			start := env.Now()
			env.ExecuteWorkflow(ImportAudience, ImportInput{JobID: "imp-1", JourneyID: "cart", PageSize: 500})

			if calls != len(tt.pages) {
				t.Errorf("%d pages asked for, want %d", calls, len(tt.pages))
			}
			if finished.Status != tt.wantStatus {
				t.Errorf("job finished %q (%s), want %q", finished.Status, finished.Error, tt.wantStatus)
			}
			if waited := env.Now().Sub(start); waited < tt.wantWait || waited > tt.wantWait+time.Second {
				t.Errorf("waited %s, want %s", waited, tt.wantWait)
			}
		})
	}
}
