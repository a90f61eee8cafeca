package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"journeys/reporting"
	"journeys/runs"
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
	// Signalled counts the active runs the event goes to, after the answer:
	// as a goal, an exit or an event they wait for.
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
	res, err := s.runs.Ingest(c.Request().Context(), ev)
	if err != nil {
		return ingestError(err)
	}
	return c.JSON(http.StatusAccepted, newEventResult(res))
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
	g.SetLimit(batchWorkers)
	for _, u := range users {
		g.Go(func() error {
			for _, i := range byUser[u] {
				// Validated now, not before: an event without occurred_at
				// happened when it is processed, after the user's earlier
				// events of the batch.
				ev, err := events[i].validate(time.Now())
				var res runs.EventResult
				if err == nil {
					res, err = s.runs.Ingest(ctx, ev)
				}
				if err != nil {
					results[i] = s.eventFailed(ctx, events[i].EventID, ingestError(err))
					continue
				}
				results[i] = newEventResult(res)
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

// newEventResult is what an event did, as the API returns it.
func newEventResult(r runs.EventResult) eventResult {
	res := eventResult{EventID: r.EventID, Duplicate: r.Duplicate, Signalled: r.Signalled, Entries: make([]entryResult, 0, len(r.Entries))}
	for _, e := range r.Entries {
		res.Entries = append(res.Entries, entryResult{JourneyID: e.JourneyID, Outcome: e.Outcome, Reason: e.Reason, RunID: e.RunID})
	}
	return res
}

// ingestError maps the failures of an event onto API errors.
func ingestError(err error) error {
	var unreachable *runs.UnreachableError
	var entry *runs.EntryError
	switch {
	case errors.As(err, &unreachable):
		return Errorf(CodeUnavailable, "the event is stored but could not reach journey %s; retry with the same event_id", unreachable.JourneyID)
	case errors.As(err, &entry):
		var refused *Error
		if errors.As(enrollError(entry.Journey, entry.Err), &refused) {
			return refused
		}
	}
	// A failure of the service: logged with its context, answered as 500.
	return err
}
