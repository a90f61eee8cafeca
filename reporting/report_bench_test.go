package reporting_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"journeys/reporting"
	"journeys/reporting/dbtest"
)

// BenchmarkReport measures a journey report over a log of 1,000,000
// journey events: 200,000 runs of one journey over 30 days, 10% held out,
// each with five entries (enrolled, three touches, converted or exited).
// The log is seeded with the rollup trigger off and then counted by
// journey_stats_rebuild, the migration's backfill, which is timed too.
// record measures what the trigger adds to each insert, one entry per
// transaction as the activities write them.
//
//	go test -run '^$' -bench Report -benchtime 200x ./reporting/
func BenchmarkReport(b *testing.B) {
	s, _ := dbtest.New(b)
	ctx := dbtest.Ctx()
	j, err := s.CreateJourney(ctx, reporting.Journey{
		ID: "bench", Name: "Bench", Type: "cart_abandonment", GoalEvent: "purchase", Config: json.RawMessage(`{}`), HoldoutPercent: 10,
	})
	if err != nil {
		b.Fatal(err)
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const enrollments = `
	INSERT INTO enrollments (workspace_id, id, journey_id, user_id, workflow_id, status, exit_reason, enrolled_at, ended_at, holdout)
	SELECT 'default', i, 'bench', 'u' || i, 'journey/bench/user/u' || i,
		CASE WHEN i % 5 = 0 THEN 'converted' ELSE 'exited' END,
		CASE WHEN i % 5 = 0 THEN 'purchase' ELSE 'not_converted' END,
		t, t + interval '80 hours', i % 10 = 0
	FROM generate_series(1, 200000) i,
		LATERAL (SELECT $1::timestamptz + (i % 30) * interval '1 day' + (i * 37 % 86400) * interval '1 second' AS t) w`
	const events = `
	INSERT INTO journey_events (workspace_id, enrollment_id, journey_id, user_id, step, kind, channel, template, detail, revenue, at)
	SELECT 'default', e.id, 'bench',
 e.user_id, x.step, x.kind, x.channel, x.template, x.detail, x.revenue, e.enrolled_at + x.after
	FROM enrollments e, generate_series(0, 4) k,
	LATERAL (SELECT
		CASE WHEN k = 4 THEN 3 ELSE k END AS step,
		CASE
			WHEN k = 0 THEN 'enrolled'
			WHEN k = 4 THEN CASE e.status WHEN 'converted' THEN 'converted' ELSE 'exited' END
			WHEN e.holdout OR (k = 2 AND e.id % 7 = 0) THEN 'skipped'
			WHEN k = 3 AND e.id % 50 = 0 THEN 'failed'
			ELSE 'sent' END AS kind,
		CASE
			WHEN k = 4 AND e.status = 'converted' AND NOT e.holdout THEN 'sms'
			WHEN k IN (0, 4) THEN ''
			ELSE (ARRAY['push', 'email', 'sms'])[k] END AS channel,
		CASE WHEN k IN (0, 4) THEN '' WHEN k = 3 THEN 'cart_final_offer' ELSE 'cart_offer' END AS template,
		CASE
			WHEN k = 4 AND e.status = 'exited' THEN 'not_converted'
			WHEN k BETWEEN 1 AND 3 AND e.holdout THEN 'holdout'
			WHEN k = 2 AND e.id % 7 = 0 THEN 'no email contact'
			ELSE '' END AS detail,
		CASE WHEN k = 4 AND e.status = 'converted' THEN (e.id % 100) + 1 END AS revenue,
		k * interval '20 hours' AS after) x
	WHERE e.journey_id = 'bench'`
	exec := func(q string, args ...any) time.Duration {
		b.Helper()
		start := time.Now()
		if _, err := s.DB().ExecContext(ctx, q, args...); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	exec(enrollments, from)
	exec(`ALTER TABLE journey_events DISABLE TRIGGER journey_events_count`)
	seeded := exec(events)
	exec(`ALTER TABLE journey_events ENABLE TRIGGER journey_events_count`)
	rebuilt := exec(`SELECT journey_stats_rebuild()`)
	exec(`VACUUM ANALYZE`)
	var n, rollup int
	if err := s.DB().GetContext(ctx, &n, `SELECT count(*) FROM journey_events`); err != nil {
		b.Fatal(err)
	}
	if err := s.DB().GetContext(ctx, &rollup, `SELECT count(*) FROM journey_stats`); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d journey events in %s; journey_stats_rebuild counted them into %d rollup rows in %s",
		n, seeded.Round(time.Millisecond), rollup, rebuilt.Round(time.Millisecond))

	to := from.AddDate(0, 0, 29)
	r, err := s.Report(ctx, j, from, to)
	if err != nil {
		b.Fatal(err)
	}
	if r.Enrolled != 200000 || r.Converted != 40000 || len(r.Daily) != 30 {
		b.Fatalf("report = enrolled %d, converted %d, %d days; want 200000, 40000, 30", r.Enrolled, r.Converted, len(r.Daily))
	}

	b.Run("report", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Report(ctx, j, from, to); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The dashboard's home: every journey's headline numbers.
	b.Run("summaries", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Summaries(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	// What the trigger adds to an insert: the same entries with it on and off.
	for _, trigger := range []string{"ENABLE", "DISABLE"} {
		b.Run("record-trigger-"+strings.ToLower(trigger), func(b *testing.B) {
			exec(`ALTER TABLE journey_events ` + trigger + ` TRIGGER journey_events_count`)
			defer exec(`ALTER TABLE journey_events ENABLE TRIGGER journey_events_count`)
			i := 0
			for b.Loop() {
				i++
				e := reporting.Entry{EnrollmentID: int64(i%200000 + 1), JourneyID: "bench", UserID: "u", Step: 100 + i/200000,
					Kind: reporting.KindSent, Channel: "push", Template: trigger, At: from.Add(time.Duration(i) * time.Second)}
				if err := s.Record(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// For comparison: the funnel alone, counted from the log itself.
	b.Run("log-scan", func(b *testing.B) {
		const q = `SELECT step, kind, channel, count(*) FROM journey_events WHERE journey_id = $1 GROUP BY step, kind, channel`
		for b.Loop() {
			rows, err := s.DB().QueryContext(ctx, q, j.ID)
			if err != nil {
				b.Fatal(err)
			}
			rows.Close()
		}
	})
}
