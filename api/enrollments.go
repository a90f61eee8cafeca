package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"journeys/reporting"
	"journeys/workflows"
)

// enrollmentResponse is an enrollment as the API returns it.
type enrollmentResponse struct {
	JourneyID       string            `json:"journey_id"`
	UserID          string            `json:"user_id"`
	WorkflowID      string            `json:"workflow_id"`
	RunID           string            `json:"run_id"`
	Status          string            `json:"status"`
	EnrolledAt      time.Time         `json:"enrolled_at"`
	EndedAt         *time.Time        `json:"ended_at,omitempty"`
	AlreadyEnrolled *bool             `json:"already_enrolled,omitempty"`
	Timeline        []reporting.Entry `json:"timeline,omitempty"`
}

func newEnrollmentResponse(e reporting.Enrollment) enrollmentResponse {
	return enrollmentResponse{
		JourneyID: e.JourneyID, UserID: e.UserID, WorkflowID: e.WorkflowID, RunID: e.RunID,
		Status: e.Status, EnrolledAt: e.EnrolledAt, EndedAt: e.EndedAt,
	}
}

type enrollRequest struct {
	UserID string `json:"user_id"`
}

// enroll starts the journey for a user, or returns the user's active run
// when there is one: 202 for a new enrollment, 200 for an existing one.
func (s *Server) enroll(c echo.Context) error {
	var req enrollRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	if err := checkID("user_id", req.UserID); err != nil {
		return err
	}
	j, err := s.journey(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	e, created, err := s.store.ClaimEnrollment(ctx, j.ID, req.UserID, workflows.WorkflowID(j.ID, req.UserID))
	if err != nil {
		return err
	}
	if e.RunID == "" {
		if e.RunID, err = s.start(ctx, j, e); err != nil {
			return err
		}
		if err := s.store.SetEnrollmentRun(ctx, e.ID, e.RunID); err != nil {
			return err
		}
	}
	resp := newEnrollmentResponse(e)
	resp.AlreadyEnrolled = &[]bool{!created}[0]
	if created {
		return c.JSON(http.StatusAccepted, resp)
	}
	return c.JSON(http.StatusOK, resp)
}

// memoEnrollment is the memo field that ties a run to its enrollment row.
const memoEnrollment = "enrollment_id"

// start starts the workflow of enrollment e and returns its run id. Every
// request for the same enrollment gets the same run: the workflow id is
// deterministic, and a run already started for e is recognised by its memo.
// A run of an earlier enrollment that is still closing is waited for.
func (s *Server) start(ctx context.Context, j reporting.Journey, e reporting.Enrollment) (string, error) {
	typ, ok := workflows.Lookup(j.Type)
	if !ok {
		return "", fmt.Errorf("journey %s has unknown type %q", j.ID, j.Type)
	}
	in := workflows.Input{
		JourneyID: j.ID, JourneyName: j.Name, JourneyType: j.Type, UserID: e.UserID,
		EnrollmentID: e.ID, EnrolledAt: e.EnrolledAt, GoalEvent: j.GoalEvent, Config: j.Config,
	}
	opts := client.StartWorkflowOptions{
		ID:                                       e.WorkflowID,
		TaskQueue:                                workflows.TaskQueue,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    workflows.StartAttributes(in),
		Memo:                                     map[string]any{memoEnrollment: e.ID},
		StaticSummary:                            fmt.Sprintf("%s · user %s", j.Name, e.UserID),
	}
	for range 3 {
		run, err := s.temporal.ExecuteWorkflow(ctx, opts, typ.Name, in)
		if err == nil {
			return run.GetRunID(), nil
		}
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if !errors.As(err, &started) {
			return "", fmt.Errorf("start workflow: %w", err)
		}
		owner, err := s.enrollmentOf(ctx, e.WorkflowID, started.RunId)
		if err != nil {
			return "", err
		}
		if owner == e.ID {
			return started.RunId, nil
		}
		wait, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = s.temporal.GetWorkflow(wait, e.WorkflowID, started.RunId).Get(wait, nil)
		cancel()
	}
	return "", Errorf(CodeConflict, "an earlier run of %s is still open; try again in a minute", e.WorkflowID)
}

// enrollmentOf returns the enrollment id a run was started for.
func (s *Server) enrollmentOf(ctx context.Context, workflowID, runID string) (int64, error) {
	d, err := s.temporal.DescribeWorkflow(ctx, workflowID, runID)
	if err != nil {
		return 0, fmt.Errorf("describe workflow: %w", err)
	}
	var id int64
	if p, ok := d.Memo.GetFields()[memoEnrollment]; ok {
		if err := converter.GetDefaultDataConverter().FromPayload(p, &id); err != nil {
			return 0, fmt.Errorf("read run memo: %w", err)
		}
	}
	return id, nil
}

func (s *Server) getEnrollment(c echo.Context) error {
	ctx := c.Request().Context()
	j, err := s.journey(c)
	if err != nil {
		return err
	}
	userID := c.Param("user_id")
	e, err := s.store.LatestEnrollment(ctx, j.ID, userID)
	if errors.Is(err, reporting.ErrNotFound) {
		return Errorf(CodeNotFound, "user %q was never enrolled in journey %q", userID, j.ID)
	}
	if err != nil {
		return err
	}
	timeline, err := s.store.Timeline(ctx, e.ID)
	if err != nil {
		return err
	}
	resp := newEnrollmentResponse(e)
	resp.Timeline = timeline
	return c.JSON(http.StatusOK, resp)
}
