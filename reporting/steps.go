package reporting

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// StepReport is a journey's report by step id, so that the steps of two
// branches are never merged: what became of each step's sends, each
// variant's arms against the first, and for a flow each node. It reads
// journey_step_stats, a rollup kept current on every insert into the log.
type StepReport struct {
	// Version is the config version the counts are limited to; null for
	// all versions.
	Version *int `json:"version"`
	// Steps are the sending steps, in the order runs first met them.
	Steps []Step `json:"steps"`
	// Variants compare each variant's arms with its first arm.
	Variants []Variant `json:"variants"`
	// Nodes are a flow's nodes, in the flow's order; null for a journey
	// that is not a flow.
	Nodes []Node `json:"nodes"`
}

// Step is what became of one step's sends across the runs that reached
// it.
type Step struct {
	StepID string `json:"step_id"`
	// Channel and Template are those most of the step's sends used.
	Channel  string `json:"channel"`
	Template string `json:"template"`
	// Reached counts the step's sends: sent, skipped and failed.
	Reached int `json:"reached"`
	Sends
	// Deferred counts sends a send window put off (they count once more
	// when they go).
	Deferred int `json:"deferred"`
	// Converted and Revenue are the conversions attributed to the step's
	// sends (see the journey's conversion window).
	Converted int     `json:"converted"`
	Revenue   float64 `json:"revenue"`

	first int
	uses  map[[2]string]int
}

// Sends is what became of sends: each ends as exactly one of sent (by
// channel), skipped or failed (by reason).
type Sends struct {
	Sent            int            `json:"sent"`
	SentByChannel   map[string]int `json:"sent_by_channel"`
	Skipped         int            `json:"skipped"`
	SkippedByReason map[string]int `json:"skipped_by_reason"`
	Failed          int            `json:"failed"`
	FailedByReason  map[string]int `json:"failed_by_reason"`
}

func newSends() Sends {
	return Sends{SentByChannel: map[string]int{}, SkippedByReason: map[string]int{}, FailedByReason: map[string]int{}}
}

// count counts row when it is a sent, skipped or failed send, and reports
// whether it was.
func (s *Sends) count(row stepRow) bool {
	switch row.Kind {
	case KindSent:
		s.Sent += row.N
		s.SentByChannel[row.Channel] += row.N
	case KindSkipped:
		s.Skipped += row.N
		s.SkippedByReason[row.Detail] += row.N
	case KindFailed:
		s.Failed += row.N
		s.FailedByReason[row.Detail] += row.N
	default:
		return false
	}
	return true
}

// Variant is one A/B test of a journey: its arms, the first of which the
// others are compared with.
type Variant struct {
	Name string `json:"name"`
	Arms []Arm  `json:"arms"`
	// Method is how the lifts' confidence intervals are computed, as for
	// the holdout.
	Method string `json:"ci_method"`
}

// Arm is one arm of a variant: the runs assigned it, outside the holdout,
// and how they converted, with the lift against the variant's first arm
// (null on the first arm).
type Arm struct {
	Name string `json:"name"`
	Group
	Lift
}

// NodeRef names a node of a flow and its type, for StepQuery.
type NodeRef struct {
	ID   string
	Type string
}

// StepQuery says what a StepReport reads.
type StepQuery struct {
	// Version limits the counts to entries recorded under that config
	// version (for a flow, the runs that started on it); 0 reads all.
	Version int
	// Arms lists each variant's arms in the journey's order, the first the
	// one the others are compared with; arms not listed follow by name.
	Arms map[string][]string
	// Nodes lists a flow's nodes in the order to report them; nil for a
	// journey that is not a flow. Nodes the log names but the list does
	// not (of another version) follow.
	Nodes []NodeRef
}

// stepRow is a sum of journey_step_stats rows.
type stepRow struct {
	Holdout  bool    `db:"holdout"`
	StepID   string  `db:"step_id"`
	Kind     string  `db:"kind"`
	Detail   string  `db:"detail"`
	Channel  string  `db:"channel"`
	Template string  `db:"template"`
	First    int     `db:"first_step"`
	N        int     `db:"n"`
	Revenue  revenue `db:"revenue"`
}

// StepReport computes the step report of journey journeyID for the runs
// enrolled from the day of from to the day of to (UTC, both included).
func (s *Store) StepReport(ctx context.Context, journeyID string, from, to time.Time, q StepQuery) (StepReport, error) {
	ws, err := scope(ctx, "sum journey step stats")
	if err != nil {
		return StepReport{}, err
	}
	const sums = `
	SELECT holdout, step_id, kind, detail, channel, template, min(first_step) AS first_step, sum(n)::bigint AS n,
		coalesce(sum(nullif(revenue, 'NaN')), 0) AS revenue
	FROM journey_step_stats
	WHERE workspace_id = $5 AND journey_id = $1 AND cohort_day BETWEEN $2::date AND $3::date AND ($4 = 0 OR version = $4)
	GROUP BY holdout, step_id, kind, detail, channel, template`
	var rows []stepRow
	if err := s.db.SelectContext(ctx, &rows, sums, journeyID, Day0(from).Format(DayFormat), Day0(to).Format(DayFormat), q.Version, ws); err != nil {
		return StepReport{}, fmt.Errorf("sum journey step stats: %w", err)
	}
	r := StepReport{Steps: steps(rows), Variants: variants(rows, q.Arms)}
	if q.Version > 0 {
		r.Version = &q.Version
	}
	if q.Nodes != nil {
		r.Nodes = nodes(rows, q.Nodes)
	}
	return r, nil
}

// steps lists the sending steps, in the order runs first met them.
func steps(rows []stepRow) []Step {
	byID := map[string]*Step{}
	get := func(row stepRow) *Step {
		st, ok := byID[row.StepID]
		if !ok {
			st = &Step{StepID: row.StepID, Sends: newSends(), first: row.First, uses: map[[2]string]int{}}
			byID[row.StepID] = st
		}
		st.first = min(st.first, row.First)
		return st
	}
	for _, row := range rows {
		switch row.Kind {
		case KindSent, KindSkipped, KindFailed:
			st := get(row)
			st.count(row)
			st.Reached += row.N
			st.uses[[2]string{row.Channel, row.Template}] += row.N
		case KindDeferred:
			get(row).Deferred += row.N
		case KindConverted:
			st := get(row)
			st.Converted += row.N
			st.Revenue = saturate(st.Revenue + float64(row.Revenue))
		}
	}
	out := make([]Step, 0, len(byID))
	for _, st := range byID {
		st.Channel, st.Template = mostUsed(st.uses)
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b Step) int { return cmp.Or(cmp.Compare(a.first, b.first), cmp.Compare(a.StepID, b.StepID)) })
	return out
}

// mostUsed returns the channel and template used most, the first in order
// among equals.
func mostUsed(uses map[[2]string]int) (channel, template string) {
	best := -1
	for _, use := range slices.SortedFunc(maps.Keys(uses), func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	}) {
		if uses[use] > best {
			best, channel, template = uses[use], use[0], use[1]
		}
	}
	return channel, template
}

// variants compares each variant's arms, outside the holdout, with its
// first arm.
func variants(rows []stepRow, order map[string][]string) []Variant {
	arms := map[string]map[string]*Group{}
	group := func(variant, arm string) *Group {
		if arms[variant] == nil {
			arms[variant] = map[string]*Group{}
		}
		if arms[variant][arm] == nil {
			arms[variant][arm] = &Group{}
		}
		return arms[variant][arm]
	}
	for _, row := range rows {
		switch {
		case row.Holdout:
		case row.Kind == KindVariant:
			group(row.StepID, row.Detail).Enrolled += row.N
		case row.Kind == "converted_after" && row.Detail != "": // the arm of a variant the run was in
			g := group(row.StepID, row.Detail)
			g.Converted += row.N
			g.Revenue = saturate(g.Revenue + float64(row.Revenue))
		}
	}
	out := []Variant{}
	for _, name := range slices.Sorted(maps.Keys(arms)) {
		v := Variant{Name: name, Arms: []Arm{}, Method: "newcombe-wilson"}
		names := slices.Sorted(maps.Keys(arms[name]))
		listed := slices.DeleteFunc(slices.Clone(order[name]), func(a string) bool { return arms[name][a] == nil })
		names = append(listed, slices.DeleteFunc(names, func(a string) bool { return slices.Contains(listed, a) })...)
		for _, a := range names {
			v.Arms = append(v.Arms, Arm{Name: a, Group: *arms[name][a]})
		}
		compareArms(v.Arms)
		out = append(out, v)
	}
	return out
}

// compareArms fills in each arm's rate, and the lift of every arm but the
// first against the first, as for the holdout.
func compareArms(arms []Arm) {
	for i := range arms {
		arms[i].ConversionRate = rate(arms[i].Converted, arms[i].Enrolled)
		if i > 0 {
			arms[i].Lift = lift(arms[i].Group, arms[0].Group)
		}
	}
}

// JourneyConfig returns the config of version of journey id.
func (s *Store) JourneyConfig(ctx context.Context, id string, version int) (json.RawMessage, error) {
	ws, err := scope(ctx, "get journey config")
	if err != nil {
		return nil, err
	}
	const q = `SELECT config FROM journey_versions WHERE workspace_id = $3 AND journey_id = $1 AND version = $2`
	var config json.RawMessage
	if err := s.db.GetContext(ctx, &config, q, id, version, ws); err != nil {
		return nil, fmt.Errorf("get journey config: %w", translate(err))
	}
	return config, nil
}
