package main

import (
	"flag"
	"path/filepath"

	"journeys/workflows/journey/kittest"
)

// updateHistories rewrites the recorded histories that the replay test in
// workflows/ checks every change of the journey code against:
//
//	go test -run TestCartAbandonmentEndToEnd ./cmd/journeys/ -update-histories
var updateHistories = flag.Bool("update-histories", false, "record the end-to-end runs' histories under workflows/testdata")

// recordHistory writes the history of a finished run to
// workflows/testdata/<name>.json when -update-histories is set.
func (s *stack) recordHistory(name, workflowID, runID string) {
	if !*updateHistories {
		return
	}
	s.t.Helper()
	kittest.RecordHistory(s.t, s.temporal, workflowID, runID, filepath.Join("..", "..", "workflows", "testdata", name+".json"))
}
