package reporting

import (
	"context"
	"fmt"
)

// Summaries returns every journey's headline numbers over all its runs,
// by journey id, in two passes over the rollup: the counts, then the
// revenue.
func (s *Store) Summaries(ctx context.Context) (map[string]Report, error) {
	ws, err := scope(ctx, "sum journey stats")
	if err != nil {
		return nil, err
	}
	const q = `
	SELECT journey_id, holdout, 0 AS step, kind, outcome, '' AS channel, '' AS template, '' AS reason,
		sum(n)::bigint AS n
	FROM journey_stats WHERE workspace_id = $1 AND (kind = 'enrolled' OR outcome <> '')
	GROUP BY journey_id, holdout, kind, outcome`
	var rows []struct {
		JourneyID string `db:"journey_id"`
		statRow
	}
	if err := s.db.SelectContext(ctx, &rows, q, ws); err != nil {
		return nil, fmt.Errorf("sum journey stats: %w", err)
	}
	const revenues = `
	SELECT journey_id, CASE GROUPING(holdout) WHEN 1 THEN 'all' ELSE 'group' END AS of,
		coalesce(holdout, false) AS holdout, 0 AS step, '' AS channel, '' AS template, sum(nullif(revenue, 'NaN')) AS revenue
	FROM journey_stats WHERE workspace_id = $1 AND outcome = 'converted'
	GROUP BY GROUPING SETS ((journey_id), (journey_id, holdout))`
	var sums []struct {
		JourneyID string `db:"journey_id"`
		revenueRow
	}
	if err := s.db.SelectContext(ctx, &sums, revenues, ws); err != nil {
		return nil, fmt.Errorf("sum journey revenue: %w", err)
	}
	out := map[string]*Report{}
	report := func(id string) *Report {
		if out[id] == nil {
			r := newReport(id)
			out[id] = &r
		}
		return out[id]
	}
	for _, row := range rows {
		report(row.JourneyID).add(row.statRow)
	}
	for _, row := range sums {
		report(row.JourneyID).setRevenue(row.revenueRow)
	}
	reports := make(map[string]Report, len(out))
	for id, r := range out {
		r.finish()
		reports[id] = *r
	}
	return reports, nil
}
