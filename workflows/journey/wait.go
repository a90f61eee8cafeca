package journey

import (
	"fmt"
	"hash/fnv"
	"time"

	"go.temporal.io/sdk/workflow"
)

// WaitForGoal waits d for the journey's goal event and reports whether it
// happened. The wait is a durable timer: restarts do not move it. An exit
// event or a removal ends the wait too, and the run then ends that way.
// A zero d does not wait.
func (j *Run) WaitForGoal(d time.Duration) bool {
	j.wait(d, j.in.GoalEvent, func() bool { return false })
	return j.converted()
}

// WaitForConversion is the last wait of a journey: the journey's
// conversion window after the last send, or d when it has none.
func (j *Run) WaitForConversion(d time.Duration) bool {
	if j.in.ConversionWindow > 0 {
		d = j.in.ConversionWindow
	}
	return j.WaitForGoal(d)
}

// WaitForEvent waits up to timeout for the user's event name and returns it,
// or reports false when the timeout passed first or the run is ending. An
// event that came earlier in the run and was not taken by an earlier wait
// counts at once. The journey must list name among the events it listens
// to (Type.Events), or the event never reaches the run.
func (j *Run) WaitForEvent(name string, timeout time.Duration) (Event, bool) {
	j.wait(timeout, name, func() bool { return len(j.received[name]) > 0 })
	if j.end != nil || len(j.received[name]) == 0 {
		return Event{}, false
	}
	ev := j.received[name][0]
	j.received[name] = j.received[name][1:]
	return ev, true
}

// WaitUntil waits until t for the goal, as WaitForGoal does, and reports
// whether the goal happened.
func (j *Run) WaitUntil(t time.Time) bool {
	return j.WaitForGoal(t.Sub(workflow.Now(j.ctx)))
}

// wait blocks for d, or until ready reports true or the run is ending,
// whichever comes first, showing what it waits for. The first wait of a
// run counts from the run's start, so that a start Temporal delayed by the
// first wait (see FirstWait) needs no timer of its own. A wait cut short by
// the run ending leaves its timer: the run is about to close.
func (j *Run) wait(d time.Duration, what string, ready func() bool) {
	first := !j.started
	j.started = true
	j.drain()
	if j.end != nil || ready() {
		return
	}
	planned := d
	d += Jitter(j.in.EnrollmentID, j.seq, d)
	now := workflow.Now(j.ctx)
	if first {
		d -= now.Sub(workflow.GetInfo(j.ctx).WorkflowStartTime)
	}
	if d <= 0 {
		return
	}
	until := now.Add(d).UTC()
	j.state.Waiting, j.state.WaitUntil = what, &until
	j.describe(fmt.Sprintf("waiting for %s until %s", what, until.Format(time.RFC3339)))

	tctx, cancel := workflow.WithCancel(j.ctx)
	timer := workflow.NewTimerWithOptions(tctx, d, workflow.TimerOptions{Summary: fmt.Sprintf("wait %s for %s", Short(planned), what)})
	_ = workflow.Await(j.ctx, func() bool { return timer.IsReady() || j.end != nil || ready() })
	j.state.Waiting, j.state.WaitUntil = "", nil
	if !timer.IsReady() && j.end == nil {
		cancel()
	}
}

// Jitter spreads timers that would otherwise fire at the same instant for a
// whole audience: up to 1% of the wait, at most five minutes, derived from
// the enrollment and the step so that replays see the same value.
func Jitter(enrollmentID int64, step int, d time.Duration) time.Duration {
	limit := min(d/100, 5*time.Minute)
	if limit <= 0 {
		return 0
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d", enrollmentID, step)
	return time.Duration(h.Sum64() % uint64(limit))
}

// FirstWait returns how long Temporal may hold a run's first task when its
// journey type's first step is a wait of d: the run then starts already
// past it, and its first workflow task comes when the first step is due.
func FirstWait(in Input, d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d + Jitter(in.EnrollmentID, 0, d)
}
