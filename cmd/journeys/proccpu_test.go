package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"journeys/reporting/dbtest"
)

// procKinds are the kinds of process the benchmark's tables split the
// machine's CPU time into, in their order: the benchmark's own process
// (with plain Temporal's clients and worker, and in BenchmarkHot the server
// and the service too), BenchmarkHotProcesses' children, and Postgres's
// processes by the database they serve, which a backend names in its
// process title.
var procKinds = [...]string{
	procBenchmark:    "benchmark",
	procServer:       "Temporal server",
	procServe:        "journeys serve",
	procPGHistory:    "Postgres: Temporal's history",
	procPGVisibility: "Postgres: Temporal's visibility",
	procPGService:    "Postgres: the service's",
	procPGBackground: "Postgres: its own",
}

// The kinds of process, as procKinds names them.
const (
	procBenchmark = iota
	procServer
	procServe
	procPGHistory
	procPGVisibility
	procPGService
	procPGBackground
)

// procTicks is the CPU time, in /proc/stat's ticks, that each kind of
// process (procKinds) has taken since it started.
type procTicks [len(procKinds)]float64

// readProcs reads the CPU time of the processes of every kind. A process
// that ends between two readings takes its time with it, so the split
// leaves out short-lived processes; connections are pooled on both sides.
func readProcs() (t procTicks, err error) {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return t, fmt.Errorf("the processes' CPU time: %w", err)
	}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		kind, ok := procKind(pid)
		if !ok {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // ended since it was listed
		}
		// pid (comm) state ppid …: utime and stime are the 14th and 15th
		// fields, the 12th and 13th after comm, which may hold spaces.
		_, rest, _ := strings.Cut(string(stat), ") ")
		fields := strings.Fields(rest)
		if len(fields) < 13 {
			continue
		}
		for _, f := range fields[11:13] {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return t, fmt.Errorf("the CPU time of process %d: %q: %w", pid, f, err)
			}
			t[kind] += v
		}
	}
	return t, nil
}

// procKind says which of procKinds process pid is, if any.
func procKind(pid int) (int, bool) {
	if pid == os.Getpid() {
		return procBenchmark, true
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return 0, false
	}
	switch strings.TrimSpace(string(comm)) {
	case "postgres":
		// "postgres: 15/main: user database host(port) activity" for a
		// backend; the background processes name no database.
		title, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		fields := strings.Fields(string(title))
		db := ""
		if len(fields) > 3 && strings.HasPrefix(string(title), "postgres:") {
			db = fields[3]
		}
		switch {
		case strings.HasPrefix(db, "journeys_temporal_") && strings.HasSuffix(db, "_visibility"):
			return procPGVisibility, true
		case strings.HasPrefix(db, "journeys_temporal_"):
			return procPGHistory, true
		case strings.HasPrefix(db, "journeys_test_"):
			return procPGService, true
		}
		return procPGBackground, true
	case "journeys.test":
		env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		for v := range strings.SplitSeq(string(env), "\x00") {
			switch v {
			case childEnv + "=temporal":
				return procServer, true
			case childEnv + "=serve":
				return procServe, true
			}
		}
	}
	return 0, false
}

// perUser is each kind's CPU time between then and t, in ms per user of a
// phase of n users.
func (t procTicks) perUser(then procTicks, n int) (ms procTicks) {
	for k := range t {
		ms[k] = (t[k] - then[k]) * dbtest.MsPerTick / float64(n)
	}
	return ms
}

// String lists the kinds that took any time, as perUser gives them.
func (t procTicks) String() string {
	var parts []string
	for k, v := range t {
		if v >= 0.05 {
			parts = append(parts, fmt.Sprintf("%s %.1f", procKinds[k], v))
		}
	}
	return strings.Join(parts, ", ")
}

// TestReadProcsCountsTheBenchmark checks the split against the process's
// own account of its CPU time (getrusage): 200 ms of spinning show as the
// benchmark's, however busy the machine is.
func TestReadProcsCountsTheBenchmark(t *testing.T) {
	before, err := readProcs()
	if err != nil {
		t.Fatal(err)
	}
	start := cpuTime(t)
	for cpuTime(t)-start < 200*time.Millisecond {
		for i := range 1_000_000 {
			sink += i
		}
	}
	after, err := readProcs()
	if err != nil {
		t.Fatal(err)
	}
	if ms := after.perUser(before, 1); ms[procBenchmark] < 150 {
		t.Errorf("the benchmark's process took %.0f ms of CPU while it spun for 200 ms; split: %s", ms[procBenchmark], ms)
	}
}

var sink int

// cpuTime is the CPU time the process has taken, by getrusage.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
