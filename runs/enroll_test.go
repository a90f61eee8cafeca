package runs_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"go.temporal.io/sdk/client"

	"journeys/reporting"
	"journeys/reporting/dbtest"
	"journeys/runs"
	"journeys/workflows/journey"
)

// starter is a Temporal client that keeps the input of the runs it is
// asked to start.
type starter struct {
	runs.Temporal
	started []journey.Input
}

func (s *starter) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	s.started = append(s.started, args[0].(journey.Input))
	return run{id: o.ID}, nil
}

func (s *starter) SignalWithStartWorkflow(ctx context.Context, _, _ string, _ any, o client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	return s.ExecuteWorkflow(ctx, o, wf, args...)
}

// run is a started run.
type run struct {
	client.WorkflowRun
	id string
}

func (r run) GetID() string    { return r.id }
func (r run) GetRunID() string { return "run-of-" + r.id }

func TestEnrollPassesTheJourneyControls(t *testing.T) {
	store, _ := dbtest.New(t)
	ctx := dbtest.Ctx()
	create := func(j reporting.Journey) reporting.Journey {
		t.Helper()
		j.Name, j.GoalEvent, j.Config = j.ID, "purchase", json.RawMessage(`{}`)
		out, err := store.CreateJourney(ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	own := &reporting.SendWindow{Days: []string{"sat", "sun"}, Start: "10:00", End: "18:00"}
	welcome := create(reporting.Journey{ID: "welcome", Type: "welcome_series", EntryEvent: "signed_up", Match: "account_id", SendWindow: own, Transactional: true})
	winback := create(reporting.Journey{ID: "winback", Type: "winback"})
	s := &starter{}
	en := &runs.Service{Store: store, Temporal: s}

	signup := &journey.Event{EventID: "e1", Name: "signed_up", Properties: map[string]any{"account_id": 42.0}}
	e, err := en.Enroll(ctx, welcome, "u1", "event:e1", signup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := en.Enroll(ctx, winback, "u1", "import:j1", nil); err != nil {
		t.Fatal(err)
	}

	if len(s.started) != 2 {
		t.Fatalf("started %d runs, want 2", len(s.started))
	}
	in := s.started[0]
	if in.SendWindow == nil || !reflect.DeepEqual(*in.SendWindow, *own) || !in.Transactional || in.Match != "account_id" || in.MatchValue != "42" {
		t.Errorf("welcome run input: window %v, transactional %v, match %q = %q; want the journey's window, true, account_id = 42",
			in.SendWindow, in.Transactional, in.Match, in.MatchValue)
	}
	if e.MatchProperty != "account_id" || e.MatchValue != "42" {
		t.Errorf("enrollment match %q = %q, want account_id = 42", e.MatchProperty, e.MatchValue)
	}
	// A journey without a window of its own gets its type's.
	in = s.started[1]
	if w := in.SendWindow; w == nil || w.Start != "09:00" || w.End != "21:00" || in.Transactional || in.Match != "" || in.MatchValue != "" {
		t.Errorf("winback run input: window %v, transactional %v, match %q = %q; want the type's daily window and nothing else",
			in.SendWindow, in.Transactional, in.Match, in.MatchValue)
	}
}
