package runs_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"journeys/metrics"
	"journeys/reporting"
	"journeys/reporting/dbtest"
	"journeys/runs"
)

// outage is a Temporal that starts runs but, while down, refuses every
// signal, as a Temporal that is unreachable or rejects the event does.
type outage struct {
	starter
	down    atomic.Bool
	signals atomic.Int32
}

func (o *outage) SignalWorkflow(context.Context, string, string, string, any) error {
	o.signals.Add(1)
	if o.down.Load() {
		return serviceerror.NewUnavailable("temporal is down")
	}
	return nil
}

func (o *outage) SignalWithStartWorkflow(ctx context.Context, id, signal string, arg any, _ client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	if err := o.SignalWorkflow(ctx, id, "", signal, arg); err != nil {
		return nil, err
	}
	return run{id: id}, nil
}

// cartRuns returns a service over a fresh store whose users are enrolled
// in a cart journey with the purchase as its goal, on a Temporal that
// starts runs and refuses signals while down.
func cartRuns(t *testing.T, users ...string) (*runs.Service, *outage, *metrics.Metrics) {
	t.Helper()
	store, _ := dbtest.New(t)
	ctx := dbtest.Ctx()
	j, err := store.CreateJourney(ctx, reporting.Journey{ID: "cart", Name: "Cart", Type: "cart_abandonment", GoalEvent: "purchase", Config: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	temporal, m := &outage{}, metrics.New()
	svc := &runs.Service{Store: store, Temporal: temporal, Metrics: m}
	for _, u := range users {
		if _, err := svc.Enroll(ctx, j, u, "api", nil); err != nil {
			t.Fatal(err)
		}
	}
	return svc, temporal, m
}

// counted fails t unless m serves the metric line want.
func counted(t *testing.T, m *metrics.Metrics, want string) {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), want) {
		t.Errorf("metrics lack %s", want)
	}
}

// TestSweepGivesUpOnARefusedEvent stores a purchase for a run while Temporal
// refuses every signal and checks that the sweep keeps the event, with the
// reason, while it is younger than GiveUpAfter, then gives it up with the
// error counted, and takes it no more once Temporal is back.
func TestSweepGivesUpOnARefusedEvent(t *testing.T) {
	svc, temporal, m := cartRuns(t, "u1")
	store, ctx := svc.Store.(*reporting.Store), dbtest.Ctx()
	temporal.down.Store(true)
	if _, err := svc.Ingest(ctx, reporting.Event{EventID: "p1", UserID: "u1", Name: "purchase", OccurredAt: time.Now()}); err == nil {
		t.Fatal("the purchase reached its run while Temporal refused every signal")
	}
	svc.Deliveries = runs.NewDeliveries(svc, runs.DeliveryOptions{GiveUpAfter: time.Hour})

	type row struct {
		Attempts  int     `db:"attempts"`
		LastError *string `db:"last_error"`
		GaveUp    bool    `db:"gave_up"`
	}
	sweepDue := func() row {
		t.Helper()
		if _, err := store.DB().Exec(`UPDATE event_deliveries SET deliver_by = now() WHERE isfinite(deliver_by)`); err != nil {
			t.Fatal(err)
		}
		if err := svc.Deliveries.SweepUndelivered(context.Background()); err != nil {
			t.Fatal(err)
		}
		var r row
		if err := store.DB().Get(&r, `SELECT attempts, last_error, gave_up_at IS NOT NULL AS gave_up FROM event_deliveries WHERE event_id = 'p1'`); err != nil {
			t.Fatalf("the purchase is no longer listed undelivered: %v", err)
		}
		return r
	}

	if r := sweepDue(); r.Attempts != 1 || r.LastError == nil || !strings.Contains(*r.LastError, "temporal is down") || r.GaveUp {
		t.Errorf("after a refused sweep: %+v; want attempt 1, Temporal's error, not given up", r)
	}
	if _, err := store.DB().Exec(`UPDATE events SET received_at = now() - interval '2 hours' WHERE event_id = 'p1'`); err != nil {
		t.Fatal(err)
	}
	if r := sweepDue(); r.Attempts != 2 || !r.GaveUp {
		t.Errorf("after a refused sweep two hours on: %+v; want attempt 2, given up", r)
	}
	counted(t, m, `journeys_events_delivered_total{outcome="given_up"} 1`)

	temporal.down.Store(false)
	before := temporal.signals.Load()
	if r := sweepDue(); r.Attempts != 2 || !r.GaveUp || temporal.signals.Load() != before {
		t.Errorf("a sweep with Temporal back: %+v after %d more signals; want the given-up event left alone", r, temporal.signals.Load()-before)
	}
}

// TestAFullQueueLeavesEventsToTheSweep gives deliveries one queue of one
// event and checks that an event finding it full is still answered and
// stored, counted as left to the sweep, and brought to its run by the
// sweep, while the queued one is delivered when the deliveries stop.
func TestAFullQueueLeavesEventsToTheSweep(t *testing.T) {
	svc, temporal, m := cartRuns(t, "u1", "u2")
	store, ctx := svc.Store.(*reporting.Store), dbtest.Ctx()
	// Not started: the one queue holds the first event until Stop drains it.
	d := runs.NewDeliveries(svc, runs.DeliveryOptions{Workers: 1, Queue: 1})
	svc.Deliveries = d
	for _, u := range []string{"u1", "u2"} {
		res, err := svc.Ingest(ctx, reporting.Event{EventID: "p-" + u, UserID: u, Name: "purchase", OccurredAt: time.Now()})
		if err != nil || res.Signalled != 1 {
			t.Fatalf("purchase of %s = %+v, %v; want it answered, going to one run", u, res, err)
		}
	}
	counted(t, m, `journeys_events_delivered_total{outcome="left_to_sweep"} 1`)

	listed := func() []string {
		t.Helper()
		var ids []string
		if err := store.DB().Select(&ids, `SELECT event_id FROM event_deliveries ORDER BY event_id`); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	d.Start()
	stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d.Stop(stop)
	if got := listed(); len(got) != 1 || got[0] != "p-u2" || temporal.signals.Load() != 1 {
		t.Fatalf("after the deliveries stopped: listed %v, %d signals; want p-u2 alone left, p-u1 signalled", got, temporal.signals.Load())
	}
	if _, err := store.DB().Exec(`UPDATE event_deliveries SET deliver_by = now()`); err != nil {
		t.Fatal(err)
	}
	if err := svc.Deliveries.SweepUndelivered(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := listed(); len(got) != 0 || temporal.signals.Load() != 2 {
		t.Errorf("after the sweep: listed %v, %d signals; want none left, both signalled", got, temporal.signals.Load())
	}
}
