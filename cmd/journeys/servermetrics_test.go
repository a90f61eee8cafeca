package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// shardWrites is what the Temporal server's metrics say of its history
// shards' writes, counted since it started: how many workflow updates it
// wrote, how long they took, and how long they waited for their shard,
// which takes one at a time (history.shardIOConcurrency).
type shardWrites struct {
	writes, writeMs float64
	waits, waitMs   float64
}

// readShardWrites reads them from the server's metrics, which it serves
// when JOURNEYS_BENCH_TEMPORAL_METRICS names where; ok is false when it
// serves none.
func readShardWrites(ctx context.Context) (w shardWrites, ok bool, err error) {
	addr := os.Getenv(benchMetricsVar)
	if addr == "" {
		return w, false, nil
	}
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/metrics", nil)
	if err != nil {
		return w, false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return w, false, fmt.Errorf("the Temporal server's metrics: %w", err)
	}
	defer resp.Body.Close()
	sums := map[string]*float64{
		`persistence_latency_milliseconds_count|UpdateWorkflowExecution`: &w.writes,
		`persistence_latency_milliseconds_sum|UpdateWorkflowExecution`:   &w.writeMs,
		`semaphore_latency_milliseconds_count|ShardInfo`:                 &w.waits,
		`semaphore_latency_milliseconds_sum|ShardInfo`:                   &w.waitMs,
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// name{labels} value, summed over the series of each name and
		// operation.
		line := sc.Text()
		name, rest, found := strings.Cut(line, "{")
		if !found {
			continue
		}
		labels, value, _ := strings.Cut(rest, "} ")
		_, op, _ := strings.Cut(labels, `operation="`)
		op, _, _ = strings.Cut(op, `"`)
		if p := sums[name+"|"+op]; p != nil {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				return w, false, fmt.Errorf("the Temporal server's metrics: %q: %w", line, err)
			}
			*p += v
		}
	}
	return w, true, sc.Err()
}

// since is what the shards wrote between then and w, per user of an
// audience of n: writes, their mean time and their mean wait for the
// shard.
func (w shardWrites) since(then shardWrites, n int) shardFigures {
	mean := func(ms, count float64) float64 {
		if count == 0 {
			return 0
		}
		return ms / count
	}
	return shardFigures{
		perUser: (w.writes - then.writes) / float64(n),
		writeMs: mean(w.writeMs-then.writeMs, w.writes-then.writes),
		waitMs:  mean(w.waitMs-then.waitMs, w.waits-then.waits),
	}
}

// shardFigures are a burst's shard writes, as its table rows show them.
type shardFigures struct {
	perUser, writeMs, waitMs float64
}
