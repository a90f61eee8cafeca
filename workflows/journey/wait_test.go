package journey_test

import (
	"testing"
	"time"

	"go.temporal.io/sdk/workflow"

	"journeys/workflows/journey"
	"journeys/workflows/journey/kittest"
)

func TestWaitForEventMatchesTheEntryEvent(t *testing.T) {
	cart := func(id any) map[string]any { return map[string]any{"cart_id": id} }
	type took struct {
		cart    any
		elapsed time.Duration
	}
	tests := []struct {
		name    string
		trigger map[string]any // nil: enrolled without an entry event
		script  []kittest.At
		// want is what the wait with match took, then what a wait without
		// match took next.
		want, then took
	}{
		{"another cart's event is left for a later wait", cart("c1"), []kittest.At{
			kittest.Event(2*time.Hour, "checkout", cart("c2")),
			kittest.Event(4*time.Hour, "checkout", cart("c1"))},
			took{"c1", 4 * time.Hour}, took{"c2", 4 * time.Hour}},
		{"a number matches its text", cart("7"), []kittest.At{kittest.Event(3*time.Hour, "checkout", cart(7.0))},
			took{7.0, 3 * time.Hour}, took{nil, 13 * time.Hour}},
		{"an event without the property is not it", cart("c1"), []kittest.At{kittest.Event(time.Hour, "checkout", nil)},
			took{nil, 10 * time.Hour}, took{"none", 10 * time.Hour}},
		{"an entry event without the property constrains nothing", map[string]any{}, []kittest.At{
			kittest.Event(time.Hour, "checkout", cart("c9"))},
			took{"c9", time.Hour}, took{nil, 11 * time.Hour}},
		{"a run without an entry event takes any", nil, []kittest.At{kittest.Event(time.Hour, "checkout", cart("c9"))},
			took{"c9", time.Hour}, took{nil, 11 * time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got, then took
			wf := plan(func(j *journey.Run) {
				start := workflow.Now(j.Context())
				take := func(match ...string) took {
					ev, ok := j.WaitForEvent("checkout", 10*time.Hour, match...)
					out := took{elapsed: workflow.Now(j.Context()).Sub(start).Round(time.Hour)}
					if ok {
						out.cart = ev.Properties["cart_id"]
						if out.cart == nil {
							out.cart = "none"
						}
					}
					return out
				}
				got = take("cart_id")
				then = take()
			})
			j := kittest.Journey{Workflow: wf, Profile: sara, Script: tt.script}
			if tt.trigger != nil {
				j.Input.Trigger = &journey.Event{EventID: "a1", Name: "add_to_cart", Properties: tt.trigger}
			}
			j.Run(t)
			if got != tt.want || then != tt.then {
				t.Errorf("took %+v, then %+v; want %+v, then %+v", got, then, tt.want, tt.then)
			}
		})
	}
}

func TestWaitUntilLocal(t *testing.T) {
	tehran, _ := time.LoadLocation("Asia/Tehran")
	ny, _ := time.LoadLocation("America/New_York")
	tests := []struct {
		name  string
		tz    string
		start time.Time
		clock journey.TimeOfDay
		want  time.Time
	}{
		{"later today", "Asia/Tehran", time.Date(2026, 11, 3, 8, 0, 0, 0, tehran), "09:30",
			time.Date(2026, 11, 3, 9, 30, 0, 0, tehran)},
		{"passed today: tomorrow", "Asia/Tehran", time.Date(2026, 11, 3, 22, 0, 0, 0, tehran), "09:30",
			time.Date(2026, 11, 4, 9, 30, 0, 0, tehran)},
		{"exactly now: tomorrow", "Asia/Tehran", time.Date(2026, 11, 3, 9, 30, 0, 0, tehran), "09:30",
			time.Date(2026, 11, 4, 9, 30, 0, 0, tehran)},
		{"no time zone: UTC", "", time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC), "09:30",
			time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)},
		{"an unknown time zone: UTC", "Mars/Olympus", time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC), "09:30",
			time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)},
		// Clocks go forward at 02:00 on Sunday 8 March 2026: the night is
		// 23 hours, and 09:00 is still 09:00 on the wall.
		{"across the start of daylight saving", "America/New_York", time.Date(2026, 3, 7, 10, 0, 0, 0, ny), "09:00",
			time.Date(2026, 3, 8, 9, 0, 0, 0, ny)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var at time.Time
			var converted bool
			wf := plan(func(j *journey.Run) {
				converted = j.WaitUntilLocal(tt.clock)
				at = workflow.Now(j.Context())
			})
			u := sara
			u.Timezone = tt.tz
			kittest.Journey{Workflow: wf, Profile: u, StartAt: tt.start}.Run(t)

			// Waits carry up to 1% of jitter, at most five minutes.
			if d := at.Sub(tt.want); converted || d < 0 || d > 5*time.Minute {
				t.Errorf("woke at %s (converted %v), want %s", at.In(tt.want.Location()), converted, tt.want)
			}
		})
	}
}

func TestWaitUntilLocalEndsOnTheGoal(t *testing.T) {
	var converted bool
	wf := plan(func(j *journey.Run) { converted = j.WaitUntilLocal("09:30") })
	start := time.Date(2026, 11, 3, 1, 0, 0, 0, time.UTC)

	out := kittest.Journey{Workflow: wf, Profile: sara, StartAt: start,
		Script: []kittest.At{kittest.Event(2*time.Hour, "purchase", nil)}}.Run(t)

	if !converted || out.Result.Status != "converted" || out.Elapsed != 2*time.Hour {
		t.Errorf("converted %v, %s after %s; want converted after 2h", converted, out.Result.Status, out.Elapsed)
	}
}

func TestTimeOfDay(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	for _, tt := range []struct {
		clock journey.TimeOfDay
		ok    bool
	}{{"09:30", true}, {"00:00", true}, {"23:59", true}, {"9:30", false}, {"24:00", false}, {"09:60", false}, {"0930", false}, {"", false}} {
		if err := tt.clock.Check("until"); (err == nil) != tt.ok {
			t.Errorf("Check(%q) = %v, want ok %v", tt.clock, err, tt.ok)
		}
	}
	// 02:30 does not happen on 8 March 2026 in New York: it reads as 03:30.
	now := time.Date(2026, 3, 8, 1, 0, 0, 0, ny)
	if got, want := journey.TimeOfDay("02:30").Next(now, ny), time.Date(2026, 3, 8, 3, 30, 0, 0, ny); !got.Equal(want) {
		t.Errorf("Next = %s, want %s", got, want)
	}
	for tz, want := range map[string]*time.Location{"": time.UTC, "Local": time.UTC, "Nowhere/City": time.UTC, "America/New_York": ny} {
		if got := journey.Location(tz); got.String() != want.String() {
			t.Errorf("Location(%q) = %s, want %s", tz, got, want)
		}
	}
}
