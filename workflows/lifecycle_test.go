package workflows_test

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"journeys/channels"
	"journeys/reporting"
	"journeys/workflows/journey"
	"journeys/workflows/journey/kittest"
)

func TestConversionWindow(t *testing.T) {
	tests := []struct {
		name      string
		purchase  time.Duration
		wantStory string
	}{
		// The push goes out after a day; the window is 12h.
		{"inside the window of the push", day + 6*time.Hour, "converted:push"},
		{"outside the window, before the email", day + 20*time.Hour, "converted"},
		{"before any send", 2 * time.Hour, "converted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := cart(kittest.Event(tt.purchase, "purchase", map[string]any{"revenue": 49.5}))
			j.Input.ConversionWindow = 12 * time.Hour

			out := j.Run(t)

			if out.Result.Status != reporting.StatusConverted {
				t.Fatalf("status = %q, want converted", out.Result.Status)
			}
			story := out.Store.Story()
			if got := story[len(story)-1]; got != tt.wantStory {
				t.Errorf("conversion = %s (%s), want %s", got, out.Store.Last().Detail, tt.wantStory)
			}
			if r := out.Store.Last().Revenue; r == nil || *r != 49.5 {
				t.Errorf("revenue = %v, want 49.5", r)
			}
		})
	}
}

func TestConversionWindowEndsTheRun(t *testing.T) {
	j := cart()
	j.Input.ConversionWindow = 12 * time.Hour

	out := j.Run(t)

	// Three days of touches, then the 12h window instead of final_wait's day.
	if out.Result.Status != reporting.StatusExited || out.Elapsed < 3*day+12*time.Hour || out.Elapsed > 3*day+13*time.Hour {
		t.Errorf("%s after %s, want exited after 3 days 12h", out.Result.Status, out.Elapsed)
	}
}

func TestExitEvent(t *testing.T) {
	j := cart(
		kittest.Event(day+time.Hour, "page_view", nil), // neither goal nor exit: ignored
		kittest.Event(day+2*time.Hour, "cart_emptied", nil))
	j.Input.ExitEvents = []string{"cart_emptied"}

	out := j.Run(t)

	if out.Result.Status != reporting.StatusExited || out.Result.Reason != "cart_emptied" {
		t.Errorf("result = %+v, want exited for cart_emptied", out.Result)
	}
	if got, want := out.Outbox.Channels(), []channels.Channel{"push"}; !slices.Equal(got, want) {
		t.Errorf("sent on %v, want %v", got, want)
	}
	if out.Elapsed > day+3*time.Hour {
		t.Errorf("ended after %s, want right after the exit event", out.Elapsed)
	}
}

func TestEventBeforeEnrollmentIsIgnored(t *testing.T) {
	// A purchase the app reports late, that happened before the user entered.
	late := kittest.Signal(time.Hour, journey.Event{EventID: "old", Name: "purchase", OccurredAt: time.Unix(1, 0)})

	out := cart(late).Run(t)

	if out.Result.Status != reporting.StatusExited || len(out.Outbox.Channels()) != 3 {
		t.Errorf("%s after %d sends, want exited after 3", out.Result.Status, len(out.Outbox.Channels()))
	}
}

// journeyState is a journey as the send activity sees it, changed by a
// test while a run goes on.
type journeyState struct {
	mu      sync.Mutex
	journey reporting.Journey
}

func (s *journeyState) get() reporting.Journey { s.mu.Lock(); defer s.mu.Unlock(); return s.journey }
func (s *journeyState) set(fn func(*reporting.Journey)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.journey)
}

func TestPauseHoldsSendsUntilResume(t *testing.T) {
	js := &journeyState{journey: reporting.Journey{ID: "j1", Status: reporting.JourneyActive, Version: 1}}
	out := &kittest.Outbox{}
	j := cart(
		kittest.Do(20*time.Hour, func() { js.set(func(j *reporting.Journey) { j.Status = reporting.JourneyPaused }) }),
		kittest.Do(30*time.Hour, func() {
			if len(out.Channels()) != 0 {
				t.Errorf("sent %v while paused", out.Channels())
			}
			js.set(func(j *reporting.Journey) { j.Status = reporting.JourneyActive })
		}),
		kittest.Control(30*time.Hour, journey.ControlResume, ""),
	)
	j.Store, j.Outbox = kittest.NewStore(sara), out
	j.Store.JourneyFn = js.get

	res := j.Run(t)

	if got, want := res.Outbox.Channels(), []channels.Channel{"push", "email", "sms"}; !slices.Equal(got, want) {
		t.Errorf("sent on %v, want %v (a held send is delayed, not skipped)", got, want)
	}
	// The push waited from 24h to 30h; every later step moved with it.
	if res.Result.Status != reporting.StatusExited || res.Elapsed < 4*day+6*time.Hour || res.Elapsed > 4*day+6*time.Hour+20*time.Minute {
		t.Errorf("%s after %s, want exited after 4 days 6h", res.Result.Status, res.Elapsed)
	}
}

func TestConfigChangeAppliesToLaterSteps(t *testing.T) {
	js := &journeyState{journey: reporting.Journey{ID: "j1", Status: reporting.JourneyActive, Version: 1}}
	v2 := json.RawMessage(`{"touches":[
		{"after":"24h","channel":"push","template":"cart_offer"},
		{"after":"1h","channel":"webhook","template":"cart_offer"},
		{"after":"1h","channel":"sms","template":"cart_final_offer"}],"final_wait":"1h"}`)
	j := cart(kittest.Do(12*time.Hour, func() {
		js.set(func(j *reporting.Journey) { j.Version, j.Config = 2, v2 })
	}))
	j.Store = kittest.NewStore(sara)
	j.Store.JourneyFn = js.get

	out := j.Run(t)

	if got, want := out.Outbox.Channels(), []channels.Channel{"push", "webhook", "sms"}; !slices.Equal(got, want) {
		t.Errorf("sent on %v, want %v", got, want)
	}
	if out.Result.Status != reporting.StatusExited || out.Elapsed > day+3*time.Hour+10*time.Minute {
		t.Errorf("%s after %s, want exited after about 27h", out.Result.Status, out.Elapsed)
	}
	var versions []int
	for _, e := range out.Store.Entries() {
		versions = append(versions, e.Version)
	}
	// enrolled and the push ran under version 1; the rest under version 2.
	if want := []int{1, 1, 2, 2, 2}; !slices.Equal(versions, want) {
		t.Errorf("versions in the log = %v, want %v", versions, want)
	}
}

func TestRemove(t *testing.T) {
	out := cart(kittest.Control(day+time.Hour, journey.ControlRemove, "support request")).Run(t)

	if out.Result.Status != reporting.StatusRemoved {
		t.Errorf("status = %q, want removed", out.Result.Status)
	}
	if got := out.Store.Ended(kittest.EnrollmentID); got != reporting.StatusRemoved {
		t.Errorf("enrollment ended as %q, want removed", got)
	}
	if got, want := out.Outbox.Channels(), []channels.Channel{"push"}; !slices.Equal(got, want) {
		t.Errorf("sent on %v, want %v", got, want)
	}
}

func TestHoldoutWaitsAndSendsNothing(t *testing.T) {
	j := cart()
	j.Input.Holdout = true

	out := j.Run(t)

	if out.Result.Status != "exited" || len(out.Outbox.Channels()) != 0 {
		t.Errorf("%s after sending on %v, want exited after sending nothing", out.Result.Status, out.Outbox.Channels())
	}
	if got, want := out.Store.Story(), []string{"enrolled", "skipped:push", "skipped:email", "skipped:sms", "exited"}; !slices.Equal(got, want) {
		t.Errorf("story = %v, want %v", got, want)
	}
	for _, e := range out.Store.Entries() {
		if e.Kind == "skipped" && (e.Detail != journey.HoldoutReason || e.Channel == "") {
			t.Errorf("skipped entry = %+v, want detail %q and the touch's channel", e, journey.HoldoutReason)
		}
	}
	if out.Elapsed < 4*day || out.Elapsed > 4*day+20*time.Minute {
		t.Errorf("exited after %s, want the journey's 4 days of waits", out.Elapsed)
	}
}

// TestStateAndDetails reads a run the way support staff do, between the
// push and the email: the state query and the UI's current details.
func TestStateAndDetails(t *testing.T) {
	var state journey.State
	var details string
	look := kittest.Inspect(25*time.Hour, func(s journey.State, d string, err error) {
		if err != nil {
			t.Error(err)
		}
		state, details = s, d
	})
	j := cart(look)
	j.Input.JourneyName = "Cart"

	j.Run(t)

	if state.StepName != "push" || state.Step != 1 || state.Status != "active" || state.JourneyName != "Cart" {
		t.Errorf("state = %+v, want active at step 1 (push) of Cart", state)
	}
	if state.Waiting != "purchase" || state.WaitUntil == nil {
		t.Errorf("state waits for %q until %v, want purchase until a time", state.Waiting, state.WaitUntil)
	}
	if len(state.Sends) != 1 || state.Sends[0].Channel != "push" || state.Sends[0].Outcome != "sent" {
		t.Errorf("state sends = %+v, want the push, sent", state.Sends)
	}
	for _, want := range []string{"**Cart** · user `u1` · active", "**Now:** waiting for purchase until ", "**Step:** 1 (push)", "1. push `cart_offer`: sent"} {
		if !strings.Contains(details, want) {
			t.Errorf("details lack %q:\n%s", want, details)
		}
	}
}
