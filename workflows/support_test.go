package workflows

import (
	"strings"
	"testing"
	"time"

	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/testsuite"

	"journeys/channels"
)

func TestHoldoutWaitsAndSendsNothing(t *testing.T) {
	store, box := newMemStore(fullContact), &outbox{}
	in := cartInput()
	in.Holdout = true

	res, elapsed := execute(t, store, box, in)

	if res.Status != "exited" {
		t.Errorf("status = %q, want exited", res.Status)
	}
	if got := box.channels(); len(got) != 0 {
		t.Errorf("sent on %v, want nothing", got)
	}
	if got, want := store.kinds(), []string{"enrolled", "skipped", "skipped", "skipped", "exited"}; !equal(got, want) {
		t.Errorf("log = %v, want %v", got, want)
	}
	for _, e := range store.entries {
		if e.Kind == "skipped" && (e.Detail != HoldoutReason || e.Channel == "") {
			t.Errorf("skipped entry = %+v, want detail %q and the touch's channel", e, HoldoutReason)
		}
	}
	if day := 24 * time.Hour; elapsed < 4*day || elapsed > 4*day+20*time.Minute {
		t.Errorf("exited after %s, want the journey's 4 days of waits", elapsed)
	}
}

// TestStateAndDetails reads a run the way support staff do, between the
// push and the email: the state query and the UI's current details.
func TestStateAndDetails(t *testing.T) {
	store := newMemStore(fullContact)
	var state State
	var details string
	look := at{25 * time.Hour, func(env *testsuite.TestWorkflowEnvironment) {
		v, err := env.QueryWorkflow(StateQueryName)
		if err != nil {
			t.Error(err)
			return
		}
		if err := v.Get(&state); err != nil {
			t.Error(err)
		}
		v, err = env.QueryWorkflow("__temporal_workflow_metadata")
		if err != nil {
			t.Error(err)
			return
		}
		var meta sdkpb.WorkflowMetadata
		if err := v.Get(&meta); err != nil {
			t.Error(err)
		}
		details = meta.GetCurrentDetails()
	}}

	execute(t, store, &outbox{}, cartInput(), look)

	if state.StepName != "push" || state.Step != 1 || state.Status != "active" || state.JourneyName != "Cart" {
		t.Errorf("state = %+v, want active at step 1 (push) of Cart", state)
	}
	if state.Waiting != "purchase" || state.WaitUntil == nil {
		t.Errorf("state waits for %q until %v, want purchase until a time", state.Waiting, state.WaitUntil)
	}
	if len(state.Sends) != 1 || state.Sends[0].Channel != channels.Push || state.Sends[0].Outcome != "sent" {
		t.Errorf("state sends = %+v, want the push, sent", state.Sends)
	}
	for _, want := range []string{"**Cart** · user `u1` · active", "**Now:** waiting for purchase until ", "**Step:** 1 (push)", "1. push `cart_offer`: sent"} {
		if !strings.Contains(details, want) {
			t.Errorf("details lack %q:\n%s", want, details)
		}
	}
}
