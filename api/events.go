package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"go.temporal.io/api/serviceerror"

	"journeys/reporting"
	"journeys/workflows"
)

// eventRequest is the body of POST /v1/events.
type eventRequest struct {
	EventID    string         `json:"event_id"`
	UserID     string         `json:"user_id"`
	Name       string         `json:"name"`
	Properties map[string]any `json:"properties"`
	OccurredAt *time.Time     `json:"occurred_at"`
}

// postEvent stores a user event and brings it to the user's active runs of
// journeys whose goal it is. A repeated event_id is stored once; it is
// signalled again, which the runs ignore, so that a client retrying after
// a failed request cannot lose the signal.
func (s *Server) postEvent(c echo.Context) error {
	var req eventRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.EventID) == "" || len(req.EventID) > 200 {
		return Errorf(CodeInvalid, "event_id is required (at most 200 characters): send the same id when you retry")
	}
	if err := checkID("user_id", req.UserID); err != nil {
		return err
	}
	if strings.TrimSpace(req.Name) == "" || len(req.Name) > 100 {
		return Errorf(CodeInvalid, "name is required (at most 100 characters), such as \"purchase\"")
	}
	occurred := time.Now().UTC()
	if req.OccurredAt != nil {
		occurred = req.OccurredAt.UTC()
	}
	props, err := json.Marshal(req.Properties)
	if err != nil {
		return Errorf(CodeInvalid, "properties must be a JSON object")
	}

	ctx := c.Request().Context()
	inserted, err := s.store.InsertEvent(ctx, reporting.Event{
		EventID: req.EventID, UserID: req.UserID, Name: req.Name, Properties: props, OccurredAt: occurred,
	})
	if err != nil {
		return err
	}
	runs, err := s.store.ActiveEnrollmentsForGoal(ctx, req.UserID, req.Name)
	if err != nil {
		return err
	}
	signal := workflows.EventSignal{EventID: req.EventID, Name: req.Name, OccurredAt: occurred, Properties: req.Properties}
	signalled := 0
	for _, e := range runs {
		err := s.temporal.SignalWorkflow(ctx, e.WorkflowID, e.RunID, workflows.EventSignalName, signal)
		if _, ended := err.(*serviceerror.NotFound); ended {
			continue // the run closed meanwhile
		}
		if err != nil {
			return Errorf(CodeUnavailable, "the event is stored but could not reach journey %s; retry with the same event_id", e.JourneyID)
		}
		signalled++
	}
	return c.JSON(http.StatusAccepted, map[string]any{
		"event_id":  req.EventID,
		"duplicate": !inserted,
		"signalled": signalled,
	})
}
