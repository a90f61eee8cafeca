package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"go.temporal.io/api/serviceerror"
	"golang.org/x/sync/errgroup"

	"journeys/reporting"
	"journeys/runs"
)

// enrollmentResponse is an enrollment as the API returns it.
type enrollmentResponse struct {
	JourneyID       string            `json:"journey_id"`
	UserID          string            `json:"user_id"`
	WorkflowID      string            `json:"workflow_id"`
	RunID           string            `json:"run_id"`
	Status          string            `json:"status"`
	ExitReason      string            `json:"exit_reason,omitempty"`
	Source          string            `json:"source"`
	Holdout         bool              `json:"holdout"`
	EnrolledAt      time.Time         `json:"enrolled_at"`
	EndedAt         *time.Time        `json:"ended_at,omitempty"`
	AlreadyEnrolled *bool             `json:"already_enrolled,omitempty"`
	TemporalUIURL   string            `json:"temporal_ui_url,omitempty"`
	Timeline        []reporting.Entry `json:"timeline,omitempty"`
}

func (s *Server) newEnrollmentResponse(e reporting.Enrollment) enrollmentResponse {
	return enrollmentResponse{
		JourneyID: e.JourneyID, UserID: e.UserID, WorkflowID: e.WorkflowID, RunID: e.RunID,
		Status: e.Status, ExitReason: e.ExitReason, Source: e.Source, Holdout: e.Holdout,
		EnrolledAt: e.EnrolledAt, EndedAt: e.EndedAt, TemporalUIURL: s.runURL(e),
	}
}

type enrollRequest struct {
	UserID string `json:"user_id"`
}

// enroll starts the journey for a user, or returns the user's active run
// when there is one: 202 for a new enrollment, 200 for an existing one.
func (s *Server) enroll(c echo.Context) error {
	var req enrollRequest
	if err := bind(c, &req, maxEnrollBody); err != nil {
		return err
	}
	if err := checkID("user_id", req.UserID); err != nil {
		return err
	}
	j, err := s.journey(c)
	if err != nil {
		return err
	}
	e, err := s.runs.Enroll(c.Request().Context(), j, req.UserID, "api", nil)
	if err != nil {
		return enrollError(j, err)
	}
	resp := s.newEnrollmentResponse(e.Enrollment)
	already := !e.Created
	resp.AlreadyEnrolled = &already
	if e.Created {
		return c.JSON(http.StatusAccepted, resp)
	}
	return c.JSON(http.StatusOK, resp)
}

// enrollError maps the refusals of an enrollment onto API errors.
func enrollError(j reporting.Journey, err error) error {
	var notEligible *reporting.NotEligibleError
	var notActive *reporting.NotActiveError
	switch {
	case errors.As(err, &notEligible):
		return Errorf(CodeConflict, "not eligible: %v", notEligible)
	case errors.As(err, &notActive):
		return Errorf(CodeConflict, "journey %q is %s; set its status to active to enroll users", j.ID, notActive.Status)
	case errors.Is(err, runs.ErrPreviousRunOpen):
		return Errorf(CodeConflict, "the user's previous run of journey %q is still closing; retry in a minute", j.ID)
	case isUnavailable(err):
		return Errorf(CodeUnavailable, "Temporal did not answer; retry the same request, enrollment is idempotent")
	}
	return err
}

// isUnavailable reports whether err says Temporal could not be reached.
func isUnavailable(err error) bool {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	return errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.Is(err, context.DeadlineExceeded)
}

// batchResult is the outcome of one user in a batch.
type batchResult struct {
	UserID  string `json:"user_id"`
	Outcome string `json:"outcome"` // enrolled, already_enrolled, not_eligible or invalid
	RunID   string `json:"run_id,omitempty"`
	Error   string `json:"error,omitempty"`
}

// enrollBatch enrolls up to 1,000 users, with a result per user. An id that
// is not valid gets the outcome invalid and the others go on.
func (s *Server) enrollBatch(c echo.Context) error {
	items, err := bindBatch(c, maxEnrollBatchBody, "user_ids")
	if err != nil {
		return err
	}
	if len(items) == 0 || len(items) > maxBatch {
		return Errorf(CodeInvalid, "user_ids must list 1 to %d users, not %d; import larger audiences with POST /v1/journeys/{id}/imports", maxBatch, len(items))
	}
	j, err := s.journey(c)
	if err != nil {
		return err
	}
	if j.Status != reporting.JourneyActive {
		return Errorf(CodeConflict, "journey %q is %s; set its status to active to enroll users", j.ID, j.Status)
	}
	ctx := c.Request().Context()
	results := make([]batchResult, len(items))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(batchWorkers)
	for i, item := range items {
		var userID string
		if err := json.Unmarshal(item, &userID); err != nil {
			results[i] = batchResult{Outcome: reporting.EntryInvalid,
				Error: fmt.Sprintf("user_ids[%d] must be a string, not %s", i, jsonKind(bytes.TrimSpace(item)[0]))}
			continue
		}
		g.Go(func() error { return s.enrollOne(gctx, j, userID, &results[i]) })
	}
	if err := g.Wait(); err != nil {
		return enrollError(j, err)
	}
	return c.JSON(http.StatusOK, map[string]any{"results": results})
}

// enrollOne enrolls one user of a batch into r.
func (s *Server) enrollOne(ctx context.Context, j reporting.Journey, userID string, r *batchResult) error {
	r.UserID = userID
	if err := checkID("user_id", userID); err != nil {
		r.Outcome, r.Error = reporting.EntryInvalid, err.(*Error).Message
		return nil
	}
	e, err := s.runs.Enroll(ctx, j, userID, "api", nil)
	r.Outcome, r.Error, err = reporting.EnrollOutcome(e.Created, err)
	r.RunID = e.RunID
	return err
}

// unenroll removes a user from the journey: the run ends as removed.
func (s *Server) unenroll(c echo.Context) error {
	ctx := c.Request().Context()
	e, err := s.latestEnrollment(c)
	if err != nil {
		return err
	}
	if e.Status != reporting.StatusActive {
		return Errorf(CodeNotFound, "user %q has no active run in journey %q; its last run is %s", e.UserID, e.JourneyID, e.Status)
	}
	if err := s.runs.Remove(ctx, e, "removed through the API"); err != nil {
		return err
	}
	if e, err = s.store.LatestEnrollment(ctx, e.JourneyID, e.UserID); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, s.newEnrollmentResponse(e))
}

// latestEnrollment loads the latest enrollment of the :user_id route
// parameter in the :id journey.
func (s *Server) latestEnrollment(c echo.Context) (reporting.Enrollment, error) {
	j, err := s.journey(c)
	if err != nil {
		return reporting.Enrollment{}, err
	}
	userID := c.Param("user_id")
	e, err := s.store.LatestEnrollment(c.Request().Context(), j.ID, userID)
	if errors.Is(err, reporting.ErrNotFound) {
		return e, Errorf(CodeNotFound, "user %q was never enrolled in journey %q", userID, j.ID)
	}
	return e, err
}

func (s *Server) getEnrollment(c echo.Context) error {
	e, err := s.latestEnrollment(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	timeline, err := s.store.Timeline(ctx, e.ID)
	if err != nil {
		return err
	}
	resp := s.newEnrollmentResponse(e)
	resp.Timeline = timeline
	return c.JSON(http.StatusOK, resp)
}
