package api

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"journeys/reporting"
)

// runURL returns where the Temporal UI shows the run of enrollment e, or ""
// when the UI's address is not configured or the run has not started.
func (s *Server) runURL(e reporting.Enrollment) string {
	if s.temporalUI == "" || e.RunID == "" {
		return ""
	}
	return s.temporalUI + "/namespaces/" + url.PathEscape(s.namespace) +
		"/workflows/" + url.PathEscape(e.WorkflowID) + "/" + url.PathEscape(e.RunID) + "/history"
}

// listUserEnrollments lists all of a user's runs across journeys, newest
// first, each with its status and a link to the Temporal UI.
func (s *Server) listUserEnrollments(c echo.Context) error {
	userID := c.Param("user_id")
	if err := checkID("user_id", userID); err != nil {
		return err
	}
	runs, err := s.userRuns(c, userID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"enrollments": runs})
}

func (s *Server) userRuns(c echo.Context, userID string) ([]enrollmentResponse, error) {
	es, err := s.store.UserEnrollments(c.Request().Context(), userID)
	if err != nil {
		return nil, err
	}
	out := make([]enrollmentResponse, len(es))
	for i, e := range es {
		out[i] = s.newEnrollmentResponse(e)
	}
	return out, nil
}
