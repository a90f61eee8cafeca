package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	xrate "golang.org/x/time/rate"

	"journeys/activities"
	"journeys/channels"
	"journeys/metrics"
	"journeys/reporting"
	"journeys/runs"
	"journeys/workflows"
	"journeys/workflows/journey"
)

// temporalOptions adds to opts what every Temporal client of the service
// needs: its logger, the workspace propagator, which keeps each run and
// its activities in the workspace that started it, and no compression
// unless opts asks for gzip (JOURNEYS_TEMPORAL_COMPRESSION). The SDK
// gzips every request, and the server then its answer: with Temporal on
// the same network that saves nothing worth having, and in BenchmarkHot
// (client and server in one process) it took 6.6% of the CPU.
func temporalOptions(opts client.Options, log *slog.Logger) client.Options {
	opts.Logger = sdklog.NewStructuredLogger(log.With("component", "temporal-sdk"))
	opts.ContextPropagators = append(opts.ContextPropagators, activities.WorkspacePropagator{})
	if opts.ConnectionOptions.GrpcCompression == nil {
		opts.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	}
	return opts
}

// dialTemporal connects to the Temporal frontend with opts, retrying
// while it starts.
func dialTemporal(ctx context.Context, opts client.Options, log *slog.Logger) (client.Client, error) {
	opts = temporalOptions(opts, log)
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			return c, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("TEMPORAL_ADDRESS: cannot reach Temporal at %s: %w", opts.HostPort, err)
		}
		time.Sleep(time.Second)
	}
}

// registerSearchAttributes adds the journey search attributes the namespace
// lacks, then waits until the frontend accepts them. Running it again
// changes nothing.
func registerSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	ops := c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := journey.SearchAttributes()
	for name := range missing {
		if _, ok := have.GetCustomAttributes()[name]; ok {
			delete(missing, name)
		}
	}
	if len(missing) > 0 {
		_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
			Namespace:        namespace,
			SearchAttributes: missing,
		})
		if err != nil {
			return fmt.Errorf("add search attributes: %w", err)
		}
	}
	return awaitSearchAttributes(ctx, c, namespace)
}

// awaitSearchAttributes returns once a query on every journey search
// attribute is valid. A server reads a namespace's search attributes from a
// cache it refreshes every few seconds (system.namespaceCacheRefreshInterval,
// 10 s by default), so attributes just added are unknown for a while; a
// history host's cache may lag the frontend's by one more refresh, during
// which a run's upsert fails its workflow task and Temporal retries it.
func awaitSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	var terms []string
	for name := range journey.SearchAttributes() {
		terms = append(terms, name+" = ''")
	}
	slices.Sort(terms)
	req := &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace, Query: strings.Join(terms, " AND ")}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		_, err := c.CountWorkflow(ctx, req)
		var invalid *serviceerror.InvalidArgument
		switch {
		case err == nil:
			return nil
		case !errors.As(err, &invalid) || ctx.Err() != nil:
			return fmt.Errorf("search attributes not usable yet: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// importRate paces audience imports on each worker, in users per second:
// fast enough for 100,000 users in a few minutes, slow enough to leave room
// for the journeys already running.
const importRate = 1000

// newJobs returns the activities of background jobs: audiences, broadcasts
// and the sweep of closed runs; m counts their enrollments.
func newJobs(c client.Client, store *reporting.Store, m *metrics.Metrics) *activities.Jobs {
	reconciler := &activities.Reconciler{Store: store, Temporal: c}
	return &activities.Jobs{
		Store:      store,
		Enroller:   &runs.Service{Store: store, Temporal: c, Reconciler: reconciler, Metrics: m},
		Reconciler: reconciler,
		Limit:      xrate.NewLimiter(importRate, 100),
		Workers:    16,
	}
}

// workerOptions tunes the worker for a whole audience reaching its next
// step at once: more pollers than the SDK's two, so a worker with spare
// cores keeps taking tasks. BenchmarkTimerBurst measures it against the
// defaults. A run in its start delay has its first task, when an event
// wakes it, on the task queue rather than on a worker's sticky queue, and
// Temporal hands it over at once only when the queue partition it lands
// on (of four) has a poller waiting. With a fixed number of workflow task
// pollers the SDK sends every poll to the sticky queue once a sticky poll
// reports a backlog, until one comes back empty: in BenchmarkHotProcesses
// the service's 32 pollers were all on the sticky queue in the middle of
// the purchases, none on the task queue, and matching stored 0.72 to 0.98
// of the woken runs' tasks for want of a poller. Pollers that scale with
// the backlog keep at least 32 on each queue: there, 32 to 63 on the task
// queue, and 0.00 and 0.11 of the tasks stored (with at least 8, 8 to 64
// and 0.00 to 0.70; BenchmarkWake's woken runs then waited for the pollers
// to scale back up). Activity pollers stay fixed: scaled, they left the
// multi-process quota test's 100 pushes trickling out at about one a
// second for a minute after the other sends were done (fixed pollers: all
// out within 22 s).
var workerOptions = worker.Options{
	WorkflowTaskPollerBehavior: worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{
		InitialNumberOfPollers: 32, MinimumNumberOfPollers: 32, MaximumNumberOfPollers: 64,
	}),
	MaxConcurrentActivityTaskPollers: 8,
}

// newWorker returns the workers of journey workflows, background jobs and
// their activities, with no limit on the send queues.
func newWorker(c client.Client, acts *activities.Activities, jobs *activities.Jobs) workers {
	return newWorkerWith(c, acts, jobs, workerOptions, nil)
}

// newWorkerWith returns a worker for journey workflows, background jobs and
// their activities on journey.TaskQueue, and one for the sends of each
// channel on its journey.SendTaskQueue, which Temporal holds to the
// channel's rate in rates (messages a second; none when 0) across every
// worker process: each process asks for the same limit when it polls.
// Runs send on a channel held to no rate without a queue of its own
// (journey.WithRates); its send queue keeps a worker for the sends runs
// scheduled there before.
func newWorkerWith(c client.Client, acts *activities.Activities, jobs *activities.Jobs, opts worker.Options, rates map[channels.Channel]float64) workers {
	var limited []channels.Channel
	for _, ch := range channels.All {
		if rates[ch] > 0 {
			limited = append(limited, ch)
		}
	}
	w := worker.New(c, journey.TaskQueue, opts)
	workflows.Register(w, limited...)
	w.RegisterActivity(acts)
	w.RegisterActivity(jobs)
	out := workers{w}
	for _, ch := range channels.All {
		o := opts
		// 0 leaves the SDK's default, which is no limit; it is sent on
		// every poll, so lifting a limit takes effect too.
		o.TaskQueueActivitiesPerSecond = rates[ch]
		o.DisableWorkflowWorker = true
		sw := worker.New(c, journey.SendTaskQueue(ch), o)
		sw.RegisterActivityWithOptions(acts.Send, activity.RegisterOptions{Name: "Send"})
		out = append(out, sw)
	}
	return out
}

// workers start and stop together.
type workers []worker.Worker

// Start starts every worker, or none when one fails.
func (ws workers) Start() error {
	for i, w := range ws {
		if err := w.Start(); err != nil {
			ws[:i].Stop()
			return err
		}
	}
	return nil
}

// Stop stops every worker: each stops polling, then waits for its running
// tasks up to its WorkerStopTimeout.
func (ws workers) Stop() {
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Go(w.Stop)
	}
	wg.Wait()
}
