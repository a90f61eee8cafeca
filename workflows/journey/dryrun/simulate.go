package dryrun

import (
	"context"
	"fmt"
	"time"

	"journeys/activities"
	"journeys/reporting"
	"journeys/workflows"
	"journeys/workflows/journey"
)

// Simulation asks what one user would go through in a journey, given what
// they do and when.
type Simulation struct {
	// Workspace is the workspace of the journey and the user; "" is the
	// default one.
	Workspace string
	Journey   reporting.Journey
	// UserID names the user: sticky variants and the run's workflow id
	// read it.
	UserID string
	// Profile is the user's profile; nil for a user without one.
	Profile *reporting.User
	// Events are what the user does after the enrollment, in any order.
	// An entry event at 0s is the event that enrolled the user.
	Events []ScriptedEvent
	// Templates reads the templates the sends render; nil renders one
	// English template for every id.
	Templates func(id string, locales []string) (reporting.Template, error)
	// StartAt is when the user enrolls: send windows and waits until a
	// time of day are judged from it. Zero is now.
	StartAt time.Time
	// Horizon is how long after the enrollment the simulation follows the
	// run; a run still going then is reported unfinished.
	Horizon time.Duration
	// Idle is how long, on the wall clock, the run may sit with nothing to
	// do before the simulation gives up (see Run.Idle).
	Idle time.Duration
}

// ScriptedEvent is something the user does during a simulation.
type ScriptedEvent struct {
	Name       string
	After      time.Duration
	Properties map[string]any
}

// Step is one thing the run did, as the reporting log would show it.
type Step struct {
	// Node is the flow node, for flows; Step the step of a journey type
	// written in Go. Both are empty for the enrollment and the end.
	Node string `json:"node,omitempty"`
	Step string `json:"step,omitempty"`
	// At is the time after the enrollment, such as "24h" or "1h30m".
	At string `json:"at"`
	// Action is the log entry's kind: enrolled, sent, skipped, failed,
	// deferred, variant, profile_updated, converted, exited.
	Action   string `json:"action"`
	Channel  string `json:"channel,omitempty"`
	Template string `json:"template,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

// Ending is how the simulated run ended: its status (converted, exited,
// removed, or active when it was still going at the horizon), why, and
// when after the enrollment.
type Ending struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	At     string `json:"at"`
}

// Result is the path the user would take, and how it ends.
type Result struct {
	Path    []Step `json:"path"`
	Outcome Ending `json:"outcome"`
}

// simulatedEnrollment is the enrollment id of every simulated run.
const simulatedEnrollment = 1

// offerSecret keys the discount codes of simulated messages: they are not
// the user's real codes, which nobody should learn from a simulation.
var offerSecret = []byte("dry run")

// Simulate runs the journey's own workflow for the user in the test
// environment, with the real activities over an in-memory store: it sends
// nothing and writes nothing, and its path is the one a real run takes.
func Simulate(ctx context.Context, s Simulation) (Result, error) {
	typ, ok := workflows.Lookup(s.Journey.Type)
	if !ok {
		return Result{}, fmt.Errorf("journey %s has unknown type %q", s.Journey.ID, s.Journey.Type)
	}
	if s.StartAt.IsZero() {
		s.StartAt = time.Now().UTC()
	}
	store := NewStore()
	if s.Profile != nil {
		p := *s.Profile
		p.ID = s.UserID
		store = NewStore(p)
	}
	// The run sees the journey as it is, running, whatever its status: the
	// simulation asks what it does when it runs.
	active := s.Journey
	active.Status = reporting.JourneyActive
	store.JourneyFn = func() reporting.Journey { return active }
	store.TemplateFn = s.Templates

	ws := activities.RunWorkspace(s.Workspace)
	e := reporting.Enrollment{ID: simulatedEnrollment, Workspace: ws, JourneyID: s.Journey.ID, UserID: s.UserID,
		WorkflowID: journey.WorkflowID(ws, s.Journey.ID, s.UserID), EnrolledAt: s.StartAt, MatchProperty: s.Journey.Match}
	var script []At
	var trigger *journey.Event
	for i, ev := range s.Events {
		if i == 0 && ev.After == 0 && ev.Name == s.Journey.EntryEvent {
			trigger = &journey.Event{EventID: "events[0]", Name: ev.Name, OccurredAt: s.StartAt, Properties: ev.Properties}
			e.MatchValue = reporting.MatchValue(ev.Properties, s.Journey.Match)
			continue
		}
		// Each its own event, even two alike at the same time, named by its
		// place in the request.
		script = append(script, Signal(ev.After, journey.Event{EventID: fmt.Sprintf("events[%d]", i), Name: ev.Name, Properties: ev.Properties}))
	}
	run := Run{Workflow: typ.Workflow, WorkflowID: e.WorkflowID, Input: workflows.RunInput(typ, s.Journey, e, trigger),
		Store: store, Outbox: &Outbox{}, OfferSecret: offerSecret, Script: script, StartAt: s.StartAt,
		Horizon: s.Horizon, Idle: s.Idle}
	out, err := run.Execute(ctx)
	if err != nil {
		return Result{}, err
	}
	res := Result{Path: path(s.Journey.Type == "flow", store.Entries(), s.StartAt)}
	res.Outcome = Ending{Status: out.Result.Status, Reason: out.Result.Reason, At: offset(out.Elapsed)}
	if out.Unfinished {
		res.Outcome = Ending{Status: reporting.StatusActive, At: offset(out.Elapsed),
			Reason: fmt.Sprintf("still running %s after the enrollment, when the simulation stops", journey.Short(s.Horizon))}
	}
	return res, nil
}

// offset writes a time after the enrollment to the millisecond: "24h3m1.25s".
func offset(d time.Duration) string { return journey.Short(d.Round(time.Millisecond)) }

// path turns the run's log into its path, timed from the enrollment.
func path(flow bool, entries []reporting.Entry, enrolled time.Time) []Step {
	out := make([]Step, 0, len(entries))
	for _, e := range entries {
		s := Step{At: offset(e.At.Sub(enrolled)), Action: e.Kind, Channel: e.Channel, Template: e.Template, Detail: e.Detail}
		if flow {
			s.Node = e.StepID
		} else {
			s.Step = e.StepID
		}
		out = append(out, s)
	}
	return out
}
