package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"journeys/reporting/dbtest"
)

// The sizes of BenchmarkHot's bursts. 400 users make each phase last
// long enough (enrolling them takes one to two seconds on two cores) for
// its rate, and its p99 (the fourth slowest of 400), to stand for more
// than a hiccup of the machine. The warm-up enrolls and converts 50 users
// on each side before the iterations.
const (
	hotUsers   = 400
	burstUsers = 400
	burstAfter = 30 * time.Second
	// finalWait is how long a run waits for a purchase after its last
	// touch, on both sides: runs stay open, as a campaign's do.
	finalWait   = time.Hour
	warmUsers   = 50
	phaseBudget = 10 * time.Minute
)

// benchRateVar sets the rate of BenchmarkHot's purchases, in events a
// second: 50, the issue's, unless set. On two cores the server's work for
// 50 purchases a second keeps the machine 60 to 80 % busy, where p99 grows
// much faster than the work; lower rates show how much of a latency ratio
// is the path and how much the load.
const benchRateVar = "JOURNEYS_BENCH_EVENTS_PER_S"

// purchaseRate returns the rate benchRateVar sets, or 50.
func purchaseRate() (int, error) {
	v := os.Getenv(benchRateVar)
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, fmt.Errorf("%s=%q: want events a second, 1 to 1000", benchRateVar, v)
	}
	return n, nil
}

// BenchmarkHot measures the service's hot paths against plain Temporal
// clients and workers doing the same on the same in-process Temporal
// server, and prints the table of issue 12 with the ratios:
//
//	go test -run '^$' -bench 'Hot$' -benchtime 4x -timeout 60m ./cmd/journeys/
//
// (-bench Hot runs BenchmarkHotProcesses too, the same with Temporal and
// the service in processes of their own.) The server is temporaltest's,
// or with JOURNEYS_BENCH_TEMPORAL_STORE=postgres one that keeps its state
// in Postgres (benchTemporal).
// Each iteration runs both sides, in turns (plain first, then journeys
// first), so that a busy machine shows as a spread between the tables
// rather than as a ratio. The server slows as its runs pile up, so the
// side that goes second is at a disadvantage: with an even -benchtime
// each side goes first equally often. A warm-up before the iterations
// gives both sides their connections and caches, and each metric is the
// median of the iterations' ratios, which one stall of the machine does
// not move. The warnings and errors the server and the workers logged are
// counted per side.
func BenchmarkHot(b *testing.B) {
	logs := newTally()
	// The SDK logs through the service's logger (temporalOptions), whose
	// warnings and errors slogTally counts.
	ts, err := benchTemporal(serverTally{logs})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(ts.Stop)
	store, dbURL := dbtest.New(b)
	compare(b, newStackLogged(b, ts, store, dbURL, slog.New(slogTally{logs})), logs)
}

// compare runs BenchmarkHot's iterations against the service in s and
// plain Temporal on s's Temporal server, printing each iteration's table;
// the benchmark's metrics are the median of the iterations' ratios.
func compare(b *testing.B, s *stack, logs *tally) {
	perS, err := purchaseRate()
	if err != nil {
		b.Fatal(err)
	}
	plain, stop, err := newPlainSide(s.temporal)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	sides := []side{plain, newJourneysSide(s)}
	for _, sd := range sides {
		if _, err := measure(s.temporal, sd, "warm", warmUsers, 0, perS, func(string, ...any) {}); err != nil {
			b.Fatalf("%s: warm-up: %v", sd.name(), err)
		}
	}

	var all [][2]figures
	for i := 0; b.Loop(); i++ {
		var got [2]figures
		for k := range 2 {
			k := (k + i) % 2
			logs.take()
			say := func(format string, args ...any) {
				fmt.Fprintf(os.Stderr, "%s %s: %s\n", time.Now().Format(time.TimeOnly), sides[k].name(), fmt.Sprintf(format, args...))
			}
			f, err := measure(s.temporal, sides[k], fmt.Sprint(i), hotUsers, burstUsers, perS, say)
			if err != nil {
				b.Fatalf("%s: %v; logged:%s\n  first causes:%s", sides[k].name(), err, describe(logs.take()), logs.causes())
			}
			f.logs, f.retries = logs.take(), sides[k].retried()
			got[k] = f
		}
		all = append(all, got)
		// Printed, not logged: the testing package keeps ten lines of a
		// benchmark's log.
		fmt.Printf("%s, iteration %d (%s first):\n%s", b.Name(), i+1, sides[i%2].name(), table(got[1], got[0], perS))
	}
	if causes := logs.causes(); causes != "" {
		fmt.Printf("the first error logged with each message:%s\n", causes)
	}
	if len(all)%2 == 1 {
		fmt.Printf("plain Temporal went first in %d of %d iterations: an even -benchtime evens out the turns\n", len(all)/2+1, len(all))
	}
	for _, m := range hotMetrics(perS) {
		ratios := make([]float64, len(all))
		for i, got := range all {
			ratios[i] = m.ratio(got[1], got[0])
		}
		b.ReportMetric(median(ratios), m.unit)
	}
}

// median returns the middle of vs, or the mean of the two middle ones.
func median(vs []float64) float64 {
	s := slices.Sorted(slices.Values(vs))
	n := len(s)
	return (s[(n-1)/2] + s[n/2]) / 2
}

// figures is what one side did in one iteration.
type figures struct {
	enroll, settled, batch, drain float64 // per second
	closedP99, answerP99          time.Duration
	closedP50, answerP50          time.Duration
	// late is set when the batch enrollment ended after the burst's
	// touches were due, which makes its drain figure low.
	late bool
	// stretches are the p50 and p99 of each stretch of a purchase's way
	// to its run's close (see stretchNames).
	stretches [len(stretchNames)][2]time.Duration
	// touchStretches are the same for the burst's first touches (see
	// touchStretchNames).
	touchStretches [len(touchStretchNames)][2]time.Duration
	// purchases and burst are what the server did, and how busy the
	// machine was, while the purchases were sent and from enrolling the
	// audience to its last touch, when the server serves its metrics
	// (readServer).
	purchases, burst *serverFigures
	logs             map[string]int
	retries          int64
}

// measure runs every path on one side: enrolling hot users from 32
// clients, the runs settling, purchases ending them at perS events a second,
// then enrolling an audience of burst users at once and draining its first
// touches as they fall due (no audience when burst is 0).
func measure(c client.Client, sd side, iter string, hot, burst, perS int, say func(string, ...any)) (f figures, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), phaseBudget)
	defer cancel()

	id := "hot" + iter
	users := userIDs("u", hot)
	if err := sd.prepare(id, time.Hour, users); err != nil {
		return f, fmt.Errorf("prepare: %w", err)
	}
	start := time.Now()
	runs, err := fanOut(ctx, users, func(ctx context.Context, u string) (benchRun, error) { return sd.enroll(ctx, id, u) })
	if err != nil {
		return f, fmt.Errorf("enroll: %w", err)
	}
	f.enroll = perSecond(int64(len(runs)), time.Since(start))
	say("enrolled %d users at %.1f/s", len(runs), f.enroll)
	if err := settle(ctx, c, runs); err != nil {
		return f, fmt.Errorf("settle: %w", err)
	}
	f.settled = perSecond(int64(len(runs)), time.Since(start))
	say("settled at %.1f/s", f.settled)
	before, metered, err := readServer(ctx)
	if err != nil {
		return f, err
	}
	closed, answers, sent, err := purchases(ctx, c, sd, runs, perS)
	if err != nil {
		return f, err
	}
	if f.purchases, err = readSince(ctx, metered, before, len(runs)); err != nil {
		return f, err
	}
	f.closedP50, f.closedP99 = percentile(closed, 50), percentile(closed, 99)
	f.answerP50, f.answerP99 = percentile(answers, 50), percentile(answers, 99)
	say("purchases closed runs in %s at p99, answered in %s", f.closedP99, f.answerP99)

	if burst == 0 {
		return f, nil
	}
	// The runs' histories are read after the burst, so that the reads
	// do not load the server while it is measured.
	defer func() {
		if err == nil {
			f.stretches, err = stretches(ctx, c, runs, sent)
		}
	}()
	id = "burst" + iter
	users = userIDs("b", burst)
	defer func() {
		if err == nil {
			f.touchStretches, err = touchStretches(ctx, c, sd, id, users)
		}
	}()
	if err := sd.prepare(id, burstAfter, users); err != nil {
		return f, fmt.Errorf("prepare: %w", err)
	}
	if before, _, err = readServer(ctx); err != nil {
		return f, err
	}
	start = time.Now()
	if err := sd.enrollAll(ctx, id, users); err != nil {
		return f, fmt.Errorf("enroll the audience: %w", err)
	}
	f.batch = perSecond(int64(len(users)), time.Since(start))
	due := start.Add(burstAfter)
	f.late = time.Now().After(due)
	say("enrolled an audience of %d at %.1f/s", len(users), f.batch)
	for {
		n, err := sd.sent(ctx, id)
		if err != nil {
			return f, fmt.Errorf("count sends: %w", err)
		}
		if n == len(users) {
			break
		}
		if ctx.Err() != nil {
			return f, fmt.Errorf("%d of %d touches sent: %w", n, len(users), ctx.Err())
		}
		// Counting the service's sends is a query: asked every 10 ms, it
		// took more of the benchmark's CPU than the service's own API.
		time.Sleep(50 * time.Millisecond)
	}
	f.drain = perSecond(int64(len(users)), time.Since(due))
	say("drained its first touches at %.1f/s", f.drain)
	f.burst, err = readSince(ctx, metered, before, len(users))
	return f, err
}

// readSince reads the server again and returns what it did since before,
// for a phase of n users; nil when it serves no metrics.
func readSince(ctx context.Context, metered bool, before serverReading, n int) (*serverFigures, error) {
	if !metered {
		return nil, nil
	}
	after, _, err := readServer(ctx)
	if err != nil {
		return nil, err
	}
	f := after.since(before, n)
	return &f, nil
}

// settle waits until no run has work waiting for a worker: no workflow
// task and no activity pending.
func settle(ctx context.Context, c client.Client, runs []benchRun) error {
	_, err := fanOut(ctx, runs, func(ctx context.Context, r benchRun) (struct{}, error) {
		for {
			d, err := c.DescribeWorkflowExecution(ctx, r.workflowID, r.runID)
			if err != nil {
				return struct{}{}, err
			}
			if d.GetPendingWorkflowTask() == nil && len(d.GetPendingActivities()) == 0 {
				return struct{}{}, nil
			}
			// Asked every 10 ms, 32 clients made the test server refresh
			// its search-attribute cache past its persistence limit
			// (temporaltest refreshes it on every read), and the side
			// still settling was slowed by the errors.
			time.Sleep(50 * time.Millisecond)
		}
	})
	return err
}

// purchases sends one purchase to each run, perS a second, and
// returns how long each took to close its run and to be answered, and when
// it was sent.
func purchases(ctx context.Context, c client.Client, sd side, runs []benchRun, perS int) (closed, answers []time.Duration, sent []time.Time, err error) {
	var waits retrier
	retry := waits.retry
	closed = make([]time.Duration, len(runs))
	answers = make([]time.Duration, len(runs))
	sent = make([]time.Time, len(runs))
	errs := make([]error, len(runs))
	paced(len(runs), perS, func(i int) {
		r := runs[i]
		sent[i] = time.Now()
		if errs[i] = sd.event(ctx, r, "p-"+r.workflowID); errs[i] != nil {
			return
		}
		answers[i] = time.Since(sent[i])
		// Waiting for the close is retried as the calls are, so that a
		// slow server delays the figure instead of losing it.
		errs[i] = retry(ctx, func(int) error { return c.GetWorkflow(ctx, r.workflowID, r.runID).Get(ctx, nil) })
		closed[i] = time.Since(sent[i])
	})
	for _, err := range errs {
		if err != nil {
			return nil, nil, nil, fmt.Errorf("purchase: %w", err)
		}
	}
	return closed, answers, sent, nil
}

// stretchNames are the stretches of a purchase's way to its run's close,
// as the run's history times them: the purchase reaching Temporal (its
// signal recorded), Temporal handing the run's workflow task to a worker,
// the worker's work on the task, and Temporal closing the run.
var stretchNames = [...]string{"purchase → signal recorded", "signal → workflow task started",
	"workflow task started → completed", "task completed → run closed"}

// stretches reads the history of each run a purchase closed, sent[i]
// being when runs[i]'s purchase went, and returns the p50 and p99 of each
// stretch of the way. The purchase is a run's only signal.
func stretches(ctx context.Context, c client.Client, runs []benchRun, sent []time.Time) (out [len(stretchNames)][2]time.Duration, err error) {
	// When the purchase was sent, its signal recorded, the first workflow
	// task after it started, the last one completed, and the run closed.
	got, err := timeline(ctx, c, runs, len(stretchNames), func(i int, at []time.Time, e *historypb.HistoryEvent) {
		at[0] = sent[i]
		t := e.GetEventTime().AsTime()
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			at[1] = t
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			if !at[1].IsZero() && at[2].IsZero() {
				at[2] = t
			}
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			at[3] = t
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
			at[4] = t
		}
	})
	copy(out[:], got)
	return out, err
}

// touchStretchNames are the stretches of a first touch, from when it was
// due, as the run's history times them: Temporal scheduling the run's
// workflow task (the timer firing), handing the task to a worker, the
// worker's task, Temporal handing the send to a worker, and the send
// itself. A run's touch is due when its start delay ends (the service) or
// its timer fires (plain Temporal). A send that runs as a local activity
// (the service's, on a channel held to no rate) runs within the worker's
// task: its two stretches are nil.
var touchStretchNames = [...]string{"touch due → workflow task scheduled", "task scheduled → started",
	"task started → completed", "task completed → send started", "send started → done"}

// touchStretches reads the histories of journey id's runs for users,
// whose first touches were the burst, and returns the p50 and p99 of each
// stretch of a touch.
func touchStretches(ctx context.Context, c client.Client, sd side, id string, users []string) (out [len(touchStretchNames)][2]time.Duration, err error) {
	runs := make([]benchRun, len(users))
	for i, u := range users {
		runs[i] = benchRun{user: u, workflowID: sd.workflowID(id, u)}
	}
	got, err := timeline(ctx, c, runs, len(touchStretchNames), func(_ int, at []time.Time, e *historypb.HistoryEvent) {
		t := e.GetEventTime().AsTime()
		// first notes t as moment k unless the touch is not due yet or
		// moment k has been noted.
		first := func(k int) {
			if !at[0].IsZero() && at[k].IsZero() {
				at[k] = t
			}
		}
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			if d := e.GetWorkflowExecutionStartedEventAttributes().GetFirstWorkflowTaskBackoff().AsDuration(); d > 0 {
				at[0] = t.Add(d)
			}
		case enumspb.EVENT_TYPE_TIMER_FIRED:
			if at[0].IsZero() {
				at[0] = t
			}
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
			first(1)
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			first(2)
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			first(3)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			first(4)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			first(5)
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if e.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity" {
				first(4)
				first(5)
			}
		}
	})
	copy(out[:], got)
	return out, err
}

// timeline reads the history of each run (the workflow's current run when
// it has no run id), has mark note in at the n+1 moments that bound n
// stretches as it goes through the events, and returns the p50 and p99 of
// each stretch over the runs.
func timeline(ctx context.Context, c client.Client, runs []benchRun, n int, mark func(i int, at []time.Time, e *historypb.HistoryEvent)) ([][2]time.Duration, error) {
	took := make([][]time.Duration, n)
	for i, r := range runs {
		at := make([]time.Time, n+1)
		events := c.GetWorkflowHistory(ctx, r.workflowID, r.runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for events.HasNext() {
			e, err := events.Next()
			if err != nil {
				return nil, fmt.Errorf("history of %s: %w", r.workflowID, err)
			}
			mark(i, at, e)
		}
		for k := range took {
			took[k] = append(took[k], at[k+1].Sub(at[k]))
		}
	}
	out := make([][2]time.Duration, n)
	for k, ds := range took {
		out[k] = [2]time.Duration{percentile(ds, 50), percentile(ds, 99)}
	}
	return out, nil
}

// paced calls fn with 0 to n-1, perS calls a second, each in a goroutine
// of its own, and returns when all have returned.
func paced(n, perS int, fn func(i int)) {
	tick := time.NewTicker(time.Second / time.Duration(perS))
	defer tick.Stop()
	var wg sync.WaitGroup
	for i := range n {
		<-tick.C
		wg.Go(func() { fn(i) })
	}
	wg.Wait()
}

func userIDs(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return ids
}

// percentile returns the p-th percentile of ds, nearest rank.
func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	return s[max(0, (len(s)*p+99)/100-1)]
}

// metric is one row of the table, as a ratio of journeys to plain Temporal.
type metric struct {
	unit, path, target string
	show               func(figures) string
	value              func(figures) float64
}

func (m metric) ratio(journeys, plain figures) float64 { return m.value(journeys) / m.value(plain) }

func rate(unit string) func(float64) string {
	return func(v float64) string { return fmt.Sprintf("%.1f %s", v, unit) }
}

func latency(d time.Duration) string { return d.Round(time.Millisecond).String() }

// hotMetrics are the table's rows, for purchases perS a second.
func hotMetrics(perS int) []metric {
	return []metric{
		{"closed-p99-x", fmt.Sprintf("purchase → run closed, p99 (p50), %d events/s", perS), "≤ 1.5×",
			func(f figures) string { return fmt.Sprintf("%s (%s)", latency(f.closedP99), latency(f.closedP50)) },
			func(f figures) float64 { return f.closedP99.Seconds() }},
		{"answer-p99-x", "`POST /v1/events` vs `SignalWorkflow` answer, p99 (p50)", "≤ 1.5×",
			func(f figures) string { return fmt.Sprintf("%s (%s)", latency(f.answerP99), latency(f.answerP50)) },
			func(f figures) float64 { return f.answerP99.Seconds() }},
		{"enroll-x", "`POST …/enrollments` vs `ExecuteWorkflow`, 32 clients", "≥ 0.9×",
			func(f figures) string { return rate("users/s")(f.enroll) }, func(f figures) float64 { return f.enroll }},
		{"batch-x", "batch enrollment vs `ExecuteWorkflow`, 32 clients", "≥ 1.0×",
			func(f figures) string { return rate("users/s")(f.batch) }, func(f figures) float64 { return f.batch }},
		{"settled-x", "runs settled (nothing pending for a worker)", "≥ 0.85×",
			func(f figures) string { return rate("users/s")(f.settled) }, func(f figures) float64 { return f.settled }},
		{"drain-x", fmt.Sprintf("%d first touches due together: drain", burstUsers), "≥ 0.85×",
			func(f figures) string {
				late := ""
				if f.late {
					late = " (enrolled late)"
				}
				return rate("sends/s")(f.drain) + late
			}, func(f figures) float64 { return f.drain }},
	}
}

// busiest returns the n operations with the most calls on both sides
// together.
func busiest(a, b map[string]float64, n int) []string {
	ops := slices.Collect(maps.Keys(a))
	for op := range b {
		if _, ok := a[op]; !ok {
			ops = append(ops, op)
		}
	}
	slices.SortFunc(ops, func(x, y string) int { return cmp.Compare(a[y]+b[y], a[x]+b[x]) })
	return ops[:min(n, len(ops))]
}

// table prints the table for one iteration, then what the server
// and the workers logged.
func table(journeys, plain figures, perS int) string {
	var sb strings.Builder
	sb.WriteString("| path | journeys | plain Temporal | ratio | target |\n|---|---|---|---|---|\n")
	for _, m := range hotMetrics(perS) {
		fmt.Fprintf(&sb, "| %s | %s | %s | %.2f× | %s |\n", m.path, m.show(journeys), m.show(plain), m.ratio(journeys, plain), m.target)
	}
	rows := func(names []string, of func(figures) [][2]time.Duration) {
		for k, name := range names {
			show := func(f figures) string {
				p50, p99 := of(f)[k][0], of(f)[k][1]
				return fmt.Sprintf("%s (%s)", p99.Round(time.Millisecond/10), p50.Round(time.Millisecond/10))
			}
			fmt.Fprintf(&sb, "| ↳ %s, p99 (p50) | %s | %s | | |\n", name, show(journeys), show(plain))
		}
	}
	rows(stretchNames[:], func(f figures) [][2]time.Duration { return f.stretches[:] })
	rows(touchStretchNames[:], func(f figures) [][2]time.Duration { return f.touchStretches[:] })
	cpu := func(per string, j, p *serverFigures) {
		fmt.Fprintf(&sb, "| ↳ the machine's CPU time per %s (its CPUs busy) | %.0f ms (%.0f%%) | %.0f ms (%.0f%%) | | |\n",
			per, j.cpuPer, 100*j.busy, p.cpuPer, 100*p.busy)
		fmt.Fprintf(&sb, "| ↳ of which, by process, ms | %s | %s | | |\n", j.byProc, p.byProc)
	}
	if j, p := journeys.purchases, plain.purchases; j != nil && p != nil {
		fmt.Fprintf(&sb, "| ↳ during the purchases: the server's signal, a write's wait for its shard, the write, mean | %.1f ms, %.1f ms, %.1f ms | %.1f ms, %.1f ms, %.1f ms | | |\n",
			j.signalMs, j.waitMs, j.writeMs, p.signalMs, p.waitMs, p.writeMs)
		fmt.Fprintf(&sb, "| ↳ task writes by matching per purchase (workflow tasks no poller was waiting for) | %.2f | %.2f | | |\n",
			j.storedPer, p.storedPer)
		cpu("purchase", j, p)
		for _, op := range busiest(j.persistPer, p.persistPer, 8) {
			fmt.Fprintf(&sb, "| ↳ the server's persistence calls per purchase: %s (mean) | %.2f (%.1f ms) | %.2f (%.1f ms) | | |\n",
				op, j.persistPer[op], j.persistMs[op], p.persistPer[op], p.persistMs[op])
		}
	}
	if j, p := journeys.burst, plain.burst; j != nil && p != nil {
		fmt.Fprintf(&sb, "| ↳ history shard writes per user, from enrolling the audience to its last touch | %.1f | %.1f | | |\n", j.writesPer, p.writesPer)
		fmt.Fprintf(&sb, "| ↳ a write's wait for its shard, then the write, mean | %.0f ms, %.1f ms | %.0f ms, %.1f ms | | |\n",
			j.waitMs, j.writeMs, p.waitMs, p.writeMs)
		cpu("user of the audience", j, p)
	}
	fmt.Fprintf(&sb, "| warnings and errors logged by the server and workers | %d | %d | | 0 |\n", total(journeys.logs), total(plain.logs))
	fmt.Fprintf(&sb, "| calls retried (503, Temporal unavailable or timed out) | %d | %d | | 0 |\n", journeys.retries, plain.retries)
	if n := total(journeys.logs) + total(plain.logs); n > 0 {
		fmt.Fprintf(&sb, "  journeys:%s\n  plain:%s\n", describe(journeys.logs), describe(plain.logs))
	}
	return sb.String()
}
