package processtest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	enums "go.temporal.io/api/enums/v1"

	"journeys/channels"
	"journeys/channels/channelstest"
	"journeys/workflows/journey"
)

// TestQuotaAcrossWorkers runs three worker processes against one
// webhook provider limited to 20 messages a second, with 600 messages due
// at once: the Temporal server hands out no more sends than the limit and
// its burst in any second, whichever worker takes them, and the provider
// sees no more than ten seconds' worth in any ten. The pushes of another
// journey, due while those queue, go out on their own queue ahead of them.
func TestQuotaAcrossWorkers(t *testing.T) {
	const users, rate, pushes = 600, 20, 100
	// The server's token bucket holds one second's worth of sends. A
	// run's history records a send as started some milliseconds after the
	// bucket let it through, more for some than for others, so a window
	// of starts can hold what the bucket let through in a slightly longer
	// one: 100 ms more. The webhook sees a message later still, by as much
	// as a worker the machine stalls holds its sends: a second, here.
	const burst, late, stall = rate, rate / 10, rate
	began := time.Now()
	hook := channelstest.NewWebhook(t, webhookSecret)
	d := newDeployment(t, "JOURNEYS_WEBHOOK_URL="+hook.URL, "JOURNEYS_WEBHOOK_SECRET="+webhookSecret,
		fmt.Sprintf("JOURNEYS_WEBHOOK_RATE=%d", rate))
	d.startTemporal()
	d.migrate()
	_, base := d.startAPI()
	a := api{t: t, base: base}
	a.cartJourney("quota", "1s", "webhook")
	a.cartJourney("others", "1s", "push")
	ids := a.users(users)
	// No worker runs yet: every run's first touch falls due and waits, so
	// all of them are due together when the workers start.
	a.enroll("quota", ids)
	time.Sleep(time.Second)
	start := time.Now()
	d.startWorkers("worker1", "worker2", "worker3")

	// Once the webhook's messages queue, the other journey's pushes fall
	// due.
	deadline := time.Now().Add(8 * time.Minute)
	for len(hook.Received()) < users/6 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	a.enroll("others", ids[:pushes])
	for len(hook.Received()) < users && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	got := hook.Received()
	if len(got) < 2 {
		t.Fatalf("the provider got %d of %d messages in 8 minutes", len(got), users)
	}
	keys := map[string]bool{}
	var at []time.Time
	for _, p := range got {
		keys[p.IdempotencyKey] = true
		at = append(at, p.ReceivedAt)
	}
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	perSecond, perTen := mostWithin(at, time.Second), mostWithin(at, 10*time.Second)
	started := d.sendsStarted("quota")
	startedPerSecond, startedPerTen := mostWithin(started, time.Second), mostWithin(started, 10*time.Second)
	span := at[len(at)-1].Sub(at[0])
	t.Logf("%d messages (%d distinct) from 3 workers at a limit of %d/s: Temporal handed out at most %d sends in any 1 s window, %d in any 10 s; "+
		"the provider got at most %d in any 1 s window, %d in any 10 s; "+
		"first to last %.1f s (%.1f/s); all sent %.1f s after the workers started; test took %.0f s",
		len(got), len(keys), rate, startedPerSecond, startedPerTen, perSecond, perTen, span.Seconds(), float64(len(got)-1)/span.Seconds(),
		at[len(at)-1].Sub(start).Seconds(), time.Since(began).Seconds())
	if len(keys) != users || len(got) != users {
		t.Errorf("provider got %d messages, %d distinct; want %d once each", len(got), len(keys), users)
	}
	// The server itself holds the queue to the rate the workers asked for.
	if got, src := d.queueRateLimit(journey.SendTaskQueue(channels.Webhook)); got != rate || src != enums.RATE_LIMIT_SOURCE_WORKER {
		t.Errorf("Temporal holds the webhook's send queue to %.1f/s, set by %s; want %d/s set by the workers", got, src, rate)
	}
	if len(started) != users {
		t.Errorf("the runs' histories show %d sends started; want %d", len(started), users)
	}
	if startedPerSecond > rate+burst+late {
		t.Errorf("Temporal handed out %d sends in one second; want at most the limit %d, its burst %d and %d recorded late", startedPerSecond, rate, burst, late)
	}
	if startedPerTen > 10*rate+burst+late {
		t.Errorf("Temporal handed out %d sends in ten seconds; want at most %d", startedPerTen, 10*rate+burst+late)
	}
	if perSecond > rate+burst+late+stall {
		t.Errorf("the provider got %d messages in one second; want at most the limit %d, its burst %d and %d delivered late", perSecond, rate, burst, late+stall)
	}
	if perTen > 10*rate+burst+late+stall {
		t.Errorf("the provider got %d messages in ten seconds; want at most %d", perTen, 10*rate+burst+late+stall)
	}

	// The pushes, due while the webhook's messages queued, are not held
	// behind them: most of them are out before the webhook's last message.
	// (Not all: on a machine that sends slower than the quota, the two
	// journeys share its cores, and the last pushes may trail.)
	var pushed []time.Time
	for wait := time.Now().Add(3 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if err := d.store.DB().Select(&pushed, `SELECT at FROM journey_events WHERE journey_id = 'others' AND kind = 'sent' ORDER BY at`); err != nil {
			t.Fatal(err)
		}
		if len(pushed) == pushes || time.Now().After(wait) {
			break
		}
	}
	if len(pushed) != pushes {
		t.Fatalf("%d of the other journey's %d pushes were sent", len(pushed), pushes)
	}
	last, median := at[len(at)-1], pushed[pushes/2]
	t.Logf("the other journey's %d pushes, enrolled when the webhook had %d messages: the first out %.1f s after the workers started, half %.1f s, the last %.1f s; the webhook's last %.1f s",
		pushes, users/6, pushed[0].Sub(start).Seconds(), median.Sub(start).Seconds(), pushed[pushes-1].Sub(start).Seconds(), last.Sub(start).Seconds())
	if !median.Before(last) {
		t.Errorf("half the pushes were out only at %s, after the webhook's last message (%s): the pushes were held behind its quota",
			median.Format(time.TimeOnly), last.Format(time.TimeOnly))
	}
}

// mostWithin returns the most of the sorted times at that fall in any
// window of length d.
func mostWithin(at []time.Time, d time.Duration) int {
	most, j := 0, 0
	for i := range at {
		for at[i].Sub(at[j]) >= d {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}
