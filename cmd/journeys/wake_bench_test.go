package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/temporaltest"
)

// wakeRuns is how many runs each kind of wake-up closes, wakePerS a
// second.
const (
	wakeRuns = 300
	wakePerS = 50
)

// BenchmarkWake measures, on plain Temporal, what the journey's start
// delay costs a purchase: a signal to a run a worker has cached (its task
// goes to the worker's sticky queue) against a signal-with-start that
// wakes a run still in its start delay (its first task goes to the task
// queue, handed over at once only when the partition it lands on has a
// poller waiting), from the signal until the run has closed. It does so
// with the service's worker options, for 8 and 32 workflow task pollers
// and for the service's, which scale with the backlog, to size them:
//
//	go test -run '^$' -bench Wake -benchtime 2x ./cmd/journeys/
//
// Each iteration prints both kinds' p50 and p99; the metric is the ratio
// of the p99s, delayed ÷ cached.
func BenchmarkWake(b *testing.B) {
	ts := temporaltest.NewServer()
	b.Cleanup(ts.Stop)
	c := ts.GetDefaultClient()
	fixed := func(n int) worker.Options {
		opts := workerOptions
		opts.WorkflowTaskPollerBehavior = nil
		opts.MaxConcurrentWorkflowTaskPollers = n
		return opts
	}
	for _, tc := range []struct {
		pollers string
		opts    worker.Options
	}{{"8", fixed(8)}, {"32", fixed(32)}, {"autoscaled", workerOptions}} {
		b.Run("pollers="+tc.pollers, func(b *testing.B) {
			queue := "wake-" + tc.pollers
			w := worker.New(c, queue, tc.opts)
			w.RegisterWorkflowWithOptions(awaitEvent, workflow.RegisterOptions{Name: "AwaitEvent"})
			if err := w.Start(); err != nil {
				b.Fatal(err)
			}
			defer w.Stop()
			var ratios []float64
			for i := 0; b.Loop(); i++ {
				cached := wake(b, c, queue, fmt.Sprintf("cached-%s-%d", tc.pollers, i), 0)
				delayed := wake(b, c, queue, fmt.Sprintf("delayed-%s-%d", tc.pollers, i), time.Hour)
				fmt.Printf("%s pollers: closed p50 %s p99 %s cached, p50 %s p99 %s delayed\n", tc.pollers,
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
// waits until they have settled, then signals them 50 a second (with
// signal-with-start when they are delayed, as the service does) and
// returns how long each took from its signal until it closed.
func wake(b *testing.B, c client.Client, queue, prefix string, delay time.Duration) []time.Duration {
	ctx := context.Background()
	runs, err := fanOut(ctx, userIDs(prefix+"-", wakeRuns), func(ctx context.Context, id string) (benchRun, error) {
		r, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue, StartDelay: delay}, "AwaitEvent")
		if err != nil {
			return benchRun{}, err
		}
		return benchRun{workflowID: id, runID: r.GetRunID()}, nil
	})
	if err == nil {
		err = settle(ctx, c, runs)
	}
	if err != nil {
		b.Fatal(err)
	}
	signal := func(r benchRun) error { return c.SignalWorkflow(ctx, r.workflowID, r.runID, plainSignal, "purchase") }
	if delay > 0 {
		signal = func(r benchRun) error {
			_, err := c.SignalWithStartWorkflow(ctx, r.workflowID, plainSignal, "purchase", client.StartWorkflowOptions{ID: r.workflowID, TaskQueue: queue,
				WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING}, "AwaitEvent")
			return err
		}
	}
	closed := make([]time.Duration, len(runs))
	paced(len(runs), wakePerS, func(i int) {
		sent := time.Now()
		if err := signal(runs[i]); err != nil {
			b.Error(err)
			return
		}
		if err := c.GetWorkflow(ctx, runs[i].workflowID, runs[i].runID).Get(ctx, nil); err != nil {
			b.Error(err)
		}
		closed[i] = time.Since(sent)
	})
	return closed
}
