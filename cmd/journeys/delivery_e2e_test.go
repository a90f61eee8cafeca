package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"journeys/api"
	"journeys/runs"
)

// TestEventsReachARunInTheOrderSent sends a user's events one at a time
// and in a batch, each answered before it reaches the run, and checks that
// the run's history takes them in the order they were sent, and that
// every event ends up marked delivered.
func TestEventsReachARunInTheOrderSent(t *testing.T) {
	s := startStack(t)
	s.mustCall("POST", "/v1/journeys", longJourney("long", nil), 201, nil)
	var run enrollment
	s.mustCall("POST", "/v1/journeys/long/enrollments", map[string]string{"user_id": "u1"}, 202, &run)

	// Purchases from before the enrollment reach the run, which takes
	// them without converting.
	before := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	purchase := func(id string) map[string]any {
		return map[string]any{"event_id": id, "user_id": "u1", "name": "purchase", "occurred_at": before}
	}
	var sent []string
	for i := range 10 {
		id := fmt.Sprintf("one-%02d", i)
		var answer eventAnswer
		s.mustCall("POST", "/v1/events", purchase(id), 202, &answer)
		if answer.Signalled != 1 {
			t.Fatalf("%s went to %d runs, want 1", id, answer.Signalled)
		}
		sent = append(sent, id)
	}
	var batch []map[string]any
	for i := range 40 {
		id := fmt.Sprintf("batch-%02d", i)
		batch = append(batch, purchase(id))
		sent = append(sent, id)
	}
	s.mustCall("POST", "/v1/events/batch", map[string]any{"events": batch}, 200, nil)

	var got []string
	waitUntil(t, 30*time.Second, func() bool {
		got = s.signalledEvents(run.WorkflowID, run.RunID)
		return len(got) >= len(sent)
	})
	if !slices.Equal(got, sent) {
		t.Errorf("the run took the events in the order\n%v\nwant\n%v", got, sent)
	}
	var undelivered int
	waitUntil(t, 10*time.Second, func() bool {
		if err := s.store.DB().Get(&undelivered, `SELECT count(*) FROM event_deliveries`); err != nil {
			t.Fatal(err)
		}
		return undelivered == 0
	})
	if e := s.waitFor("long", "u1", func(enrollment) bool { return true }); e.Status != "active" {
		t.Errorf("u1 = %s, want active: the purchases happened before the enrollment", e.Status)
	}
}

// TestUndeliveredEventsAreRedelivered answers a purchase from an API
// process whose Temporal refuses every signal, as during an outage or
// before a crash: the event is stored and answered, and the sweep of
// another process brings it to the run, which converts.
func TestUndeliveredEventsAreRedelivered(t *testing.T) {
	s := startStack(t, func(c *config) {
		c.Deliveries = runs.DeliveryOptions{SweepEvery: 200 * time.Millisecond, RedeliverAfter: time.Second}
	})
	s.mustCall("POST", "/v1/journeys", longJourney("long", nil), 201, nil)
	s.mustCall("POST", "/v1/journeys/long/enrollments", map[string]string{"user_id": "buyer"}, 202, nil)

	cfg := api.Config{Store: s.store, Temporal: refusing{s.temporal}, APIKey: testKey, Log: slog.New(slog.DiscardHandler)}
	cfg.Runs = api.NewRuns(cfg)
	cfg.Runs.Deliveries = runs.NewDeliveries(cfg.Runs, runs.DeliveryOptions{RedeliverAfter: time.Second, SweepEvery: time.Hour})
	cfg.Runs.Deliveries.Start()
	down := httptest.NewServer(api.New(cfg))
	t.Cleanup(func() {
		down.Close()
		cfg.Runs.Deliveries.Stop(context.Background())
	})
	broken := &stack{t: t, base: down.URL}

	a := broken.event("p1", "buyer", "purchase")
	if a.Signalled != 1 {
		t.Errorf("purchase went to %d runs, want 1", a.Signalled)
	}
	e := s.waitFor("long", "buyer", ended)
	if e.Status != "converted" {
		t.Errorf("buyer = %s, want converted by the redelivered purchase", e.Status)
	}
	var undelivered int
	if err := s.store.DB().Get(&undelivered, `SELECT count(*) FROM event_deliveries WHERE event_id = 'p1'`); err != nil || undelivered != 0 {
		t.Errorf("p1 still undelivered (%d, %v); want delivered", undelivered, err)
	}
}

// refusing is a Temporal client during an outage: it signals nothing.
type refusing struct{ client.Client }

func (refusing) SignalWorkflow(context.Context, string, string, string, any) error {
	return serviceerror.NewUnavailable("connection refused")
}

func (refusing) SignalWithStartWorkflow(context.Context, string, string, any, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	return nil, serviceerror.NewUnavailable("connection refused")
}

// signalledEvents lists the event_ids of the events a run's history took,
// in order.
func (s *stack) signalledEvents(workflowID, runID string) []string {
	s.t.Helper()
	var ids []string
	it := s.temporal.GetWorkflowHistory(context.Background(), workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			s.t.Fatal(err)
		}
		attrs := ev.GetWorkflowExecutionSignaledEventAttributes()
		if attrs == nil || len(attrs.GetInput().GetPayloads()) == 0 {
			continue
		}
		var e struct{ EventID string }
		if err := converter.GetDefaultDataConverter().FromPayload(attrs.GetInput().GetPayloads()[0], &e); err != nil {
			s.t.Fatal(err)
		}
		if e.EventID != "" {
			ids = append(ids, e.EventID)
		}
	}
	return ids
}

// waitUntil polls done until it holds, failing the test after within.
func waitUntil(t *testing.T, within time.Duration, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !done(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not done within %s", within)
		}
	}
}
