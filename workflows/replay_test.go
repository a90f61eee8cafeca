package workflows_test

import (
	"testing"

	"journeys/workflows/journey/kittest"
)

// TestReplayRecordedHistories replays histories of real runs (recorded by
// the end-to-end tests with -update-histories) against the journey code as
// it is now. A change that would break runs in flight fails here.
func TestReplayRecordedHistories(t *testing.T) {
	kittest.ReplayHistories(t, "testdata")
}
