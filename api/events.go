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
	// OccurredAt is an RFC 3339 time; "" means now.
	OccurredAt string `json:"occurred_at"`
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

// validate checks the event against the limits of limits.go and returns
// it as stored; now is when it was received.
func (r eventRequest) validate(now time.Time) (reporting.Event, error) {
	if strings.TrimSpace(r.EventID) == "" {
		return reporting.Event{}, Errorf(CodeInvalid, "event_id is required: send the same id when you retry")
	}
	if err := checkLength("event_id", r.EventID, maxEventIDLength); err != nil {
		return reporting.Event{}, err
	}
	if err := checkID("user_id", r.UserID); err != nil {
		return reporting.Event{}, err
	}
	if strings.TrimSpace(r.Name) == "" {
		return reporting.Event{}, Errorf(CodeInvalid, "name is required, such as \"purchase\"")
	}
	if err := checkLength("name", r.Name, maxEventNameLength); err != nil {
		return reporting.Event{}, err
	}
	props := r.Properties
	if isNull(props) {
		props = json.RawMessage(`{}`)
	}
	if err := checkProperties(props); err != nil {
		return reporting.Event{}, err
	}
	occurred := now.UTC()
	if r.OccurredAt != "" {
		t, err := time.Parse(time.RFC3339Nano, r.OccurredAt)
		if err != nil {
			return reporting.Event{}, Errorf(CodeInvalid, "occurred_at %q is not an RFC 3339 time such as 2026-11-03T09:12:40Z", clip(r.OccurredAt))
		}
		if t.Before(earliestEvent) || t.After(now.Add(maxEventAhead)) {
			return reporting.Event{}, Errorf(CodeInvalid, "occurred_at %s is out of range: it must be from %s to %s after now",
				clip(r.OccurredAt), earliestEvent.Format(time.DateOnly), maxEventAhead)
		}
		occurred = t.UTC()
	}
	return reporting.Event{EventID: r.EventID, UserID: r.UserID, Name: r.Name, Properties: props, OccurredAt: occurred}, nil
}

// checkProperties checks an event's properties: an object of at most
// maxPropertiesSize bytes, whose revenue, when there is one, is a number
// from 0 to maxRevenue.
func checkProperties(props json.RawMessage) error {
	if err := checkObject("properties", props, `{"revenue": 120}`); err != nil {
		return err
	}
	if err := checkSize("properties", props, maxPropertiesSize); err != nil {
		return err
	}
	var p map[string]json.RawMessage
	if err := json.Unmarshal(props, &p); err != nil {
		return Errorf(CodeInvalid, "properties must be a JSON object")
	}
	if rev, ok := p["revenue"]; ok && !isNull(rev) {
		var f float64
		if err := json.Unmarshal(rev, &f); err != nil || f < 0 || f > maxRevenue {
			return Errorf(CodeInvalid, "properties.revenue must be a number from 0 to %.0f, not %s", maxRevenue, clip(string(rev)))
		}
	}
	return nil
}

// postEvent stores a user event, brings it to the user's active runs of
// journeys whose goal or exit it is, and enrolls the user into journeys it
// is the entry event of.
func (s *Server) postEvent(c echo.Context) error {
	var req eventRequest
	if err := bind(c, &req, maxEventBody); err != nil {
		return err
	}
	ev, err := req.validate(time.Now())
	if err != nil {
		return err
	}
	res, err := s.ingest(c.Request().Context(), ev)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, res)
}

// postEvents takes up to 1,000 events with a result per event. An event
// that is not valid gets its error and the others go on. Each user's events
// are processed in the order given; different users' in parallel.
func (s *Server) postEvents(c echo.Context) error {
	items, err := bindBatch(c, maxEventBatchBody, "events")
	if err != nil {
		return err
	}
	if len(items) == 0 || len(items) > maxEvents {
		return Errorf(CodeInvalid, "events must list 1 to %d events, not %d", maxEvents, len(items))
	}
	results := make([]eventResult, len(items))
	events := make([]eventRequest, len(items))
	byUser := map[string][]int{}
	var users []string
	for i, item := range items {
		if err := decode(item, "the event", &events[i]); err != nil {
			results[i] = s.eventFailed(c.Request().Context(), events[i].EventID, err)
			continue
		}
		u := events[i].UserID
		if _, ok := byUser[u]; !ok {
			users = append(users, u)
		}
		byUser[u] = append(byUser[u], i)
	}
	ctx := c.Request().Context()
	var g errgroup.Group
	g.SetLimit(16)
	for _, u := range users {
		g.Go(func() error {
			for _, i := range byUser[u] {
				// Validated now, not before: an event without occurred_at
				// happened when it is processed, after the user's earlier
				// events of the batch.
				ev, err := events[i].validate(time.Now())
				var res eventResult
				if err == nil {
					res, err = s.ingest(ctx, ev)
				}
				if err != nil {
					res = s.eventFailed(ctx, events[i].EventID, err)
				}
				results[i] = res
			}
			return nil
		})
	}
	_ = g.Wait()
	return c.JSON(http.StatusOK, map[string]any{"results": results})
}

// eventFailed is the result of an event of a batch that was refused or
// failed. A refusal says what to fix; only a failure of the service says to
// retry.
func (s *Server) eventFailed(ctx context.Context, eventID string, err error) eventResult {
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		s.log.ErrorContext(ctx, "ingest event", "event_id", eventID, "error", err)
		apiErr = Errorf(CodeInternal, "the event could not be processed; retry it with the same event_id")
	}
	return eventResult{EventID: eventID, Entries: []entryResult{}, Error: apiErr}
}

// ingest stores ev and acts on it. A repeated event_id is stored once and
// acts as the stored event did: it is signalled again, which the runs
// ignore, so that a client retrying after a failed request cannot lose the
// signal; journeys it already entered are not entered again.
func (s *Server) ingest(ctx context.Context, ev reporting.Event) (eventResult, error) {
	// The event is stored while the runs and journeys it concerns are looked
	// up: three round trips to Postgres in the time of one. A repeated
	// event_id acts as stored, so it is looked up again as stored.
	var (
		stored   reporting.Event
		inserted bool
		runs     []reporting.Enrollment
		journeys []reporting.Journey
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		stored, inserted, err = s.store.InsertEvent(gctx, ev)
		return err
	})
	g.Go(func() (err error) {
		runs, journeys, err = s.route(gctx, ev)
		return err
	})
	if err := g.Wait(); err != nil {
		return eventResult{}, err
	}
	if !inserted {
		var err error
		if runs, journeys, err = s.route(ctx, stored); err != nil {
			return eventResult{}, err
		}
	}
	res := eventResult{EventID: stored.EventID, Duplicate: !inserted, Entries: []entryResult{}}
	if inserted {
		s.metrics.EventIngested("stored")
	} else {
		s.metrics.EventIngested("duplicate")
	}
	var props map[string]any
	_ = json.Unmarshal(stored.Properties, &props)
	signal := journey.Event{EventID: stored.EventID, Name: stored.Name, OccurredAt: stored.OccurredAt, Properties: props}

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

	// Only a repeated event can have entered journeys already.
	done := map[string]reporting.EntryOutcome{}
	if !inserted && len(journeys) > 0 {
		var err error
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

// route looks up, at once, the active runs ev concerns and the journeys it
// is the entry event of.
func (s *Server) route(ctx context.Context, ev reporting.Event) (runs []reporting.Enrollment, journeys []reporting.Journey, err error) {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		runs, err = s.store.ActiveEnrollmentsForEvent(gctx, ev)
		return err
	})
	g.Go(func() (err error) {
		journeys, err = s.store.JourneysEnteredBy(gctx, ev.Name)
		return err
	})
	return runs, journeys, g.Wait()
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
