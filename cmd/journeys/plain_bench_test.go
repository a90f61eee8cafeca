package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// The plain side of BenchmarkHot: what a team would write with Temporal
// alone for the same journey, on its own task queue of the same server.
const (
	plainQueue    = "bench-plain"
	plainWorkflow = "PlainJourney"
	plainActivity = "PlainSend"
	plainSignal   = "event"
)

// plainInput is a plain journey: touches sends, each after wait, then
// final waits for an event, as the cart journey's final_wait does.
type plainInput struct {
	Touches int
	Wait    time.Duration
	Final   time.Duration
}

// plainJourney waits, sends, and again, until an event ends it: a timer and
// an activity per touch, raced against one signal, and a last timer.
func plainJourney(ctx workflow.Context, in plainInput) error {
	events := workflow.GetSignalChannel(ctx, plainSignal)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	// ended waits d for an event and says whether one came.
	ended := func(d time.Duration) bool {
		got := false
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(workflow.NewTimer(ctx, d), func(workflow.Future) {})
		sel.AddReceive(events, func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, nil)
			got = true
		})
		sel.Select(ctx)
		return got
	}
	for i := range in.Touches {
		if ended(in.Wait) {
			return nil
		}
		if err := workflow.ExecuteActivity(ctx, plainActivity, i).Get(ctx, nil); err != nil {
			return err
		}
	}
	ended(in.Final)
	return nil
}

// plainSends counts the plain journeys' sends, by their workflow's id
// prefix, which names the benchmark's journey.
type plainSends struct {
	mu sync.Mutex
	n  map[string]int
}

func (p *plainSends) send(ctx context.Context, _ int) error {
	id := activity.GetInfo(ctx).WorkflowExecution.ID
	p.mu.Lock()
	p.n[journeyOf(id)]++
	p.mu.Unlock()
	return nil
}

func (p *plainSends) count(journeyID string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n[journeyID]
}

// journeyOf is the journey part of a plain workflow id, journey/user.
func journeyOf(workflowID string) string {
	for i := range workflowID {
		if workflowID[i] == '/' {
			return workflowID[:i]
		}
	}
	return workflowID
}

// plainSide drives plain journeys through the Temporal client.
type plainSide struct {
	retrier
	c     client.Client
	sends *plainSends
	wait  map[string]time.Duration
}

// newPlainSide starts a worker for plain journeys with the journeys
// worker's options, so that the comparison is of the journey's work alone.
func newPlainSide(c client.Client) (*plainSide, func(), error) {
	p := &plainSide{c: c, sends: &plainSends{n: map[string]int{}}, wait: map[string]time.Duration{}}
	w := worker.New(c, plainQueue, workerOptions)
	w.RegisterWorkflowWithOptions(plainJourney, workflow.RegisterOptions{Name: plainWorkflow})
	w.RegisterActivityWithOptions(p.sends.send, activity.RegisterOptions{Name: plainActivity})
	if err := w.Start(); err != nil {
		return nil, nil, err
	}
	return p, w.Stop, nil
}

func (p *plainSide) name() string { return "plain Temporal" }

func (p *plainSide) prepare(id string, wait time.Duration, _ []string) error {
	p.wait[id] = wait
	return nil
}

func (p *plainSide) workflowID(id, user string) string { return id + "/" + user }

func (p *plainSide) enroll(ctx context.Context, id, user string) (benchRun, error) {
	wid := p.workflowID(id, user)
	opts := client.StartWorkflowOptions{ID: wid, TaskQueue: plainQueue,
		// A retried start gets the run the first one started.
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING}
	var r client.WorkflowRun
	err := p.retry(ctx, func(int) (err error) {
		r, err = p.c.ExecuteWorkflow(ctx, opts, plainWorkflow, plainInput{Touches: 1, Wait: p.wait[id], Final: finalWait})
		return err
	})
	if err != nil {
		return benchRun{}, fmt.Errorf("execute workflow: %w", err)
	}
	return benchRun{user, wid, r.GetRunID()}, nil
}

// enrollAll starts the runs from 32 clients: Temporal has no batch start.
func (p *plainSide) enrollAll(ctx context.Context, id string, users []string) error {
	_, err := fanOut(ctx, users, func(ctx context.Context, u string) (benchRun, error) { return p.enroll(ctx, id, u) })
	return err
}

func (p *plainSide) event(ctx context.Context, r benchRun, _ string) error {
	return p.retry(ctx, func(attempt int) error {
		err := p.c.SignalWorkflow(ctx, r.workflowID, r.runID, plainSignal, "purchase")
		// A retried signal finds the run its first attempt closed.
		var gone *serviceerror.NotFound
		if attempt > 1 && errors.As(err, &gone) {
			return nil
		}
		return err
	})
}

func (p *plainSide) sent(_ context.Context, id string) (int, error) { return p.sends.count(id), nil }
