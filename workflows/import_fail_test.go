package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"testing"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"journeys/activities"
	"journeys/reporting"
	"journeys/reporting/dbtest"
	"journeys/runs"
	"journeys/workflows"
)

// downTemporal is a Temporal frontend that does not answer: every start
// fails as the client reports an unreachable server.
type downTemporal struct {
	runs.Temporal // nil: enrolling without a trigger only starts workflows
}

func (downTemporal) ExecuteWorkflow(context.Context, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	return nil, serviceerror.NewUnavailable("connection refused")
}

// rowsOf yields rows, as an audience file would.
func rowsOf(rows ...reporting.ImportRow) iter.Seq2[reporting.ImportRow, error] {
	return func(yield func(reporting.ImportRow, error) bool) {
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// TestImportJobFailsVisibly runs the import workflow with its real
// activities over Postgres. A row that can never be processed fails the
// job at once, naming its line. An error that may pass (Temporal down) is
// retried, the job showing it as its last error, and fails the job with it
// when the retries run out.
func TestImportJobFailsVisibly(t *testing.T) {
	store, _ := dbtest.New(t)
	ctx := dbtest.Ctx()
	journey := reporting.Journey{ID: "cart", Name: "Cart", Type: "cart_abandonment", GoalEvent: "purchase", Config: json.RawMessage(`{}`)}
	if _, err := store.CreateJourney(ctx, journey); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		row      reporting.ImportRow
		attempts int
		// wantError is the failed job's error; wantLast its last error.
		wantError, wantLast string
	}{
		{
			name:      "a row that cannot be processed",
			row:       reporting.ImportRow{Line: 7, UserID: "u1", Profile: json.RawMessage(`{"email": 5}`)},
			attempts:  1,
			wantError: "line 7 (user u1): the stored profile cannot be read; import this user again",
		},
		{
			name:      "Temporal down",
			row:       reporting.ImportRow{Line: 2, UserID: "u2"},
			attempts:  workflows.JobAttempts,
			wantError: "line 2 (user u2): start workflow: connection refused",
			wantLast:  "line 2 (user u2): start workflow: connection refused",
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobID := fmt.Sprintf("imp-%d", i)
			if _, err := store.CreateImport(ctx, reporting.Job{ID: jobID, JourneyID: journey.ID}, rowsOf(tt.row)); err != nil {
				t.Fatal(err)
			}
			var suite testsuite.WorkflowTestSuite
			env := suite.NewTestWorkflowEnvironment()
			// The run names no workspace: its activities act in default.
			env.SetContextPropagators([]workflow.ContextPropagator{activities.WorkspacePropagator{}})
			workflows.Register(env)
			env.RegisterActivity(&activities.Jobs{Store: store, Enroller: &runs.Service{Store: store, Temporal: downTemporal{}}})
			attempts := 0
			env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
				if info.ActivityType.Name == "ImportPage" {
					attempts++
				}
			})

			env.ExecuteWorkflow(workflows.ImportAudience, workflows.ImportInput{JobID: jobID, JourneyID: journey.ID, PageSize: 500})

			if env.GetWorkflowError() == nil {
				t.Error("the import workflow succeeded, want it failed")
			}
			if attempts != tt.attempts {
				t.Errorf("ImportPage ran %d times, want %d", attempts, tt.attempts)
			}
			job, err := store.Job(ctx, jobID)
			if err != nil {
				t.Fatal(err)
			}
			if job.Status != reporting.JobFailed || job.Error != tt.wantError || job.Processed != 0 {
				t.Errorf("job %s (%q), %d processed; want failed (%q), none processed", job.Status, job.Error, job.Processed, tt.wantError)
			}
			if job.LastError != tt.wantLast || (job.LastErrorAt != nil) != (tt.wantLast != "") {
				t.Errorf("last error %q at %v, want %q", job.LastError, job.LastErrorAt, tt.wantLast)
			}
		})
	}
}
