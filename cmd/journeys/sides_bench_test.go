package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/serviceerror"

	"journeys/reporting"
	"journeys/workflows/journey"
)

// side is one way of running the benchmark's journey: the service, or plain
// Temporal clients and workers. BenchmarkHot measures both the same way.
type side interface {
	name() string
	// prepare defines journey id, whose one touch is due wait after
	// enrolling, for users.
	prepare(id string, wait time.Duration, users []string) error
	// enroll enrolls one user, as one client of many.
	enroll(ctx context.Context, id, user string) (benchRun, error)
	// enrollAll enrolls an audience the quickest way the side offers.
	enrollAll(ctx context.Context, id string, users []string) error
	// event brings a purchase to the run.
	event(ctx context.Context, r benchRun, eventID string) error
	// sent counts the journey's first touches done.
	sent(ctx context.Context, id string) (int, error)
	// workflowID is the workflow of the user's run of journey id.
	workflowID(id, user string) string
	// retried counts the calls retried since it was last asked.
	retried() int64
}

// retrier retries what a client retries: calls the service answered 503,
// and Temporal calls that timed out or found Temporal unavailable. A busy
// machine makes the in-process Temporal server slow enough for both.
type retrier struct{ n atomic.Int64 }

// errTransient marks an answer the client should retry.
var errTransient = errors.New("retry")

func (r *retrier) retry(ctx context.Context, fn func(attempt int) error) error {
	for attempt := 1; ; attempt++ {
		err := fn(attempt)
		if err == nil || attempt == 5 || ctx.Err() != nil || !retriable(err) {
			return err
		}
		r.n.Add(1)
		time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
	}
}

func (r *retrier) retried() int64 { return r.n.Swap(0) }

func retriable(err error) bool {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	// A server too slow to read its namespace in time answers that it has
	// none.
	var namespace *serviceerror.NamespaceNotFound
	return errors.Is(err, errTransient) || errors.As(err, &unavailable) || errors.As(err, &deadline) ||
		errors.As(err, &namespace) || errors.Is(err, context.DeadlineExceeded)
}

// benchRun is a run the benchmark enrolled.
type benchRun struct{ user, workflowID, runID string }

// clients is how many clients enroll at once, as in the figures.
const clients = 32

// fanOut calls fn for every item from clients goroutines and returns the
// results in the items' order; the first error stops it.
func fanOut[In, Out any](ctx context.Context, items []In, fn func(context.Context, In) (Out, error)) ([]Out, error) {
	out := make([]Out, len(items))
	next := make(chan int)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := range next {
				r, err := fn(ctx, items[i])
				if err != nil {
					errs <- err
					return
				}
				out[i] = r
			}
		})
	}
	var err error
feed:
	for i := range items {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil && len(errs) > 0 {
		err = <-errs
	}
	return out, err
}

// journeysSide drives the service through its REST API, as an app would.
type journeysSide struct {
	retrier
	s    *stack
	http *http.Client
}

func newJourneysSide(s *stack) *journeysSide {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 2 * clients
	return &journeysSide{s: s, http: &http.Client{Transport: t, Timeout: time.Minute}}
}

func (j *journeysSide) name() string { return "journeys" }

// call sends one API request and decodes its answer into out; an answer
// of 503 is retried.
func (j *journeysSide) call(ctx context.Context, method, path string, body any, want int, out any) error {
	return j.retry(ctx, func(int) error { return j.callOnce(ctx, method, path, body, want, out) })
}

func (j *journeysSide) callOnce(ctx context.Context, method, path string, body any, want int, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, j.s.base+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := j.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	// A retried enrollment finds the user enrolled.
	if resp.StatusCode != want && !(want == 202 && resp.StatusCode == 200) {
		err := fmt.Errorf("%s %s = %d %s, want %d", method, path, resp.StatusCode, answer, want)
		if resp.StatusCode == http.StatusServiceUnavailable {
			err = fmt.Errorf("%w: %w", errTransient, err)
		}
		return err
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(answer, out)
}

func (j *journeysSide) prepare(id string, wait time.Duration, users []string) error {
	ctx := context.Background()
	err := j.call(ctx, "POST", "/v1/journeys", map[string]any{
		"id": id, "name": id, "type": "cart_abandonment", "goal_event": "purchase",
		"config": map[string]any{
			"touches":    []map[string]string{{"after": wait.String(), "channel": "push", "template": "cart_offer"}},
			"final_wait": finalWait.String(),
		},
	}, 201, nil)
	if err != nil {
		return err
	}
	_, err = fanOut(ctx, users, func(ctx context.Context, u string) (struct{}, error) {
		return struct{}{}, j.call(ctx, "PUT", "/v1/users/"+u, map[string]any{"push_token": "tok-" + u}, 200, nil)
	})
	return err
}

func (j *journeysSide) enroll(ctx context.Context, id, user string) (benchRun, error) {
	var e enrollment
	err := j.call(ctx, "POST", "/v1/journeys/"+id+"/enrollments", map[string]string{"user_id": user}, 202, &e)
	return benchRun{user, e.WorkflowID, e.RunID}, err
}

// enrollAll posts the audience in batches of 250, one after the other.
func (j *journeysSide) enrollAll(ctx context.Context, id string, users []string) error {
	for len(users) > 0 {
		n := min(len(users), 250)
		var out struct {
			Results []struct{ Outcome string }
		}
		if err := j.call(ctx, "POST", "/v1/journeys/"+id+"/enrollments/batch", map[string]any{"user_ids": users[:n]}, 200, &out); err != nil {
			return err
		}
		for _, r := range out.Results {
			if r.Outcome != "enrolled" && r.Outcome != "already_enrolled" {
				return fmt.Errorf("batch enrollment: %s", r.Outcome)
			}
		}
		users = users[n:]
	}
	return nil
}

func (j *journeysSide) event(ctx context.Context, r benchRun, eventID string) error {
	var out eventAnswer
	err := j.call(ctx, "POST", "/v1/events", map[string]any{"event_id": eventID, "user_id": r.user, "name": "purchase",
		"properties": map[string]any{"revenue": 120}}, 202, &out)
	if err == nil && out.Signalled != 1 && !out.Duplicate {
		err = fmt.Errorf("event %s reached %d runs, want 1", eventID, out.Signalled)
	}
	return err
}

func (j *journeysSide) workflowID(id, user string) string {
	return journey.WorkflowID(reporting.DefaultWorkspace, id, user)
}

func (j *journeysSide) sent(ctx context.Context, id string) (int, error) {
	// By the columns of the log's index, so that asking does not scan
	// the log of every iteration on the Postgres the server may share.
	var n int
	err := j.s.store.DB().GetContext(ctx, &n, `SELECT count(*) FROM journey_events
		WHERE workspace_id = $1 AND journey_id = $2 AND step = 1`, reporting.DefaultWorkspace, id)
	return n, err
}
