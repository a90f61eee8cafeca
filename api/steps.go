package api

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"journeys/reporting"
	"journeys/workflows"
)

// reportVersion reads a report's version parameter: a config version of
// the journey, or all versions ("" or 0).
func reportVersion(text string, j reporting.Journey) (int, error) {
	if text == "" {
		return 0, nil
	}
	v, err := strconv.Atoi(text)
	if err != nil || v < 0 || v > j.Version {
		return 0, Errorf(CodeInvalid, "version %q must be a version of the journey, 1 to %d", clip(text), j.Version)
	}
	return v, nil
}

// stepReport fills in r's breakdown by step id for the runs enrolled from
// from to to, of the given config version or all (0), and returns the
// flow's graph in that version (the current one for all), or nil when j is
// not a flow.
func (s *Server) stepReport(ctx context.Context, r *reporting.Report, j reporting.Journey, from, to time.Time, version int) (*workflows.FlowGraph, error) {
	config, read := j.Config, j.Version
	if version > 0 && version != j.Version {
		read = version
		var err error
		if config, err = s.store.JourneyConfig(ctx, j.ID, version); err != nil {
			return nil, err
		}
	}
	var q reporting.StepQuery
	q.Version = version
	if typ, ok := workflows.Lookup(j.Type); ok {
		q.Arms = typ.Plan(config).Variants
	}
	var graph *workflows.FlowGraph
	if j.Type == "flow" {
		g, err := workflows.ReadFlowGraph(config)
		if err != nil {
			return nil, fmt.Errorf("journey %s version %d: %w", j.ID, read, err)
		}
		graph = &g
		q.Nodes = []reporting.NodeRef{}
		for _, n := range g.Nodes {
			q.Nodes = append(q.Nodes, reporting.NodeRef{ID: n.ID, Type: n.Type})
		}
	}
	steps, err := s.store.StepReport(ctx, j.ID, from, to, q)
	if err != nil {
		return nil, err
	}
	r.StepReport = steps
	return graph, nil
}
