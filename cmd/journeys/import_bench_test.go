package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"

	"journeys/reporting"
	"journeys/workflows/journey"
)

// BenchmarkEnroll compares enrolling an audience through an import job
// (Postgres claim, profile, idempotent start, progress) with starting the
// same number of journey workflows straight through the Temporal client,
// on one in-process Temporal server. Run it with
//
//	go test -run '^$' -bench Enroll -benchtime 3x ./cmd/journeys/
func BenchmarkEnroll(b *testing.B) {
	const users = 2000
	ts := temporaltest.NewServer()
	b.Cleanup(ts.Stop)
	s := newStack(b, ts)
	store, c, base := s.store, s.temporal, s.base
	ctx := context.Background()

	b.Run("import", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			id := fmt.Sprintf("imp%d", i)
			s.mustCall("POST", "/v1/journeys", longJourney(id, nil), 201, nil)
			f, err := os.Open(writeAudience(b, users))
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			req, _ := http.NewRequest("POST", base+"/v1/journeys/"+id+"/imports", f)
			req.Header.Set("Authorization", "Bearer "+testKey)
			req.Header.Set("Content-Type", "text/csv")
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 202 {
				b.Fatalf("import: %v %v", resp, err)
			}
			resp.Body.Close()
			f.Close()
			for {
				var status string
				if err := store.DB().Get(&status, `SELECT status FROM jobs WHERE journey_id = $1`, id); err != nil {
					b.Fatal(err)
				}
				if status != "running" {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		b.ReportMetric(float64(users*b.N)/b.Elapsed().Seconds(), "users/s")
	})

	b.Run("direct", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			var wg sync.WaitGroup
			sem := make(chan struct{}, 16)
			for u := range users {
				sem <- struct{}{}
				wg.Go(func() {
					defer func() { <-sem }()
					in := journey.Input{Workspace: reporting.DefaultWorkspace, JourneyID: fmt.Sprintf("direct%d", i), UserID: fmt.Sprintf("bulk-%05d", u)}
					// A task queue no worker polls: this measures the starts alone.
					_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
						ID:                    journey.WorkflowID(in.Workspace, in.JourneyID, in.UserID),
						TaskQueue:             "bench-direct",
						TypedSearchAttributes: journey.StartAttributes(in),
					}, "CartAbandonment", in)
					if err != nil {
						b.Error(err)
					}
				})
			}
			wg.Wait()
		}
		b.ReportMetric(float64(users*b.N)/b.Elapsed().Seconds(), "users/s")
	})
}
