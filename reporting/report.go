package reporting

import (
	"context"
	"fmt"
)

// Report sums up how a journey is doing.
type Report struct {
	JourneyID      string         `json:"journey_id"`
	Enrolled       int            `json:"enrolled"`
	Active         int            `json:"active"`
	Converted      int            `json:"converted"`
	Exited         int            `json:"exited"`
	Removed        int            `json:"removed"`
	Failed         int            `json:"failed"`
	ConversionRate float64        `json:"conversion_rate"`
	Sends          map[string]int `json:"sends"`
	Skipped        map[string]int `json:"skipped"`
}

// Report computes the journey's report from enrollments and the log.
func (s *Store) Report(ctx context.Context, journeyID string) (Report, error) {
	r := Report{JourneyID: journeyID, Sends: map[string]int{}, Skipped: map[string]int{}}

	const statuses = `SELECT status, count(*) AS n FROM enrollments WHERE journey_id = $1 GROUP BY status`
	var counts []struct {
		Key string `db:"status"`
		N   int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &counts, statuses, journeyID); err != nil {
		return Report{}, fmt.Errorf("count enrollments: %w", err)
	}
	for _, c := range counts {
		r.Enrolled += c.N
		switch c.Key {
		case StatusActive:
			r.Active = c.N
		case StatusConverted:
			r.Converted = c.N
		case StatusExited:
			r.Exited = c.N
		case StatusRemoved:
			r.Removed = c.N
		case StatusFailed:
			r.Failed = c.N
		}
	}
	if r.Enrolled > 0 {
		r.ConversionRate = float64(r.Converted) / float64(r.Enrolled)
	}

	const sends = `
	SELECT kind, channel, count(*) AS n FROM journey_events
	WHERE journey_id = $1 AND kind IN ('sent', 'skipped') GROUP BY kind, channel`
	var byChannel []struct {
		Kind    string `db:"kind"`
		Channel string `db:"channel"`
		N       int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &byChannel, sends, journeyID); err != nil {
		return Report{}, fmt.Errorf("count sends: %w", err)
	}
	for _, c := range []string{"push", "email", "sms", "webhook"} {
		r.Sends[c] = 0
	}
	for _, c := range byChannel {
		if c.Kind == KindSent {
			r.Sends[c.Channel] = c.N
		} else {
			r.Skipped[c.Channel] = c.N
		}
	}
	return r, nil
}
