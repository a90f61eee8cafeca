package reporting

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// DayFormat is how reports write days: UTC calendar days.
const DayFormat = time.DateOnly

// Report sums up how a journey is doing for the runs enrolled from From to
// To (UTC days, both included): what became of them, whenever it happened.
// Only Daily counts by the day things happened.
type Report struct {
	JourneyID string `json:"journey_id"`
	From      string `json:"from"`
	To        string `json:"to"`
	Enrolled  int    `json:"enrolled"`
	Active    int    `json:"active"`
	Converted int    `json:"converted"`
	Exited    int    `json:"exited"`
	Removed   int    `json:"removed"`
	// Failed counts runs that failed, not failed sends (see Funnel).
	Failed int `json:"failed"`
	// ExitReasons counts the exited and removed runs by reason.
	ExitReasons    map[string]int `json:"exit_reasons"`
	ConversionRate float64        `json:"conversion_rate"`
	// Revenue adds up the goal events' revenue of the conversions (see
	// revenue for the limits).
	Revenue float64 `json:"revenue"`
	// MedianTimeToConvert is the median time from enrollment to conversion
	// in seconds; null without conversions.
	MedianTimeToConvert *float64 `json:"median_time_to_convert_seconds"`
	// Sends and Skipped count messages per channel.
	Sends   map[string]int `json:"sends"`
	Skipped map[string]int `json:"skipped"`
	Funnel  []FunnelStep   `json:"funnel"`
	// Attribution splits the conversions by the send they are attributed
	// to; step 0 holds those that came before any send, or too long after.
	Attribution []Attribution `json:"attribution"`
	// Daily counts, for each day from From to To, the enrollments, sends
	// and conversions that happened that day.
	Daily []Day `json:"daily"`
	// Holdout compares the journey with its control group; null for a
	// journey that never kept one.
	Holdout *Holdout `json:"holdout"`
	// StepReport breaks the runs down by step id; Report leaves it for
	// StepReport to fill in.
	StepReport
}

// FunnelStep is what became of one step's send across the runs that
// reached it: each ends as exactly one of sent, skipped or failed.
type FunnelStep struct {
	Step int `json:"step"`
	// Channel and Template are those most of the step's sends used.
	Channel         string         `json:"channel"`
	Template        string         `json:"template"`
	Reached         int            `json:"reached"`
	Sent            int            `json:"sent"`
	SentByChannel   map[string]int `json:"sent_by_channel"`
	Skipped         int            `json:"skipped"`
	SkippedByReason map[string]int `json:"skipped_by_reason"`
	Failed          int            `json:"failed"`
}

// Attribution is the conversions attributed to one send of the journey.
type Attribution struct {
	Step        int     `json:"step"`
	Channel     string  `json:"channel"`
	Template    string  `json:"template"`
	Conversions int     `json:"conversions"`
	Revenue     float64 `json:"revenue"`
}

// Day is one day of a report's daily series.
type Day struct {
	Day       string `json:"day"`
	Enrolled  int    `json:"enrolled"`
	Sent      int    `json:"sent"`
	Converted int    `json:"converted"`
}

// statRow is a count over journey_stats rows.
type statRow struct {
	Holdout  bool   `db:"holdout"`
	Step     int    `db:"step"`
	Kind     string `db:"kind"`
	Outcome  string `db:"outcome"`
	Channel  string `db:"channel"`
	Template string `db:"template"`
	Reason   string `db:"reason"`
	N        int    `db:"n"`
}

// Report computes journey j's report for the runs enrolled from the day of
// from to the day of to (UTC, both included). It reads the journey_stats
// rollup and one partial index, so its cost does not grow with the log.
func (s *Store) Report(ctx context.Context, j Journey, from, to time.Time) (Report, error) {
	ws, err := scope(ctx, "report")
	if err != nil {
		return Report{}, err
	}
	from, to = Day0(from), Day0(to)
	r := newReport(j.ID)
	r.From, r.To = from.Format(DayFormat), to.Format(DayFormat)

	const stats = `
	SELECT holdout, step, kind, outcome, channel, template, reason, sum(n)::bigint AS n
	FROM journey_stats WHERE workspace_id = $4 AND journey_id = $1 AND cohort_day BETWEEN $2::date AND $3::date
	GROUP BY holdout, step, kind, outcome, channel, template, reason`
	var rows []statRow
	if err := s.db.SelectContext(ctx, &rows, stats, j.ID, r.From, r.To, ws); err != nil {
		return Report{}, fmt.Errorf("sum journey stats: %w", err)
	}
	steps := funnelSteps{}
	for _, row := range rows {
		r.add(row)
		steps.add(row)
	}
	r.Funnel = steps.list()

	// Each revenue figure is one exact sum, so that it is the same
	// whatever order the rows come in, and cannot overflow on the way.
	const revenues = `
	SELECT CASE GROUPING(holdout, step, channel, template) WHEN 15 THEN 'all' WHEN 7 THEN 'group' ELSE 'send' END AS of,
		coalesce(holdout, false) AS holdout, coalesce(step, 0) AS step, coalesce(channel, '') AS channel,
		coalesce(template, '') AS template, sum(nullif(revenue, 'NaN')) AS revenue
	FROM journey_stats WHERE workspace_id = $4 AND journey_id = $1 AND cohort_day BETWEEN $2::date AND $3::date AND outcome = 'converted'
	GROUP BY GROUPING SETS ((), (holdout), (step, channel, template))`
	var sums []revenueRow
	if err := s.db.SelectContext(ctx, &sums, revenues, j.ID, r.From, r.To, ws); err != nil {
		return Report{}, fmt.Errorf("sum journey revenue: %w", err)
	}
	for _, row := range sums {
		r.setRevenue(row)
	}
	r.finish()
	if j.HoldoutPercent > 0 || r.Holdout.Control.Enrolled > 0 {
		r.Holdout.Percent = j.HoldoutPercent
		r.Holdout.compare()
	} else {
		r.Holdout = nil
	}

	const median = `
	SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ended_at - enrolled_at))
	FROM enrollments
	WHERE workspace_id = $4 AND journey_id = $1 AND status = 'converted' AND enrolled_at >= $2 AND enrolled_at < $3`
	var m sql.NullFloat64
	if err := s.db.GetContext(ctx, &m, median, j.ID, from, to.AddDate(0, 0, 1), ws); err != nil {
		return Report{}, fmt.Errorf("median time to convert: %w", err)
	}
	if m.Valid {
		r.MedianTimeToConvert = &m.Float64
	}

	daily, err := s.daily(ctx, ws, j.ID, from, to)
	if err != nil {
		return Report{}, err
	}
	r.Daily = daily
	return r, nil
}

// daily returns the journey's enrollments, sends and conversions on each
// day from from to to.
func (s *Store) daily(ctx context.Context, ws, journeyID string, from, to time.Time) ([]Day, error) {
	const q = `
	SELECT to_char(day, 'YYYY-MM-DD') AS day, kind, sum(n) AS n FROM journey_stats
	WHERE workspace_id = $4 AND journey_id = $1 AND day BETWEEN $2::date AND $3::date AND kind IN ('enrolled', 'sent', 'converted')
	GROUP BY day, kind`
	var rows []struct {
		Day  string `db:"day"`
		Kind string `db:"kind"`
		N    int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, q, journeyID, from.Format(DayFormat), to.Format(DayFormat), ws); err != nil {
		return nil, fmt.Errorf("daily journey stats: %w", err)
	}
	days := []Day{}
	index := map[string]int{}
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		index[d.Format(DayFormat)] = len(days)
		days = append(days, Day{Day: d.Format(DayFormat)})
	}
	for _, row := range rows {
		d := &days[index[row.Day]]
		switch row.Kind {
		case KindEnrolled:
			d.Enrolled += row.N
		case KindSent:
			d.Sent += row.N
		case KindConverted:
			d.Converted += row.N
		}
	}
	return days, nil
}

func newReport(journeyID string) Report {
	return Report{
		JourneyID:   journeyID,
		ExitReasons: map[string]int{},
		Sends:       map[string]int{"push": 0, "email": 0, "sms": 0, "webhook": 0},
		Skipped:     map[string]int{},
		Funnel:      []FunnelStep{},
		Attribution: []Attribution{},
		Daily:       []Day{},
		Holdout:     &Holdout{},
	}
}

// add counts one sum of rollup rows into the totals.
func (r *Report) add(row statRow) {
	group := &r.Holdout.Treatment
	if row.Holdout {
		group = &r.Holdout.Control
	}
	switch row.Kind {
	case KindEnrolled:
		r.Enrolled += row.N
		group.Enrolled += row.N
	case KindSent:
		r.Sends[row.Channel] += row.N
	case KindSkipped:
		r.Skipped[row.Channel] += row.N
	}
	switch row.Outcome {
	case StatusConverted:
		r.Converted += row.N
		group.Converted += row.N
		r.attribute(row)
	case StatusExited:
		r.Exited += row.N
		r.ExitReasons[row.Reason] += row.N
	case StatusRemoved:
		r.Removed += row.N
		r.ExitReasons[row.Reason] += row.N
	case StatusFailed:
		r.Failed += row.N
	}
}

func (r *Report) attribute(row statRow) {
	r.send(row.Step, row.Channel, row.Template).Conversions += row.N
}

// send returns the attribution of the given send, adding it when new.
func (r *Report) send(step int, channel, template string) *Attribution {
	for i := range r.Attribution {
		a := &r.Attribution[i]
		if a.Step == step && a.Channel == channel && a.Template == template {
			return a
		}
	}
	r.Attribution = append(r.Attribution, Attribution{Step: step, Channel: channel, Template: template})
	return &r.Attribution[len(r.Attribution)-1]
}

// setRevenue fills in one of the report's revenue figures.
func (r *Report) setRevenue(row revenueRow) {
	v := float64(row.Revenue)
	switch row.Of {
	case "all":
		r.Revenue = v
	case "group":
		if row.Holdout {
			r.Holdout.Control.Revenue = v
		} else {
			r.Holdout.Treatment.Revenue = v
		}
	case "send":
		r.send(row.Step, row.Channel, row.Template).Revenue = v
	}
}

// finish derives what the counts imply.
func (r *Report) finish() {
	r.Active = max(0, r.Enrolled-r.Converted-r.Exited-r.Removed-r.Failed)
	r.ConversionRate = rate(r.Converted, r.Enrolled)
	slices.SortFunc(r.Attribution, func(a, b Attribution) int {
		return cmp.Or(cmp.Compare(a.Step, b.Step), cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.Template, b.Template))
	})
}

// funnelSteps builds the funnel, keeping how often each channel and
// template appeared at a step to name it by the most common.
type funnelSteps map[int]*funnelStep

type funnelStep struct {
	FunnelStep
	uses map[[2]string]int
}

func (f funnelSteps) add(row statRow) {
	if row.Kind != KindSent && row.Kind != KindSkipped && (row.Kind != KindFailed || row.Outcome != "") {
		return
	}
	st, ok := f[row.Step]
	if !ok {
		st = &funnelStep{
			FunnelStep: FunnelStep{Step: row.Step, SentByChannel: map[string]int{}, SkippedByReason: map[string]int{}},
			uses:       map[[2]string]int{},
		}
		f[row.Step] = st
	}
	st.Reached += row.N
	st.uses[[2]string{row.Channel, row.Template}] += row.N
	switch row.Kind {
	case KindSent:
		st.Sent += row.N
		st.SentByChannel[row.Channel] += row.N
	case KindSkipped:
		st.Skipped += row.N
		st.SkippedByReason[row.Reason] += row.N
	default:
		st.Failed += row.N
	}
}

func (f funnelSteps) list() []FunnelStep {
	out := make([]FunnelStep, 0, len(f))
	for _, st := range f {
		best := -1
		for use, n := range st.uses {
			if n > best || (n == best && use[0]+use[1] < st.Channel+st.Template) {
				best, st.Channel, st.Template = n, use[0], use[1]
			}
		}
		out = append(out, st.FunnelStep)
	}
	slices.SortFunc(out, func(a, b FunnelStep) int { return cmp.Compare(a.Step, b.Step) })
	return out
}

// Day0 returns the start of t's UTC day.
func Day0(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
