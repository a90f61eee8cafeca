package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/temporaltest"
)

// wakeRuns is how many runs each kind of wake-up closes, 50 a second.
const wakeRuns = 300

// BenchmarkWake measures, on plain Temporal, what the journey's start
// delay costs a purchase: a signal to a run a worker has cached (its task
// goes to the worker's sticky queue) against a signal-with-start that
// wakes a run still in its start delay (its first task goes to the task
// queue, whose four partitions each need a poller), from the signal until
// the run has closed. It does so with the SDK's worker options but for
// the number of workflow task pollers, to size that number:
//
//	go test -run '^$' -bench Wake -benchtime 2x ./cmd/journeys/
//
// Each iteration prints both kinds' p50 and p99; the metric is the ratio
// of the p99s, delayed ÷ cached.
func BenchmarkWake(b *testing.B) {
	ts := temporaltest.NewServer()
	b.Cleanup(ts.Stop)
	c := ts.GetDefaultClient()
	for _, pollers := range []int{8, workerOptions.MaxConcurrentWorkflowTaskPollers} {
		b.Run(fmt.Sprintf("pollers=%d", pollers), func(b *testing.B) {
			queue := fmt.Sprintf("wake-%d", pollers)
			opts := workerOptions
			opts.MaxConcurrentWorkflowTaskPollers = pollers
			w := worker.New(c, queue, opts)
			w.RegisterWorkflowWithOptions(awaitEvent, workflow.RegisterOptions{Name: "AwaitEvent"})
			if err := w.Start(); err != nil {
				b.Fatal(err)
			}
			defer w.Stop()
			var ratios []float64
			for i := 0; b.Loop(); i++ {
				cached := wake(b, c, queue, fmt.Sprintf("cached-%d-%d", pollers, i), 0)
				delayed := wake(b, c, queue, fmt.Sprintf("delayed-%d-%d", pollers, i), time.Hour)
				fmt.Printf("%d pollers: closed p50 %s p99 %s cached, p50 %s p99 %s delayed\n", pollers,
					latency(percentile(cached, 50)), latency(percentile(cached, 99)),
					latency(percentile(delayed, 50)), latency(percentile(delayed, 99)))
				ratios = append(ratios, percentile(delayed, 99).Seconds()/percentile(cached, 99).Seconds())
			}
			b.ReportMetric(median(ratios), "delayed-p99-x")
		})
	}
}

// awaitEvent ends on its first event.
func awaitEvent(ctx workflow.Context) error {
	workflow.GetSignalChannel(ctx, plainSignal).Receive(ctx, nil)
	return nil
}

// wake starts wakeRuns runs from 32 clients, with the start delay given,
// lets them settle, then signals them 50 a second (with signal-with-start
// when they are delayed, as the service does) and returns how long each
// took from its signal until it closed.
func wake(b *testing.B, c client.Client, queue, prefix string, delay time.Duration) []time.Duration {
	ctx := context.Background()
	ids := userIDs(prefix+"-", wakeRuns)
	if _, err := fanOut(ctx, ids, func(ctx context.Context, id string) (struct{}, error) {
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue, StartDelay: delay}, "AwaitEvent")
		return struct{}{}, err
	}); err != nil {
		b.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the undelayed runs' first tasks
	signal := func(id string) error { return c.SignalWorkflow(ctx, id, "", plainSignal, "purchase") }
	if delay > 0 {
		signal = func(id string) error {
			_, err := c.SignalWithStartWorkflow(ctx, id, plainSignal, "purchase", client.StartWorkflowOptions{ID: id, TaskQueue: queue,
				WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING}, "AwaitEvent")
			return err
		}
	}
	closed := make([]time.Duration, len(ids))
	tick := time.NewTicker(time.Second / eventsPerS)
	defer tick.Stop()
	var wg sync.WaitGroup
	for i, id := range ids {
		<-tick.C
		wg.Go(func() {
			sent := time.Now()
			if err := signal(id); err != nil {
				b.Error(err)
				return
			}
			if err := c.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
				b.Error(err)
			}
			closed[i] = time.Since(sent)
		})
	}
	wg.Wait()
	return closed
}
