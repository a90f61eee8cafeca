package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"journeys/reporting"
	"journeys/workflows/journey"
	"journeys/workflows/journey/dryrun"
)

// simulateRequest is the body of POST /v1/journeys/{id}/simulate.
type simulateRequest struct {
	// UserID names the simulated user (sticky variants read it); without
	// User, their stored profile is the one simulated.
	UserID string           `json:"user_id"`
	User   *userRequest     `json:"user"`
	Events []simulatedEvent `json:"events"`
}

// simulatedEvent is something the simulated user does, After the
// enrollment.
type simulatedEvent struct {
	Name       string          `json:"name"`
	After      string          `json:"after"`
	Properties json.RawMessage `json:"properties"`
}

// simulatedUser is the user id of a simulation that names none.
const simulatedUser = "simulated-user"

// script checks the events against the limits of limits.go and returns
// them as the simulation plays them.
func (r simulateRequest) script() ([]dryrun.ScriptedEvent, error) {
	if len(r.Events) > maxSimulatedEvents {
		return nil, Errorf(CodeInvalid, "events lists %d events; the limit is %d", len(r.Events), maxSimulatedEvents)
	}
	out := make([]dryrun.ScriptedEvent, 0, len(r.Events))
	for i, ev := range r.Events {
		field := fmt.Sprintf("events[%d]", i)
		if err := checkEvent(field+".name", ev.Name, true); err != nil {
			return nil, err
		}
		if err := checkLength(field+".after", ev.After, maxDurationLength); err != nil {
			return nil, err
		}
		after, err := time.ParseDuration(ev.After)
		if ev.After == "" {
			after, err = 0, nil
		}
		if err != nil || after < 0 {
			return nil, Errorf(CodeInvalid, "%s.after %q must be a duration after the enrollment, such as \"30h\"", field, clip(ev.After))
		}
		if after > maxSimulatedTime {
			return nil, Errorf(CodeInvalid, "%s.after %s is past %s, the longest a simulation follows a run", field, ev.After, journey.Short(maxSimulatedTime))
		}
		props := map[string]any{}
		if !isNull(ev.Properties) {
			var refused *Error
			if err := checkProperties(ev.Properties); errors.As(err, &refused) {
				return nil, Errorf(CodeInvalid, "%s.%s", field, refused.Message)
			} else if err != nil {
				return nil, err
			}
			if err := json.Unmarshal(ev.Properties, &props); err != nil {
				return nil, Errorf(CodeInvalid, "%s.properties must be a JSON object", field)
			}
		}
		out = append(out, dryrun.ScriptedEvent{Name: ev.Name, After: after, Properties: props})
	}
	return out, nil
}

// simulate answers what path a user would take through the journey, given
// what they do and when, by running the journey's own workflow in a dry
// run: nothing is sent and nothing is written.
func (s *Server) simulate(c echo.Context) error {
	var req simulateRequest
	if err := bind(c, &req, maxSimulateBody); err != nil {
		return err
	}
	events, err := req.script()
	if err != nil {
		return err
	}
	userID := req.UserID
	if userID == "" {
		userID = simulatedUser
	}
	if err := checkID("user_id", userID); err != nil {
		return err
	}
	j, err := s.journey(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ws, err := reporting.WorkspaceOf(ctx)
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	sim := dryrun.Simulation{Workspace: ws, Journey: j, UserID: userID, Events: events,
		StartAt: time.Now().UTC().Truncate(time.Millisecond), Horizon: maxSimulatedTime, Idle: simulationTimeout,
		Templates: func(id string, locales []string) (reporting.Template, error) {
			return s.store.Template(ctx, id, locales)
		}}
	switch {
	case req.User != nil:
		region, err := s.phoneRegion(ctx)
		if err != nil {
			return err
		}
		if err := req.User.validate(region); err != nil {
			return err
		}
		u := req.User.user(userID)
		sim.Profile = &u
	case req.UserID != "":
		// The stored profile; a user without one runs as a real run of
		// such a user does, skipping every send.
		u, err := s.store.User(ctx, userID)
		switch {
		case err == nil:
			sim.Profile = &u
		case !errors.Is(err, reporting.ErrNotFound):
			return err
		}
	}
	res, err := s.simulations.run(ctx, sim)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, simulationResponse{JourneyID: j.ID, UserID: userID, Path: res.Path, Outcome: res.Outcome})
}

// simulationResponse is the answer of POST /v1/journeys/{id}/simulate.
type simulationResponse struct {
	JourneyID string        `json:"journey_id"`
	UserID    string        `json:"user_id"`
	Path      []dryrun.Step `json:"path"`
	Outcome   dryrun.Ending `json:"outcome"`
}

// simulations bounds the dry runs the API process does at once, and how
// long each may take: a simulation runs workflow code on the API's CPUs.
type simulations struct {
	slots   chan struct{}
	timeout time.Duration
}

func newSimulations(n int, timeout time.Duration) *simulations {
	return &simulations{slots: make(chan struct{}, n), timeout: timeout}
}

// run runs the simulation when a slot is free. One that takes longer than
// the timeout is answered with an error, and keeps its slot until it ends,
// so that slow simulations cannot pile up.
func (s *simulations) run(ctx context.Context, sim dryrun.Simulation) (dryrun.Result, error) {
	select {
	case s.slots <- struct{}{}:
	default:
		return dryrun.Result{}, Errorf(CodeUnavailable, "%d simulations are running already; retry in a few seconds", cap(s.slots))
	}
	type answer struct {
		res dryrun.Result
		err error
	}
	done := make(chan answer, 1)
	go func() {
		defer func() { <-s.slots }()
		res, err := dryrun.Simulate(context.WithoutCancel(ctx), sim)
		done <- answer{res, err}
	}()
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	select {
	case a := <-done:
		if a.err != nil {
			return dryrun.Result{}, fmt.Errorf("simulate journey %s: %w", sim.Journey.ID, a.err)
		}
		return a.res, nil
	case <-timer.C:
		return dryrun.Result{}, Errorf(CodeUnavailable, "the simulation took longer than %s; simulate fewer events, or a shorter stretch of the journey", s.timeout)
	case <-ctx.Done():
		return dryrun.Result{}, ctx.Err()
	}
}
