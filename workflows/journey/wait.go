package journey

import (
	"fmt"
	"hash/fnv"
	"slices"
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
//
// match names properties that correlate the event with the run's entry
// event: the event counts only when each of them equals the entry event's
// (checkout_started for the cart_id the user added to), and one that does
// not is left for another wait. A property the entry event does not carry,
// or a run enrolled without one, constrains nothing.
func (j *Run) WaitForEvent(name string, timeout time.Duration, match ...string) (Event, bool) {
	j.wait(timeout, name, func() bool { return j.awaited(name, match) >= 0 })
	i := j.awaited(name, match)
	if j.end != nil || i < 0 {
		return Event{}, false
	}
	ev := j.received[name][i]
	j.received[name] = slices.Delete(j.received[name], i, i+1)
	return ev, true
}

// awaited returns the index of the first received event name that
// correlates with the entry event on match, or -1.
func (j *Run) awaited(name string, match []string) int {
	return slices.IndexFunc(j.received[name], func(ev Event) bool { return j.correlates(ev, match) })
}

// correlates reports whether each of the properties equals the entry
// event's in ev; a property the entry event lacks is no constraint.
func (j *Run) correlates(ev Event, props []string) bool {
	if j.in.Trigger == nil {
		return true
	}
	for _, p := range props {
		want, ok := j.in.Trigger.Properties[p]
		if !ok {
			continue
		}
		if got, ok := ev.Properties[p]; !ok || PropertyString(got) != PropertyString(want) {
			return false
		}
	}
	return true
}

// WaitUntil waits until t for the goal, as WaitForGoal does, and reports
// whether the goal happened. A first wait counts from the run's start, as
// every first wait does.
func (j *Run) WaitUntil(t time.Time) bool {
	from := workflow.Now(j.ctx)
	if !j.started {
		from = workflow.GetInfo(j.ctx).WorkflowStartTime
	}
	return j.WaitForGoal(t.Sub(from))
}

// WaitUntilLocal waits for the goal until the next time the user's clock
// shows clock, as WaitUntil does: in the time zone of their profile, or
// UTC when it names none (see TimeOfDay.Next). "09:30" waits until
// tomorrow's 09:30 when today's has passed. Like every wait it may end a
// little late (see Jitter).
func (j *Run) WaitUntilLocal(clock TimeOfDay) bool {
	if j.drain(); j.end != nil {
		return j.converted()
	}
	return j.WaitUntil(clock.Next(workflow.Now(j.ctx), Location(j.Profile().Timezone)))
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
