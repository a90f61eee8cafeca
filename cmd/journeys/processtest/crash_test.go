package processtest

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"journeys/channels/channelstest"
)

// TestCrashes runs 500 users through a three-touch webhook journey on the
// production topology, separate processes for Temporal, the API and two
// workers, and SIGKILLs a worker five times and the Temporal server once
// while they run, restarting each. Every run ends, and every touch of every
// enrollment reaches the receiver; a touch may arrive twice only where the
// README's exactly-once table allows it for webhooks: a worker killed
// between the receiver's answer and the record of the send.
func TestCrashes(t *testing.T) {
	const users, touches = 500, 3
	began := time.Now()
	hook := channelstest.NewWebhook(t, webhookSecret)
	d := newDeployment(t, "JOURNEYS_WEBHOOK_URL="+hook.URL, "JOURNEYS_WEBHOOK_SECRET="+webhookSecret,
		"JOURNEYS_WEBHOOK_RATE=0")
	temporal := d.startTemporal()
	d.migrate()
	_, base := d.startAPI()
	workers := d.startWorkers("worker1", "worker2")
	a := api{t: t, base: base}
	a.cartJourney("crash", "3s", "webhook", "webhook", "webhook")
	ids := a.users(users)
	a.enroll("crash", ids)
	enrolled := time.Now()

	// Kills a few seconds apart while the touches go out: workers in turn,
	// the Temporal server fourth.
	var kills []time.Time // of workers
	workerKills := 0
	for i := range 6 {
		time.Sleep(3 * time.Second)
		if i == 3 {
			temporal.kill()
			temporal = d.startTemporal()
			continue
		}
		w := workers[workerKills%2]
		w.kill()
		kills = append(kills, time.Now()) // when the worker had exited
		workers[workerKills%2] = d.startWorkers(w.name)[0]
		workerKills++
	}
	killed := time.Now()

	// Every enrollment ends and every touch arrives.
	deadline := time.Now().Add(8 * time.Minute)
	for {
		var active int
		if err := d.store.DB().Get(&active, `SELECT count(*) FROM enrollments WHERE status = 'active'`); err != nil {
			t.Fatal(err)
		}
		if active == 0 && len(distinct(hook.Received())) == users*touches {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("8 minutes after the kills, %d enrollments are active and %d of %d touches arrived",
				active, len(distinct(hook.Received())), users*touches)
		}
		time.Sleep(500 * time.Millisecond)
	}
	done := time.Now()

	var statuses []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := d.store.DB().Select(&statuses, `SELECT status, count(*) AS n FROM enrollments GROUP BY status`); err != nil {
		t.Fatal(err)
	}
	if len(statuses) != 1 || statuses[0].Status != "exited" || statuses[0].N != users {
		t.Errorf("enrollments by status = %+v, want all %d exited", statuses, users)
	}
	c, err := client.Dial(client.Options{HostPort: d.temporal, Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for q, want := range map[string]int64{
		`WorkflowId STARTS_WITH "default/journey/crash/" AND ExecutionStatus = "Running"`:   0,
		`WorkflowId STARTS_WITH "default/journey/crash/" AND ExecutionStatus = "Completed"`: users,
	} {
		// Visibility follows the runs' ends with a delay.
		var got int64
		for wait := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
			res, err := c.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{Query: q})
			if err != nil {
				t.Fatal(err)
			}
			if got = res.GetCount(); got == want || time.Now().After(wait) {
				break
			}
		}
		if got != want {
			t.Errorf("Temporal counts %d runs for %s, want %d", got, q, want)
		}
	}

	// Each enrollment got its three touches, each under its own key.
	got := hook.Received()
	byUser := map[string]map[string]bool{}
	for _, p := range got {
		if byUser[p.UserID] == nil {
			byUser[p.UserID] = map[string]bool{}
		}
		byUser[p.UserID][p.IdempotencyKey] = true
	}
	for _, id := range ids {
		if n := len(byUser[id]); n != touches {
			t.Errorf("user %s got %d distinct touches, want %d", id, n, touches)
		}
	}
	// A duplicate is allowed only across a worker's kill: the first copy
	// arrived, the worker died before recording it, and the retry sent it
	// again.
	first, duplicates := map[string]time.Time{}, 0
	for _, p := range got {
		at, seen := first[p.IdempotencyKey]
		if !seen {
			first[p.IdempotencyKey] = p.ReceivedAt
			continue
		}
		duplicates++
		if !killedBetween(kills, at, p.ReceivedAt) {
			t.Errorf("touch %s arrived at %s and again at %s with no worker killed in between", p.IdempotencyKey,
				at.Format(time.TimeOnly), p.ReceivedAt.Format(time.TimeOnly))
		}
	}
	t.Logf("%d users, %d touches each: %d delivered, %d lost, %d duplicated (%d requests); "+
		"%d worker kills and 1 Temporal kill over %.0f s; all done %.0f s after enrolling, %.0f s after the last kill; test took %.0f s",
		users, touches, len(distinct(got)), users*touches-len(distinct(got)), duplicates, len(got),
		workerKills, killed.Sub(enrolled).Seconds(), done.Sub(enrolled).Seconds(), done.Sub(killed).Seconds(), time.Since(began).Seconds())
}

// distinct returns the idempotency keys of the payloads.
func distinct(ps []channelstest.WebhookPayload) map[string]bool {
	out := map[string]bool{}
	for _, p := range ps {
		out[p.IdempotencyKey] = true
	}
	return out
}

// inFlight is how long after a worker died the receiver may still be
// reading a request the worker sent: its signature is checked before the
// request counts as arrived.
const inFlight = time.Second

// killedBetween reports whether one of the kills was between from and to,
// counting as before a kill what arrived up to inFlight after it.
func killedBetween(kills []time.Time, from, to time.Time) bool {
	for _, k := range kills {
		if k.Add(inFlight).After(from) && k.Before(to) {
			return true
		}
	}
	return false
}
