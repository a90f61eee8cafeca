package runs

import (
	"context"
	"encoding/json"
	"fmt"

	"journeys/reporting"
	"journeys/workflows/journey"
)

// EventResult says what an event did.
type EventResult struct {
	EventID string
	// Duplicate is true when the event_id was stored before; the event is
	// then processed no further than it was the first time.
	Duplicate bool
	// Signalled counts the active runs the event goes to; for a
	// duplicate, 0 once the first copy reached them.
	Signalled int
	// Entries are the journeys the event is the entry event of, and what it
	// did to each.
	Entries []EntryResult
}

// EntryResult is what an entry event did to one journey.
type EntryResult struct {
	JourneyID string
	// Outcome is reporting.EntryEnrolled, EntryAlreadyEnrolled or
	// EntryNotEligible; Reason says why a user was not eligible.
	Outcome string
	Reason  string
	RunID   string
}

// UnreachableError is an event that is stored but could not be brought to
// a run it concerns; sending the event again brings it.
type UnreachableError struct {
	JourneyID string
	Err       error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("signal the run of journey %s: %v", e.JourneyID, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// EntryError is an entry event that could not enroll its user into
// Journey; Err is what Enroll returned.
type EntryError struct {
	Journey reporting.Journey
	Err     error
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("enter journey %s: %v", e.Journey.ID, e.Err)
}

func (e *EntryError) Unwrap() error { return e.Err }

// Ingest stores ev, brings it to the user's active runs of journeys that
// listen to it, and enrolls the user into journeys it is the entry event
// of. With s.Deliveries the runs get the event after Ingest returns, from
// the store if need be (see Deliveries); without, before, and a failure to
// reach a run is *UnreachableError. A repeated event_id is stored once and
// acts as the stored event did: it is brought again to the runs it
// concerns if its delivery is not done (the runs take an event_id once),
// and journeys it already entered are not entered again. Failures to enroll
// are *EntryError.
func (s *Service) Ingest(ctx context.Context, ev reporting.Event) (EventResult, error) {
	routed, err := s.Store.IngestEvent(ctx, ev, s.redeliverAfter())
	if err != nil {
		return EventResult{}, err
	}
	stored, inserted, runs, journeys := routed.Event, routed.Inserted, routed.Runs, routed.Journeys
	res := EventResult{EventID: stored.EventID, Duplicate: !inserted, Entries: []EntryResult{}}
	if inserted {
		s.Metrics.EventIngested("stored")
	} else {
		s.Metrics.EventIngested("duplicate")
	}
	signal := signalOf(stored)
	if !stored.Delivered {
		if err := s.deliver(ctx, stored, runs, signal); err != nil {
			return EventResult{}, err
		}
		res.Signalled = len(runs)
	}

	// Only a repeated event can have entered journeys already.
	done := map[string]reporting.EntryOutcome{}
	if !inserted && len(journeys) > 0 {
		var err error
		if done, err = s.Store.Entries(ctx, stored.EventID); err != nil {
			return EventResult{}, err
		}
	}
	for _, j := range journeys {
		if prior, ok := done[j.ID]; ok {
			res.Entries = append(res.Entries, EntryResult{JourneyID: j.ID, Outcome: prior.Outcome, Reason: prior.Reason})
			continue
		}
		entry, err := s.enter(ctx, j, stored, signal)
		if err != nil {
			return EventResult{}, err
		}
		res.Entries = append(res.Entries, entry)
	}
	return res, nil
}

// signalOf is ev as its runs get it.
func signalOf(ev reporting.Event) journey.Event {
	var props map[string]any
	_ = json.Unmarshal(ev.Properties, &props)
	return journey.Event{EventID: ev.EventID, Name: ev.Name, OccurredAt: ev.OccurredAt, Properties: props}
}

// deliver brings the stored event ev to runs: after the answer through
// s.Deliveries, else at once, marking it delivered.
func (s *Service) deliver(ctx context.Context, ev reporting.Event, runs []reporting.Enrollment, signal journey.Event) error {
	ws, err := reporting.WorkspaceOf(ctx)
	if err != nil {
		return err
	}
	if s.Deliveries != nil {
		if !s.Deliveries.add(delivery{workspace: ws, event: signal, runs: runs}, ev.UserID) {
			s.Metrics.EventsDelivered("left_to_sweep", 1)
		}
		return nil
	}
	if err := s.signalRuns(ctx, runs, signal); err != nil {
		s.log().WarnContext(ctx, "event stored but not brought to a run", "event_id", ev.EventID, "error", err)
		return err
	}
	return s.Store.EventsDelivered(ctx, []reporting.EventKey{{Workspace: ws, EventID: ev.EventID}})
}

// reconcile ends e when Temporal closed its run behind the service's back;
// a run that closed by itself has ended e already. A failure is left to
// the sweep: the event is stored and answered either way.
func (s *Service) reconcile(ctx context.Context, e reporting.Enrollment) {
	if s.Reconciler == nil {
		return
	}
	if _, err := s.Reconciler.Reconcile(ctx, e); err != nil {
		s.log().WarnContext(ctx, "reconcile a closed run", "workflow_id", e.WorkflowID, "run_id", e.RunID, "error", err)
	}
}

// enter enrolls the event's user into journey j, which ev is the entry
// event of, and records the outcome.
func (s *Service) enter(ctx context.Context, j reporting.Journey, ev reporting.Event, signal journey.Event) (EntryResult, error) {
	r := EntryResult{JourneyID: j.ID}
	e, err := s.Enroll(ctx, j, ev.UserID, "event:"+ev.EventID, &signal)
	if r.Outcome, r.Reason, err = reporting.EnrollOutcome(e.Created, err); err != nil {
		return r, &EntryError{Journey: j, Err: err}
	}
	r.RunID = e.RunID
	if err := s.Store.RecordEntry(ctx, ev.EventID, j.ID, ev.UserID, r.Outcome, r.Reason); err != nil {
		return r, fmt.Errorf("record entry: %w", err)
	}
	return r, nil
}
