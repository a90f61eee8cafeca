package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
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
	hist := &historypb.History{}
	it := s.temporal.GetWorkflowHistory(context.Background(), workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			s.t.Fatal(err)
		}
		hist.Events = append(hist.Events, ev)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
	if err != nil {
		s.t.Fatal(err)
	}
	path := filepath.Join("..", "..", "workflows", "testdata", name+".json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.t.Logf("recorded %s", path)
}
