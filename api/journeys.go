package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"journeys/reporting"
	"journeys/workflows"
	"journeys/workflows/journey"
)

// journeyRequest is the body of POST /v1/journeys.
type journeyRequest struct {
	ID               string          `json:"id"`
	Name             string          `json:"name"`
	Type             string          `json:"type"`
	GoalEvent        string          `json:"goal_event"`
	EntryEvent       string          `json:"entry_event"`
	ExitEvents       []string        `json:"exit_events"`
	ConversionWindow string          `json:"conversion_window"`
	Reentry          string          `json:"reentry"`
	HoldoutPercent   int             `json:"holdout_percent"`
	Config           json.RawMessage `json:"config"`
	// The controls; see journey_controls.go.
	SendWindow    *reporting.SendWindow `json:"send_window"`
	Transactional bool                  `json:"transactional"`
	Match         string                `json:"match"`
}

// checkEvent checks an event name a journey listens for.
func checkEvent(field, name string, required bool) error {
	switch {
	case name == "" && required:
		return Errorf(CodeInvalid, "%s is required, such as \"purchase\"", field)
	case name != strings.TrimSpace(name):
		return Errorf(CodeInvalid, "%s %q must have no surrounding spaces", field, clip(name))
	}
	return checkLength(field, name, maxEventNameLength)
}

// checkName checks a journey's name and returns it without surrounding
// spaces.
func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", Errorf(CodeInvalid, "name is required, such as \"Cart 10%%\"")
	}
	return name, checkLength("name", name, maxJourneyNameLength)
}

// checkLifecycle checks the journey's events, window and re-entry rule.
func (r *journeyRequest) checkLifecycle() error {
	if err := checkEvent("goal_event", r.GoalEvent, true); err != nil {
		return err
	}
	if err := checkEvent("entry_event", r.EntryEvent, false); err != nil {
		return err
	}
	if len(r.ExitEvents) > maxExitEvents {
		return Errorf(CodeInvalid, "exit_events lists %d events; the limit is %d", len(r.ExitEvents), maxExitEvents)
	}
	for i, name := range r.ExitEvents {
		field := fmt.Sprintf("exit_events[%d]", i)
		if err := checkEvent(field, name, true); err != nil {
			return err
		}
		if name == r.GoalEvent {
			return Errorf(CodeInvalid, "%s %q is the goal event; an event cannot both convert and exit", field, clip(name))
		}
	}
	if r.EntryEvent != "" && (r.EntryEvent == r.GoalEvent || slices.Contains(r.ExitEvents, r.EntryEvent)) {
		return Errorf(CodeInvalid, "entry_event %q is also the goal or an exit event", r.EntryEvent)
	}
	for _, f := range [][2]string{{"conversion_window", r.ConversionWindow}, {"reentry", r.Reentry}} {
		if err := checkLength(f[0], f[1], maxDurationLength); err != nil {
			return err
		}
	}
	if r.ConversionWindow != "" {
		if d, err := time.ParseDuration(r.ConversionWindow); err != nil || d <= 0 {
			return Errorf(CodeInvalid, "conversion_window %q must be a positive duration such as \"72h\"", r.ConversionWindow)
		}
	}
	switch r.Reentry {
	case "":
		r.Reentry = reporting.ReentryAfterExit
	case reporting.ReentryNever, reporting.ReentryAfterExit:
	default:
		if d, err := time.ParseDuration(r.Reentry); err != nil || d <= 0 {
			return Errorf(CodeInvalid, "reentry %q must be \"never\", \"after_exit\" or a cool-down such as \"168h\"", r.Reentry)
		}
	}
	return nil
}

func (s *Server) createJourney(c echo.Context) error {
	var req journeyRequest
	if err := bind(c, &req, maxJourneyBody); err != nil {
		return err
	}
	var err error
	if req.Name, err = checkName(req.Name); err != nil {
		return err
	}
	if req.ID == "" {
		req.ID = newJourneyID(req.Name)
	}
	if err := checkID("id", req.ID); err != nil {
		return err
	}
	typ, ok := workflows.Lookup(req.Type)
	if !ok {
		return Errorf(CodeInvalid, "type %q is not a journey type; use one of %s", clip(req.Type), strings.Join(workflows.TypeNames(), ", "))
	}
	if err := req.checkLifecycle(); err != nil {
		return err
	}
	if req.HoldoutPercent < 0 || req.HoldoutPercent > reporting.MaxHoldoutPercent {
		return Errorf(CodeInvalid, "holdout_percent %d must be between 0 and %d", req.HoldoutPercent, reporting.MaxHoldoutPercent)
	}
	if err := req.checkControls(); err != nil {
		return err
	}
	config, err := s.journeyConfig(c.Request().Context(), typ, req.Config)
	if err != nil {
		return err
	}
	j, err := s.store.CreateJourney(c.Request().Context(), reporting.Journey{
		ID: req.ID, Name: req.Name, Type: req.Type, GoalEvent: req.GoalEvent,
		EntryEvent: req.EntryEvent, ExitEvents: req.ExitEvents, ConversionWindow: req.ConversionWindow,
		Reentry: req.Reentry, HoldoutPercent: req.HoldoutPercent, Config: config,
		SendWindow: req.SendWindow, Transactional: req.Transactional, Match: req.Match, ListenedEvents: typ.Plan(config).Events,
	})
	if errors.Is(err, reporting.ErrDuplicate) {
		return Errorf(CodeConflict, "a journey with id %q exists already", req.ID)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, j)
}

// journeyConfig validates a config for the journey type, fills in its
// defaults and checks that the templates it names exist.
func (s *Server) journeyConfig(ctx context.Context, typ workflows.Type, raw json.RawMessage) (json.RawMessage, error) {
	if !isNull(raw) {
		if err := checkTextLength(raw, "config", maxConfigText); err != nil {
			return nil, err
		}
	}
	config, err := typ.Config(raw)
	var cfgErr *journey.ConfigError
	if errors.As(err, &cfgErr) {
		return nil, Errorf(CodeInvalid, "%s", cfgErr.Error())
	}
	if err != nil {
		return nil, err
	}
	missing, err := s.store.MissingTemplates(ctx, typ.Plan(config).Templates)
	if err != nil || len(missing) == 0 {
		return config, err
	}
	field := "config"
	if path := findText(config, "template", missing[0]); path != "" {
		field += "." + path
	}
	return nil, Errorf(CodeInvalid, "%s: template %q does not exist; create it with PUT /v1/templates/{id} first (GET /v1/templates lists them)",
		field, clip(missing[0]))
}

// journeyPatch is the body of PATCH /v1/journeys/{id}.
type journeyPatch struct {
	Name   *string         `json:"name"`
	Status *string         `json:"status"`
	Config json.RawMessage `json:"config"`
	// The controls; see journey_controls.go.
	SendWindow    json.RawMessage `json:"send_window"`
	Transactional *bool           `json:"transactional"`
	Match         *string         `json:"match"`
}

// patchJourney renames a journey, changes its config (a new version that
// running enrollments apply to the steps they have not reached), or changes
// its status: paused takes no enrollments and holds sends, active resumes,
// stopped removes every running enrollment in a background job.
func (s *Server) patchJourney(c echo.Context) error {
	var req journeyPatch
	if err := bind(c, &req, maxJourneyPatch); err != nil {
		return err
	}
	j, err := s.journey(c)
	if err != nil {
		return err
	}
	var u reporting.JourneyUpdate
	if req.Name != nil {
		name, err := checkName(*req.Name)
		if err != nil {
			return err
		}
		u.Name = &name
	}
	if req.Config != nil {
		typ, _ := workflows.Lookup(j.Type)
		if u.Config, err = s.journeyConfig(c.Request().Context(), typ, req.Config); err != nil {
			return err
		}
		u.ListenedEvents = typ.Plan(u.Config).Events
	}
	if err := req.applyControls(j, &u); err != nil {
		return err
	}
	if req.Status != nil {
		if err := checkTransition(j, *req.Status); err != nil {
			return err
		}
		if *req.Status != j.Status {
			u.Status = req.Status
		}
	}
	if j.Status == reporting.JourneyStopped && (u.Config != nil || u.Status != nil) {
		return Errorf(CodeConflict, "journey %q is stopped; create a new journey instead", j.ID)
	}
	ctx := c.Request().Context()
	updated, err := s.store.UpdateJourney(ctx, j.ID, u)
	if err != nil {
		return err
	}
	resp := map[string]any{"journey": updated}
	if u.Status != nil && (*u.Status == reporting.JourneyStopped || j.Status == reporting.JourneyPaused) {
		kind := reporting.JobResume
		if *u.Status == reporting.JourneyStopped {
			kind = reporting.JobStop
		}
		job, err := s.startBroadcast(c, updated, kind)
		if err != nil {
			return err
		}
		resp["job"] = job
		return c.JSON(http.StatusAccepted, resp)
	}
	return c.JSON(http.StatusOK, resp)
}

// checkTransition allows active ⇄ paused and either to stopped, for good.
func checkTransition(j reporting.Journey, to string) error {
	switch to {
	case reporting.JourneyActive, reporting.JourneyPaused, reporting.JourneyStopped:
	default:
		return Errorf(CodeInvalid, "status %q is not one of active, paused, stopped", clip(to))
	}
	if j.Status == reporting.JourneyStopped && to != reporting.JourneyStopped {
		return Errorf(CodeConflict, "journey %q is stopped for good; create a new journey instead", j.ID)
	}
	return nil
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

// journey loads the journey named by the :id route parameter.
func (s *Server) journey(c echo.Context) (reporting.Journey, error) {
	id := c.Param("id")
	j, err := s.store.Journey(c.Request().Context(), id)
	if errors.Is(err, reporting.ErrNotFound) {
		return j, Errorf(CodeNotFound, "journey %q does not exist; GET /v1/journeys lists them", clip(id))
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
