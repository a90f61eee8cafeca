package activities_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"journeys/activities"
	"journeys/channels"
	"journeys/reporting"
	"journeys/reporting/dbtest"
	"journeys/workflows/journey"
)

// TestSendFrequencyCap sends to one user, step after step, under a cap of
// one push a day: what the cap refuses is skipped with its reason and
// never reaches the provider, retries are judged once, and transactional
// sends pass.
func TestSendFrequencyCap(t *testing.T) {
	store, _ := dbtest.New(t)
	ctx := reporting.WithWorkspace(context.Background(), reporting.DefaultWorkspace)
	if err := store.SetFrequencyCaps(ctx, []reporting.FrequencyCap{{Channel: "push", Max: 1, Per: 24 * time.Hour}}); err != nil {
		t.Fatal(err)
	}
	box := &outbox{}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.SetWorkerOptions(worker.Options{BackgroundActivityContext: ctx})
	env.RegisterActivity(&activities.Activities{Store: store, Caps: store,
		Senders: map[channels.Channel]activities.Sender{channels.Push: box, channels.Email: box}})
	putUser(t, store, reporting.User{ID: "u1", PushToken: "t", Email: "u1@example.com"})
	id := enroll(t, store, "cart", "u1")
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	send := func(step int, channel channels.Channel, transactional bool) outcome {
		t.Helper()
		in := activities.SendInput{EnrollmentID: id, JourneyID: "cart", UserID: "u1", WorkflowID: journey.WorkflowID(reporting.DefaultWorkspace, "cart", "u1"),
			Step: step, Channel: channel, Template: "cart_offer", At: at.Add(time.Duration(step) * time.Hour), Transactional: transactional}
		var a *activities.Activities
		val, err := env.ExecuteActivity(a.Send, in)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		var res activities.SendResult
		if err := val.Get(&res); err != nil {
			t.Fatal(err)
		}
		return outcome{res.Outcome, res.Reason, res.Provider, res.Channel}
	}
	sent := func(c channels.Channel) outcome { return outcome{Outcome: "sent", Provider: "outbox", Channel: c} }
	capped := outcome{Outcome: "skipped", Reason: activities.FrequencyCapReason}
	steps := []struct {
		step          int
		channel       channels.Channel
		transactional bool
		want          outcome
	}{
		{1, "push", false, sent("push")},
		{2, "push", false, capped},
		{3, "email", false, sent("email")}, // no cap on email
		{2, "push", false, capped},         // a retry of the capped step
		{1, "push", false, sent("push")},   // a retry of the sent one: not counted again
		{4, "push", true, sent("push")},    // transactional
		{5, "push", false, capped},
		{30, "push", false, sent("push")}, // a day after the first
	}
	for _, st := range steps {
		if got := send(st.step, st.channel, st.transactional); got != st.want {
			t.Errorf("step %d (%s): got %+v, want %+v", st.step, st.channel, got, st.want)
		}
	}
	if n := len(box.sent); n != 4 {
		t.Errorf("the provider got %d messages, want 4 (steps 1, 3, 4, 30)", n)
	}
	var skipped []string
	if err := store.DB().Select(&skipped, `SELECT detail FROM journey_events WHERE enrollment_id = $1 AND kind = 'skipped' ORDER BY step`, id); err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 2 || skipped[0] != "frequency_cap" || skipped[1] != "frequency_cap" {
		t.Errorf("skipped entries = %q, want steps 2 and 5 with reason frequency_cap", skipped)
	}
	var counted int
	if err := store.DB().Get(&counted, `SELECT count(*) FROM frequency_ledger WHERE workspace_id = 'default' AND counted`); err != nil || counted != 3 {
		t.Errorf("counted sends = %d, %v; want 3 (the transactional one is not counted)", counted, err)
	}
}
