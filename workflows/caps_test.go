package workflows_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"journeys/reporting"
	"journeys/reporting/dbtest"
	"journeys/workflows/journey/kittest"
)

// TestFrequencyCapAcrossJourneys runs three welcome series for one user at
// the same instant, over real Postgres caps of one push a day: two
// marketing journeys, whose pushes the cap shares out, and a transactional
// one it leaves alone. Every run goes on to its end.
func TestFrequencyCapAcrossJourneys(t *testing.T) {
	store, _ := dbtest.New(t)
	ctx := reporting.WithWorkspace(context.Background(), reporting.DefaultWorkspace)
	if err := store.SetFrequencyCaps(ctx, []reporting.FrequencyCap{{Channel: "push", Max: 1, Per: 24 * time.Hour}}); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	// The welcome by push at once; three days later, without activation,
	// the reminder by push too.
	const config = `{"welcome": {"channel": "push", "template": "welcome"}}`
	outs := make([]kittest.Outcome, 3)
	t.Run("at once", func(t *testing.T) {
		for i := range outs {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				j := welcome()
				j.Config, j.StartAt, j.Caps = config, start, store
				j.Input.JourneyID, j.Input.EnrollmentID = fmt.Sprintf("welcome-%d", i), int64(100+i)
				j.Input.Transactional = i == 2
				outs[i] = j.Run(t)
			})
		}
	})
	if t.Failed() {
		return
	}
	for i, out := range outs {
		if out.Result.Status != "exited" {
			t.Errorf("run %d ended %q, want exited: a capped send does not end the journey", i, out.Result.Status)
		}
	}
	// Of the two marketing runs, one welcome went and one was capped; three
	// days on, one reminder went and one was capped again.
	var stories [][]string
	for _, out := range outs[:2] {
		stories = append(stories, out.Store.Story())
	}
	for _, step := range []string{"welcome", "reminder"} {
		var sent, capped int
		for i, out := range outs[:2] {
			for _, e := range out.Store.Entries() {
				switch {
				case e.StepID != step:
				case e.Kind == reporting.KindSent:
					sent++
				case e.Kind == reporting.KindSkipped && e.Detail == "frequency_cap":
					capped++
				default:
					t.Errorf("run %d, %s: %s %q", i, step, e.Kind, e.Detail)
				}
			}
		}
		if sent != 1 || capped != 1 {
			t.Errorf("%s: %d sent and %d capped, want 1 and 1; stories %v", step, sent, capped, stories)
		}
	}
	if got, want := outs[2].Store.Story(), []string{"enrolled", "sent:welcome", "sent:reminder", "exited"}; !slices.Equal(got, want) {
		t.Errorf("transactional run: story %v, want %v", got, want)
	}
	var pushes int
	for _, out := range outs {
		pushes += len(out.Outbox.Channels())
	}
	if pushes != 4 {
		t.Errorf("%d messages went, want 4: one welcome and one reminder of the marketing runs, both of the transactional one", pushes)
	}
}
