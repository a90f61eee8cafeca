package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/client"

	"journeys/reporting"
	"journeys/workflows"
	"journeys/workflows/journey"
)

func (s *Server) getJob(c echo.Context) error {
	job, err := s.store.Job(c.Request().Context(), c.Param("job_id"))
	if errors.Is(err, reporting.ErrNotFound) {
		return Errorf(CodeNotFound, "job %q does not exist", clip(c.Param("job_id")))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"job": job})
}

// startBroadcast starts the background job that removes (stop) or resumes
// every active run of the journey.
func (s *Server) startBroadcast(c echo.Context, j reporting.Journey, kind string) (reporting.Job, error) {
	ctx := c.Request().Context()
	total, err := s.store.CountActive(ctx, j.ID)
	if err != nil {
		return reporting.Job{}, err
	}
	job, err := s.store.CreateJob(ctx, reporting.Job{ID: newJobID(kind), Kind: kind, JourneyID: j.ID, Total: total})
	if err != nil {
		return reporting.Job{}, err
	}
	control := journey.ControlSignal{Op: journey.ControlResume}
	if kind == reporting.JobStop {
		control = journey.ControlSignal{Op: journey.ControlRemove, Reason: "journey stopped"}
	}
	opts := client.StartWorkflowOptions{
		ID:            workflows.JobWorkflowID(job.ID),
		TaskQueue:     journey.TaskQueue,
		StaticSummary: fmt.Sprintf("%s %d runs of %s", kind, total, j.Name),
	}
	in := workflows.BroadcastInput{JobID: job.ID, JourneyID: j.ID, Control: control}
	if _, err := s.temporal.ExecuteWorkflow(ctx, opts, workflows.Broadcast, in); err != nil {
		_ = s.store.FinishJob(ctx, job.ID, reporting.JobFailed, "could not start: "+err.Error())
		return reporting.Job{}, fmt.Errorf("start %s job: %w", kind, err)
	}
	return job, nil
}

// newJobID returns a fresh job id with a prefix saying its kind.
func newJobID(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}
