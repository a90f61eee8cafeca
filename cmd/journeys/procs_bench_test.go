package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	serverlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"

	"journeys/reporting/dbtest"
)

// childEnv, set in the environment of this test binary run again, makes it
// one of BenchmarkHotProcesses' processes instead of the tests: "temporal",
// a Temporal server (the one BenchmarkHot uses in-process, benchTemporal), or
// "serve", `journeys serve` itself (run with the serve arguments). Either
// ends when its standard input closes, so that it never outlives the
// benchmark.
const childEnv = "JOURNEYS_BENCH_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "temporal":
		os.Exit(childTemporal())
	case "serve":
		os.Exit(childServe())
	default:
		fmt.Fprintf(os.Stderr, "%s: unknown child %q\n", childEnv, os.Getenv(childEnv))
		os.Exit(2)
	}
}

// BenchmarkHotProcesses is BenchmarkHot with each part in its own OS
// process, as in production: the Temporal server in one, the service as
// `journeys serve` in another, and the benchmark with its plain Temporal
// clients and worker in a third. The processes are this test binary run
// again (see childEnv).
//
//	go test -run '^$' -bench HotProcesses -benchtime 2x -timeout 60m ./cmd/journeys/
func BenchmarkHotProcesses(b *testing.B) {
	logs := newTally()
	hostPort, namespace := startChildTemporal(b, logs)
	opts := temporalOptions(client.Options{HostPort: hostPort, Namespace: namespace}, slog.New(slog.DiscardHandler))
	opts.Logger = sdkTally{logs}
	c, err := client.Dial(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	if err := registerSearchAttributes(context.Background(), c, namespace); err != nil {
		b.Fatal(err)
	}
	store, dbURL := dbtest.New(b)
	base := startChildServe(b, logs, map[string]string{
		"DATABASE_URL": dbURL, "TEMPORAL_ADDRESS": hostPort, "TEMPORAL_NAMESPACE": namespace,
		"JOURNEYS_API_KEY": testKey, "JOURNEYS_ROLE": "all", "JOURNEYS_OFFER_SECRET": "bench-offer-secret",
	})
	s := &stack{t: b, base: base, store: store, temporal: c}
	compare(b, s, logs)
}

// startChildTemporal starts a Temporal server in a process of its own and
// returns its frontend's address and namespace. The warnings and errors it
// logs are added to logs.
func startChildTemporal(tb testing.TB, logs *tally) (hostPort, namespace string) {
	tb.Helper()
	ch := startChild(tb, "temporal", nil)
	ready := make(chan string, 1)
	go func() {
		for line := range ch.lines {
			if addr, ok := strings.CutPrefix(line, "ready "); ok {
				ready <- addr
				continue
			}
			// level, message and cause, tab-separated (see childLogger).
			if f := strings.SplitN(line, "\t", 3); len(f) == 3 {
				logs.add("server", f[0], f[1], f[2])
			}
		}
		close(ready)
	}()
	addr, ok := <-ready
	if !ok {
		tb.Fatalf("the Temporal server's process ended before it was ready:\n%s", ch.tail())
	}
	hostPort, namespace, _ = strings.Cut(addr, " ")
	return hostPort, namespace
}

// slogLevel finds the level and message of a line of the text log
// `journeys serve` writes.
var slogLevel = regexp.MustCompile(`level=(WARN|ERROR) msg=("(?:[^"\\]|\\.)*"|\S+)`)

// startChildServe runs `journeys serve` in a process of its own with env
// and returns the address of its API once it answers. The warnings and
// errors it logs, the Temporal SDK's among them, are added to logs.
func startChildServe(tb testing.TB, logs *tally, env map[string]string) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	env["JOURNEYS_HTTP_ADDR"] = addr
	ch := startChild(tb, "serve", env)
	go func() {
		for line := range ch.lines {
			if m := slogLevel.FindStringSubmatch(line); m != nil {
				logs.add("service", strings.ToLower(m[1]), strings.Trim(m[2], `"`), "")
			}
		}
	}()
	base := "http://" + addr
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		select {
		case <-ch.exited:
			tb.Fatalf("journeys serve exited:\n%s", ch.tail())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("journeys serve did not become ready at %s: %v\n%s", base, err, ch.tail())
		}
	}
}

// child is a process startChild started.
type child struct {
	// lines are what it writes to its standard output and error; closed
	// when it has exited.
	lines <-chan string
	// exited is closed when it has.
	exited <-chan struct{}
	mu     sync.Mutex
	last   []string
}

// tail returns the last lines the child wrote, to say why it did not
// start.
func (c *child) tail() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.last, "\n")
}

// startChild runs this test binary again as the child named kind, with
// env added to its environment, until tb ends.
func startChild(tb testing.TB, kind string, env map[string]string) *child {
	tb.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+kind)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	lines := make(chan string, 1024)
	done := make(chan struct{})
	c := &child{lines: lines, exited: done}
	go func() {
		defer close(done)
		defer close(lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			c.mu.Lock()
			c.last = append(c.last[max(0, len(c.last)-19):], sc.Text())
			c.mu.Unlock()
			lines <- sc.Text()
		}
	}()
	tb.Cleanup(func() {
		// SIGTERM lets `journeys serve` shut down as it does in production;
		// the closed standard input ends either child.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		stdin.Close()
		exited := make(chan struct{})
		go func() {
			for range lines {
			}
			<-done
			_ = cmd.Wait()
			close(exited)
		}()
		select {
		case <-exited:
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	return c
}

// untilStdinCloses returns a context that ends when the parent closes
// the child's standard input, or on SIGTERM.
func untilStdinCloses() (context.Context, context.CancelFunc) {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	return ctx, cancel
}

// childTemporal runs a Temporal server, says where it listens, and
// writes the warnings and errors it logs until it is told to stop.
func childTemporal() int {
	ctx, cancel := untilStdinCloses()
	defer cancel()
	ts, err := benchTemporal(childLogger{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "temporal:", err)
		return 1
	}
	fmt.Printf("ready %s %s\n", ts.GetFrontendHostPort(), ts.GetDefaultNamespace())
	<-ctx.Done()
	ts.Stop()
	return 0
}

// childServe runs `journeys serve` with the settings in the environment.
func childServe() int {
	ctx, cancel := untilStdinCloses()
	defer cancel()
	if err := run(ctx, []string{"serve"}, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "journeys:", err)
		return 1
	}
	return 0
}

// childLogger is the child Temporal server's logger: it writes its
// warnings and errors to the standard output as lines of level, message
// and cause, for the parent to count.
type childLogger struct{}

var _ serverlog.Logger = childLogger{}

func (childLogger) Debug(string, ...tag.Tag)             {}
func (childLogger) Info(string, ...tag.Tag)              {}
func (l childLogger) Warn(msg string, tags ...tag.Tag)   { l.put("warn", msg, tags) }
func (l childLogger) Error(msg string, tags ...tag.Tag)  { l.put("error", msg, tags) }
func (l childLogger) DPanic(msg string, tags ...tag.Tag) { l.Error(msg, tags...) }
func (l childLogger) Panic(msg string, tags ...tag.Tag)  { l.Error(msg, tags...) }
func (l childLogger) Fatal(msg string, tags ...tag.Tag)  { l.Error(msg, tags...) }

func (l childLogger) put(level, msg string, tags []tag.Tag) {
	// One write a line, so that lines written at once do not mix.
	_, _ = os.Stdout.WriteString(level + "\t" + oneLine(msg) + "\t" + oneLine(cause(tags)) + "\n")
}

func oneLine(s string) string { return strings.NewReplacer("\n", " ", "\t", " ").Replace(s) }
