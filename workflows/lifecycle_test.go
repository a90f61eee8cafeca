package workflows

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"journeys/channels"
	"journeys/reporting"
)

const day = 24 * time.Hour

func TestConversionWindow(t *testing.T) {
	tests := []struct {
		name        string
		purchase    time.Duration
		wantStep    int
		wantChannel string
	}{
		// The push goes out after a day; the window is 12h.
		{"inside the window of the push", day + 6*time.Hour, 1, "push"},
		{"outside the window, before the email", day + 20*time.Hour, 0, ""},
		{"before any send", 2 * time.Hour, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, box := newMemStore(fullContact), &outbox{}
			in := cartInput()
			in.ConversionWindow = 12 * time.Hour
			res, _ := execute(t, store, box, in, signal(tt.purchase, "p1", "purchase", map[string]any{"revenue": 49.5}))

			if res.Status != reporting.StatusConverted {
				t.Fatalf("status = %q, want converted", res.Status)
			}
			conv := store.last()
			if conv.Kind != reporting.KindConverted || conv.Step != tt.wantStep || conv.Channel != tt.wantChannel {
				t.Errorf("conversion = step %d channel %q (%s), want step %d channel %q", conv.Step, conv.Channel, conv.Detail, tt.wantStep, tt.wantChannel)
			}
			if conv.Revenue == nil || *conv.Revenue != 49.5 {
				t.Errorf("revenue = %v, want 49.5", conv.Revenue)
			}
		})
	}
}

func TestConversionWindowEndsTheRun(t *testing.T) {
	store, box := newMemStore(fullContact), &outbox{}
	in := cartInput()
	in.ConversionWindow = 12 * time.Hour

	res, elapsed := execute(t, store, box, in)

	// Three days of touches, then the 12h window instead of final_wait's day.
	if res.Status != reporting.StatusExited || elapsed < 3*day+12*time.Hour || elapsed > 3*day+13*time.Hour {
		t.Errorf("%s after %s, want exited after 3 days 12h", res.Status, elapsed)
	}
}

func TestExitEvent(t *testing.T) {
	store, box := newMemStore(fullContact), &outbox{}
	in := cartInput()
	in.ExitEvents = []string{"cart_emptied"}

	res, elapsed := execute(t, store, box, in,
		signal(day+time.Hour, "x1", "page_view", nil), // neither goal nor exit: ignored
		signal(day+2*time.Hour, "x2", "cart_emptied", nil))

	if res.Status != reporting.StatusExited || res.Reason != "cart_emptied" {
		t.Errorf("result = %+v, want exited for cart_emptied", res)
	}
	if got, want := box.channels(), []channels.Channel{"push"}; !equal(got, want) {
		t.Errorf("sent on %v, want %v", got, want)
	}
	if elapsed > day+3*time.Hour {
		t.Errorf("ended after %s, want right after the exit event", elapsed)
	}
	if got := store.ended[7]; got != reporting.StatusExited {
		t.Errorf("enrollment ended as %q, want exited", got)
	}
}

func TestEventBeforeEnrollmentIsIgnored(t *testing.T) {
	store, box := newMemStore(fullContact), &outbox{}
	late := at{time.Hour, func(env *testsuite.TestWorkflowEnvironment) {
		// A purchase the app reports late, that happened before the user entered.
		env.SignalWorkflow(EventSignalName, EventSignal{EventID: "old", Name: "purchase", OccurredAt: env.Now().Add(-2 * time.Hour)})
	}}

	res, _ := execute(t, store, box, cartInput(), late)

	if res.Status != reporting.StatusExited || len(box.channels()) != 3 {
		t.Errorf("%s after %d sends, want exited after 3", res.Status, len(box.channels()))
	}
}

func TestPauseHoldsSendsUntilResume(t *testing.T) {
	store, box := newMemStore(fullContact), &outbox{}
	var mu sync.Mutex
	status := reporting.JourneyActive
	setStatus := func(s string) { mu.Lock(); status = s; mu.Unlock() }
	store.JourneyFn = func() reporting.Journey {
		mu.Lock()
		defer mu.Unlock()
		return reporting.Journey{ID: "cart", Status: status, Version: 1}
	}
	pause := at{20 * time.Hour, func(*testsuite.TestWorkflowEnvironment) { setStatus(reporting.JourneyPaused) }}
	resume := at{30 * time.Hour, func(env *testsuite.TestWorkflowEnvironment) {
		if len(box.channels()) != 0 {
			t.Errorf("sent %v while paused", box.channels())
		}
		setStatus(reporting.JourneyActive)
		env.SignalWorkflow(ControlSignalName, ControlSignal{Op: ControlResume})
	}}

	res, elapsed := execute(t, store, box, cartInput(), pause, resume)

	if got, want := box.channels(), []channels.Channel{"push", "email", "sms"}; !equal(got, want) {
		t.Errorf("sent on %v, want %v (a held send is delayed, not skipped)", got, want)
	}
	// The push waited from 24h to 30h; every later step moved with it.
	if res.Status != reporting.StatusExited || elapsed < 4*day+6*time.Hour || elapsed > 4*day+6*time.Hour+20*time.Minute {
		t.Errorf("%s after %s, want exited after 4 days 6h", res.Status, elapsed)
	}
}

func TestConfigChangeAppliesToLaterSteps(t *testing.T) {
	store, box := newMemStore(fullContact), &outbox{}
	var mu sync.Mutex
	current := reporting.Journey{ID: "cart", Status: reporting.JourneyActive, Version: 1}
	store.JourneyFn = func() reporting.Journey { mu.Lock(); defer mu.Unlock(); return current }
	v2 := json.RawMessage(`{"touches":[
		{"after":"24h","channel":"push","template":"cart_offer"},
		{"after":"1h","channel":"webhook","template":"cart_offer"},
		{"after":"1h","channel":"sms","template":"cart_final_offer"}],"final_wait":"1h"}`)
	change := at{12 * time.Hour, func(*testsuite.TestWorkflowEnvironment) {
		mu.Lock()
		current.Version, current.Config = 2, v2
		mu.Unlock()
	}}

	res, elapsed := execute(t, store, box, cartInput(), change)

	if got, want := box.channels(), []channels.Channel{"push", "webhook", "sms"}; !equal(got, want) {
		t.Errorf("sent on %v, want %v", got, want)
	}
	if res.Status != reporting.StatusExited || elapsed > day+3*time.Hour+10*time.Minute {
		t.Errorf("%s after %s, want exited after about 27h", res.Status, elapsed)
	}
	var versions []int
	for _, e := range store.entries {
		versions = append(versions, e.Version)
	}
	// enrolled and the push ran under version 1; the rest under version 2.
	if want := []int{1, 1, 2, 2, 2}; !equal(versions, want) {
		t.Errorf("versions in the log = %v, want %v", versions, want)
	}
}

func TestRemove(t *testing.T) {
	store, box := newMemStore(fullContact), &outbox{}
	remove := at{day + time.Hour, func(env *testsuite.TestWorkflowEnvironment) {
		env.SignalWorkflow(ControlSignalName, ControlSignal{Op: ControlRemove, Reason: "support request"})
	}}

	res, _ := execute(t, store, box, cartInput(), remove)

	if res.Status != reporting.StatusRemoved {
		t.Errorf("status = %q, want removed", res.Status)
	}
	if got := store.ended[7]; got != reporting.StatusRemoved {
		t.Errorf("enrollment ended as %q, want removed", got)
	}
	if got, want := box.channels(), []channels.Channel{"push"}; !equal(got, want) {
		t.Errorf("sent on %v, want %v", got, want)
	}
}
