package main

import (
	"fmt"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"

	"journeys/activities"
)

// BenchmarkTimerBurst measures how fast one worker drains a burst: an
// audience enrolled together whose first touch falls due at the same
// moment, with the SDK's default pollers and with workerOptions. It reports
// the sends per second from the moment the touch is due until the last one
// is recorded. Run it with
//
//	go test -run '^$' -bench TimerBurst -benchtime 1x ./cmd/journeys/
func BenchmarkTimerBurst(b *testing.B) {
	const users = 500
	const after = 10 * time.Second
	for _, tc := range []struct {
		name string
		opts worker.Options
	}{
		{"sdk-defaults", worker.Options{}},
		{"tuned", workerOptions},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ts := temporaltest.NewServer()
			b.Cleanup(ts.Stop)
			s := newStack(b, ts, func(c *config) { c.Role = "api" })
			w := newWorkerWith(s.temporal, &activities.Activities{Store: s.store, Senders: s.senders, Log: s.log},
				newJobs(s.temporal, s.store, nil), tc.opts, nil)
			if err := w.Start(); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(w.Stop)

			var elapsed time.Duration
			for i := 0; b.Loop(); i++ {
				id := fmt.Sprintf("burst%d", i)
				s.mustCall("POST", "/v1/journeys", map[string]any{
					"id": id, "name": id, "type": "cart_abandonment", "goal_event": "purchase",
					"config": map[string]any{
						"touches":    []map[string]string{{"after": after.String(), "channel": "push", "template": "cart_offer"}},
						"final_wait": "24h",
					},
				}, 201, nil)
				ids := make([]string, users)
				for u := range ids {
					ids[u] = fmt.Sprintf("u%d", u)
				}
				start := time.Now()
				s.mustCall("POST", "/v1/journeys/"+id+"/enrollments/batch", map[string]any{"user_ids": ids}, 200, nil)
				due := start.Add(after)
				for {
					var done int
					err := s.store.DB().Get(&done, `SELECT count(*) FROM journey_events WHERE journey_id = $1 AND step = 1`, id)
					if err != nil {
						b.Fatal(err)
					}
					if done == users {
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
				elapsed += time.Since(due)
			}
			b.ReportMetric(float64(users*b.N)/elapsed.Seconds(), "sends/s")
		})
	}
}
