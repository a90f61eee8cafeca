package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"go.temporal.io/api/serviceerror"
	"golang.org/x/sync/errgroup"

	"journeys/reporting"
	"journeys/workflows/journey"
)

// eventRequest is one user event as the app sends it.
type eventRequest struct {
	EventID    string          `json:"event_id"`
	UserID     string          `json:"user_id"`
	Name       string          `json:"name"`
	Properties json.RawMessage `json:"properties"`
	OccurredAt *time.Time      `json:"occurred_at"`
}

// eventResult says what an event did.
type eventResult struct {
	EventID string `json:"event_id"`
	// Duplicate is true when the event_id was stored before; the event is
	// then processed no further than it was the first time.
	Duplicate bool `json:"duplicate"`
	// Signalled counts the active runs the event reached as a goal or exit.
	Signalled int `json:"signalled"`
	// Entries are the journeys the event is the entry event of, and what it
	// did to each.
	Entries []entryResult `json:"entries"`
	// Error is set, in batch results only, when the event was refused.
	Error *Error `json:"error,omitempty"`
}

// entryResult is what an entry event did to one journey.
type entryResult struct {
	JourneyID string `json:"journey_id"`
	Outcome   string `json:"outcome"` // enrolled, already_enrolled or not_eligible
	Reason    string `json:"reason,omitempty"`
	RunID     string `json:"run_id,omitempty"`
}

const maxEventName = 100

func (r eventRequest) validate() (reporting.Event, error) {
	if strings.TrimSpace(r.EventID) == "" || len(r.EventID) > 200 {
		return reporting.Event{}, Errorf(CodeInvalid, "event_id is required (at most 200 characters): send the same id when you retry")
	}
	if err := checkID("user_id", r.UserID); err != nil {
		return reporting.Event{}, err
	}
	if strings.TrimSpace(r.Name) == "" || len(r.Name) > maxEventName {
		return reporting.Event{}, Errorf(CodeInvalid, "name is required (at most %d characters), such as \"purchase\"", maxEventName)
	}
	props := r.Properties
	if len(props) == 0 || string(props) == "null" {
		props = json.RawMessage(`{}`)
	} else if props[0] != '{' {
		return reporting.Event{}, Errorf(CodeInvalid, "properties must be a JSON object, such as {\"revenue\": 120}")
	}
	occurred := time.Now().UTC()
	if r.OccurredAt != nil {
		occurred = r.OccurredAt.UTC()
	}
	return reporting.Event{EventID: r.EventID, UserID: r.UserID, Name: r.Name, Properties: props, OccurredAt: occurred}, nil
}

// postEvent stores a user event, brings it to the user's active runs of
// journeys whose goal or exit it is, and enrolls the user into journeys it
// is the entry event of.
func (s *Server) postEvent(c echo.Context) error {
	var req eventRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	ev, err := req.validate()
	if err != nil {
		return err
	}
	res, err := s.ingest(c.Request().Context(), ev)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, res)
}

// maxEvents bounds a batch of events.
const maxEvents = 1000

// postEvents takes up to 1,000 events with a result per event. Each user's
// events are processed in the order given; different users' in parallel.
func (s *Server) postEvents(c echo.Context) error {
	var req struct {
		Events []eventRequest `json:"events"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if len(req.Events) == 0 || len(req.Events) > maxEvents {
		return Errorf(CodeInvalid, "events must list 1 to %d events", maxEvents)
	}
	results := make([]eventResult, len(req.Events))
	byUser := map[string][]int{}
	var users []string
	for i, r := range req.Events {
		if _, ok := byUser[r.UserID]; !ok {
			users = append(users, r.UserID)
		}
		byUser[r.UserID] = append(byUser[r.UserID], i)
	}
	ctx := c.Request().Context()
	var g errgroup.Group
	g.SetLimit(16)
	for _, u := range users {
		g.Go(func() error {
			for _, i := range byUser[u] {
				results[i] = s.ingestOne(ctx, req.Events[i])
			}
			return nil
		})
	}
	_ = g.Wait()
	return c.JSON(http.StatusOK, map[string]any{"results": results})
}

// ingestOne processes one event of a batch, turning its error into its
// result.
func (s *Server) ingestOne(ctx context.Context, r eventRequest) eventResult {
	ev, err := r.validate()
	if err == nil {
		var res eventResult
		if res, err = s.ingest(ctx, ev); err == nil {
			return res
		}
	}
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		s.log.ErrorContext(ctx, "ingest event", "event_id", r.EventID, "error", err)
		apiErr = Errorf(CodeInternal, "the event could not be processed; retry it with the same event_id")
	}
	return eventResult{EventID: r.EventID, Entries: []entryResult{}, Error: apiErr}
}

// ingest stores ev and acts on it. A repeated event_id is stored once and
// acts as the stored event did: it is signalled again, which the runs
// ignore, so that a client retrying after a failed request cannot lose the
// signal; journeys it already entered are not entered again.
func (s *Server) ingest(ctx context.Context, ev reporting.Event) (eventResult, error) {
	stored, inserted, err := s.store.InsertEvent(ctx, ev)
	if err != nil {
		return eventResult{}, err
	}
	res := eventResult{EventID: stored.EventID, Duplicate: !inserted, Entries: []entryResult{}}
	var props map[string]any
	_ = json.Unmarshal(stored.Properties, &props)
	signal := journey.Event{EventID: stored.EventID, Name: stored.Name, OccurredAt: stored.OccurredAt, Properties: props}

	runs, err := s.store.ActiveEnrollmentsForEvent(ctx, stored)
	if err != nil {
		return eventResult{}, err
	}
	for _, e := range runs {
		err := s.enroller.Signal(ctx, e, journey.EventSignalName, signal)
		var gone *serviceerror.NotFound
		if errors.As(err, &gone) {
			s.reconcile(ctx, e)
			continue
		}
		if err != nil {
			return eventResult{}, Errorf(CodeUnavailable, "the event is stored but could not reach journey %s; retry with the same event_id", e.JourneyID)
		}
		res.Signalled++
	}

	journeys, err := s.store.JourneysEnteredBy(ctx, stored.Name)
	if err != nil {
		return eventResult{}, err
	}
	// Only a repeated event can have entered journeys already.
	done := map[string]reporting.EntryOutcome{}
	if !inserted && len(journeys) > 0 {
		if done, err = s.store.Entries(ctx, stored.EventID); err != nil {
			return eventResult{}, err
		}
	}
	for _, j := range journeys {
		if prior, ok := done[j.ID]; ok {
			res.Entries = append(res.Entries, entryResult{JourneyID: j.ID, Outcome: prior.Outcome, Reason: prior.Reason})
			continue
		}
		entry, err := s.enter(ctx, j, stored, signal)
		if err != nil {
			return eventResult{}, err
		}
		res.Entries = append(res.Entries, entry)
	}
	return res, nil
}

// reconcile ends e when Temporal closed its run behind the service's back;
// a run that closed by itself has ended e already. A failure is left to
// the sweep: the event is stored and answered either way.
func (s *Server) reconcile(ctx context.Context, e reporting.Enrollment) {
	if _, err := s.reconciler.Reconcile(ctx, e); err != nil {
		s.log.WarnContext(ctx, "reconcile a closed run", "workflow_id", e.WorkflowID, "run_id", e.RunID, "error", err)
	}
}

// enter enrolls the event's user into journey j, which ev is the entry
// event of, and records the outcome.
func (s *Server) enter(ctx context.Context, j reporting.Journey, ev reporting.Event, signal journey.Event) (entryResult, error) {
	r := entryResult{JourneyID: j.ID}
	e, err := s.enroller.Enroll(ctx, j, ev.UserID, "event:"+ev.EventID, &signal)
	if r.Outcome, r.Reason, err = reporting.EnrollOutcome(e.Created, err); err != nil {
		return r, enrollError(j, err)
	}
	r.RunID = e.RunID
	if err := s.store.RecordEntry(ctx, ev.EventID, j.ID, ev.UserID, r.Outcome, r.Reason); err != nil {
		return r, fmt.Errorf("record entry: %w", err)
	}
	return r, nil
}
