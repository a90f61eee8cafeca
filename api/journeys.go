package api

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	"journeys/reporting"
	"journeys/workflows"
)

// journeyRequest is the body of POST /v1/journeys.
type journeyRequest struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Type      string          `json:"type"`
	GoalEvent string          `json:"goal_event"`
	Config    json.RawMessage `json:"config"`
}

func (s *Server) createJourney(c echo.Context) error {
	var req journeyRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" {
		return Errorf(CodeInvalid, "name is required")
	}
	if req.ID == "" {
		req.ID = newJourneyID(req.Name)
	}
	if err := checkID("id", req.ID); err != nil {
		return err
	}
	typ, ok := workflows.Lookup(req.Type)
	if !ok {
		return Errorf(CodeInvalid, "type %q is not a journey type; use one of %s", req.Type, strings.Join(workflows.TypeNames(), ", "))
	}
	if req.GoalEvent == "" {
		return Errorf(CodeInvalid, "goal_event is required, such as \"purchase\"")
	}
	config, err := typ.Config(req.Config)
	var cfgErr *workflows.ConfigError
	if errors.As(err, &cfgErr) {
		return Errorf(CodeInvalid, "%s", cfgErr.Error())
	}
	if err != nil {
		return err
	}
	j, err := s.store.CreateJourney(c.Request().Context(), reporting.Journey{
		ID: req.ID, Name: req.Name, Type: req.Type, GoalEvent: req.GoalEvent, Config: config,
	})
	if errors.Is(err, reporting.ErrDuplicate) {
		return Errorf(CodeConflict, "a journey with id %q exists already", req.ID)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, j)
}

func (s *Server) listJourneys(c echo.Context) error {
	js, err := s.store.Journeys(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"journeys": js})
}

func (s *Server) getJourney(c echo.Context) error {
	j, err := s.journey(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, j)
}

func (s *Server) report(c echo.Context) error {
	j, err := s.journey(c)
	if err != nil {
		return err
	}
	r, err := s.store.Report(c.Request().Context(), j.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// journey loads the journey named by the :id route parameter.
func (s *Server) journey(c echo.Context) (reporting.Journey, error) {
	id := c.Param("id")
	j, err := s.store.Journey(c.Request().Context(), id)
	if errors.Is(err, reporting.ErrNotFound) {
		return j, Errorf(CodeNotFound, "journey %q does not exist; GET /v1/journeys lists them", id)
	}
	return j, err
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// newJourneyID derives a readable id from the journey's name, with a random
// suffix so that two journeys of the same name do not collide.
func newJourneyID(name string) string {
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(slug) > 40 {
		slug = strings.TrimRight(slug[:40], "-")
	}
	b := make([]byte, 3)
	rand.Read(b)
	if slug == "" {
		slug = "journey"
	}
	return slug + "-" + hex.EncodeToString(b)
}
