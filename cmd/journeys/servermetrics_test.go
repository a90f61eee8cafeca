package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	"journeys/reporting/dbtest"
)

// serverReading is what the Temporal server's metrics say of its history
// and matching services, counted since it started, and how busy the
// machine's CPUs have been: how many workflow updates the history shards
// wrote, how long they took and waited for their shard (which takes one
// at a time, history.shardIOConcurrency), how many signals the history
// service took and how long they took, and how many times matching wrote
// tasks to the database, which it does for a task no poller is waiting
// for.
type serverReading struct {
	waits, waitMs     float64
	signals, signalMs float64
	// persist counts the server's persistence calls, and their time in
	// ms, by service and operation (persistOp): the shard writes are
	// history's UpdateWorkflowExecution, matching's task writes its
	// CreateTasks.
	persist, persistMs map[string]float64
	cpu                dbtest.CPUTicks
	procs              procTicks
}

// persistOp is how serverReading.persist names a service's operation.
func persistOp(service, operation string) string { return service + " " + operation }

var (
	shardWrites = persistOp("history", "UpdateWorkflowExecution")
	taskWrites  = persistOp("matching", "CreateTasks")
)

// readServer reads the server's metrics, which it serves when
// JOURNEYS_BENCH_TEMPORAL_METRICS names where, and the machine's CPU
// time; ok is false when the server serves no metrics.
func readServer(ctx context.Context) (r serverReading, ok bool, err error) {
	addr := os.Getenv(benchMetricsVar)
	if addr == "" {
		return r, false, nil
	}
	r.persist, r.persistMs = map[string]float64{}, map[string]float64{}
	if r.cpu, err = dbtest.ReadCPU(); err != nil {
		return r, false, err
	}
	if r.procs, err = readProcs(); err != nil {
		return r, false, err
	}
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/metrics", nil)
	if err != nil {
		return r, false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return r, false, fmt.Errorf("the Temporal server's metrics: %w", err)
	}
	defer resp.Body.Close()
	// By name, service and operation. A signal is counted by the history
	// service, which the frontend hands it to: SignalWithStart is how the
	// service wakes a run in its start delay.
	sums := map[string]*float64{
		`semaphore_latency_milliseconds_count|history|ShardInfo`:                      &r.waits,
		`semaphore_latency_milliseconds_sum|history|ShardInfo`:                        &r.waitMs,
		`service_latency_milliseconds_count|history|SignalWorkflowExecution`:          &r.signals,
		`service_latency_milliseconds_sum|history|SignalWorkflowExecution`:            &r.signalMs,
		`service_latency_milliseconds_count|history|SignalWithStartWorkflowExecution`: &r.signals,
		`service_latency_milliseconds_sum|history|SignalWithStartWorkflowExecution`:   &r.signalMs,
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// name{labels} value, summed over the series of each key.
		line := sc.Text()
		name, rest, found := strings.Cut(line, "{")
		if !found {
			continue
		}
		labels, value, _ := strings.Cut(rest, "} ")
		service, operation := labelValue(labels, "service_name"), labelValue(labels, "operation")
		var by map[string]float64
		switch name {
		case "persistence_latency_milliseconds_count":
			by = r.persist
		case "persistence_latency_milliseconds_sum":
			by = r.persistMs
		}
		p := sums[name+"|"+service+"|"+operation]
		if p == nil && by == nil {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return r, false, fmt.Errorf("the Temporal server's metrics: %q: %w", line, err)
		}
		if p != nil {
			*p += v
		}
		if by != nil {
			by[persistOp(service, operation)] += v
		}
	}
	return r, true, sc.Err()
}

// labelValue returns the value of the label named name in a metric's labels.
func labelValue(labels, name string) string {
	_, v, _ := strings.Cut(labels, name+`="`)
	v, _, _ = strings.Cut(v, `"`)
	return v
}

// serverFigures are what the server did between two readings, as the
// table's rows show them.
type serverFigures struct {
	// writesPer is the shard writes per user of the phase, and storedPer
	// matching's task writes.
	writesPer, storedPer float64
	writeMs, waitMs      float64 // means
	signalMs             float64 // mean
	// busy is the machine's CPU time as a share of its CPUs' time, and
	// cpuPer the CPU time per user of the phase, in ms: every process's,
	// the service's, Temporal's and Postgres's.
	busy, cpuPer float64
	// byProc splits cpuPer by kind of process (procKinds).
	byProc procTicks
	// persistPer is the server's persistence calls per user of the phase
	// by service and operation, and persistMs their mean time.
	persistPer, persistMs map[string]float64
}

// since is what the server did between then and r, for a phase of n
// users.
func (r serverReading) since(then serverReading, n int) serverFigures {
	mean := func(ms, count float64) float64 {
		if count == 0 {
			return 0
		}
		return ms / count
	}
	f := serverFigures{
		waitMs:     mean(r.waitMs-then.waitMs, r.waits-then.waits),
		signalMs:   mean(r.signalMs-then.signalMs, r.signals-then.signals),
		busy:       mean(r.cpu.Busy-then.cpu.Busy, r.cpu.Total-then.cpu.Total),
		cpuPer:     (r.cpu.Busy - then.cpu.Busy) * dbtest.MsPerTick / float64(n),
		byProc:     r.procs.perUser(then.procs, n),
		persistPer: map[string]float64{},
		persistMs:  map[string]float64{},
	}
	for op, calls := range r.persist {
		if d := calls - then.persist[op]; d > 0 {
			f.persistPer[op] = d / float64(n)
			f.persistMs[op] = (r.persistMs[op] - then.persistMs[op]) / d
		}
	}
	f.writesPer, f.writeMs = f.persistPer[shardWrites], f.persistMs[shardWrites]
	f.storedPer = f.persistPer[taskWrites]
	return f
}
