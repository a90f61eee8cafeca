package api

import (
	"errors"
	"strings"
	"testing"
	"time"

	"journeys/reporting"
	"journeys/workflows"
	"journeys/workflows/journey/dryrun"
)

// TestSimulationsAreBounded runs simulations past their bounds: with every
// slot taken, and past the timeout. Both are a 503 that says why, and a
// simulation past its timeout keeps its slot until it ends.
func TestSimulationsAreBounded(t *testing.T) {
	typ, _ := workflows.Lookup("cart_abandonment")
	config, err := typ.Config(nil)
	if err != nil {
		t.Fatal(err)
	}
	sim := dryrun.Simulation{Journey: reporting.Journey{ID: "cart", Type: "cart_abandonment", GoalEvent: "purchase", Version: 1, Config: config},
		UserID: "u1", StartAt: time.Now(), Horizon: maxSimulatedTime, Idle: simulationTimeout}
	var refused *Error

	busy := newSimulations(1, time.Minute)
	busy.slots <- struct{}{}
	if _, err := busy.run(t.Context(), sim); !errors.As(err, &refused) || refused.Code != CodeUnavailable ||
		refused.Message != "1 simulations are running already; retry in a few seconds" {
		t.Errorf("with no free slot: %v, want 503 saying the simulations are running", err)
	}

	slow := newSimulations(1, time.Nanosecond)
	if _, err := slow.run(t.Context(), sim); !errors.As(err, &refused) || refused.Code != CodeUnavailable ||
		!strings.HasPrefix(refused.Message, "the simulation took longer than 1ns") {
		t.Errorf("past the timeout: %v, want 503 saying it took too long", err)
	}
	for deadline := time.Now().Add(time.Minute); len(slow.slots) > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the simulation past its timeout never gave its slot back")
		}
	}
	if res, err := newSimulations(1, time.Minute).run(t.Context(), sim); err != nil || res.Outcome.Status != "exited" {
		t.Errorf("within bounds: %+v, %v; want the run to exit", res.Outcome, err)
	}
}
