package processtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	enums "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"journeys/reporting"
	"journeys/reporting/dbtest"
)

// binary is the journeys binary under test, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "journeys-processtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "journeys")
	build := exec.Command("go", "build", "-o", binary, "journeys/cmd/journeys")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build journeys: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	apiKey        = "process-test-key"
	webhookSecret = "process-test-webhook-secret"
)

// deployment is one deployment of the service as separate processes on
// this machine: a Temporal server, an API and workers, on a fresh
// database. Every process is killed when the test ends, and their output,
// kept in files, is printed when it failed.
type deployment struct {
	t        *testing.T
	dir      string
	temporal string // the Temporal frontend's host:port
	env      []string
	store    *reporting.Store

	mu    sync.Mutex
	procs []*process
	logs  []string
	n     map[string]int
}

// process is one running journeys process.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// newDeployment prepares a deployment whose processes get env on top of
// the settings every one of them needs; nothing runs yet.
func newDeployment(t *testing.T, env ...string) *deployment {
	t.Helper()
	// Fails, never skips, without Postgres. The schema is left to
	// `journeys migrate`.
	store, dbURL := dbtest.NewAt(t, 0)
	d := &deployment{t: t, dir: t.TempDir(), temporal: freeAddr(t), store: store, n: map[string]int{}}
	d.env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		// A home of its own, so that no temporal.toml of the machine's
		// user changes the settings.
		"HOME=" + d.dir,
		"DATABASE_URL=" + dbURL,
		"TEMPORAL_ADDRESS=" + d.temporal,
		"TEMPORAL_NAMESPACE=default",
		"JOURNEYS_API_KEY=" + apiKey,
		"JOURNEYS_OFFER_SECRET=process-test-offer-secret",
		"JOURNEYS_SHUTDOWN_TIMEOUT=5s",
	}, env...)
	t.Cleanup(d.close)
	return d
}

// start starts a journeys process with args and env on top of the
// deployment's; its output goes to a file of its own.
func (d *deployment) start(name string, env []string, args ...string) *process {
	d.t.Helper()
	d.mu.Lock()
	d.n[name]++
	log := filepath.Join(d.dir, fmt.Sprintf("%s-%d.log", name, d.n[name]))
	d.logs = append(d.logs, log)
	d.mu.Unlock()
	f, err := os.Create(log)
	if err != nil {
		d.t.Fatal(err)
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append([]string(nil), d.env...), env...)
	cmd.Stdout, cmd.Stderr = f, f
	// A group of its own, so that a kill reaches everything it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		d.t.Fatalf("start %s: %v", name, err)
	}
	p := &process{name: name, cmd: cmd, log: log, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		f.Close()
		close(p.done)
	}()
	d.mu.Lock()
	d.procs = append(d.procs, p)
	d.mu.Unlock()
	return p
}

// kill sends SIGKILL to p's process group and waits until it is gone.
func (p *process) kill() {
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// exited reports whether p has stopped.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (d *deployment) close() {
	d.mu.Lock()
	procs := d.procs
	d.mu.Unlock()
	for _, p := range procs {
		p.kill()
	}
	if !d.t.Failed() {
		return
	}
	for _, log := range d.logs {
		b, _ := os.ReadFile(log)
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if len(lines) > 60 {
			lines = append([]string{fmt.Sprintf("... %d lines before", len(lines)-60)}, lines[len(lines)-60:]...)
		}
		d.t.Logf("--- %s\n%s", filepath.Base(log), strings.Join(lines, "\n"))
	}
}

// startTemporal starts `journeys temporal` on the deployment's address and
// data folder, and waits until it answers.
func (d *deployment) startTemporal() *process {
	d.t.Helper()
	p := d.start("temporal", []string{
		"JOURNEYS_DATA_DIR=" + filepath.Join(d.dir, "temporal"),
		"JOURNEYS_TEMPORAL_UI_ADDR=" + freeAddr(d.t),
	}, "temporal")
	d.waitFor(p, 2*time.Minute, "Temporal to answer", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c, err := client.DialContext(ctx, client.Options{HostPort: d.temporal, Logger: quiet{}})
		if err != nil {
			return false
		}
		defer c.Close()
		_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err == nil
	})
	return p
}

// migrate runs `journeys migrate` to its end.
func (d *deployment) migrate() {
	d.t.Helper()
	p := d.start("migrate", nil, "migrate")
	select {
	case <-p.done:
	case <-time.After(3 * time.Minute):
		d.t.Fatal("journeys migrate did not end within 3 minutes")
	}
	if !p.cmd.ProcessState.Success() {
		d.t.Fatalf("journeys migrate: %v", p.cmd.ProcessState)
	}
}

// startAPI starts `serve --role api` and waits until it is ready; it
// returns the API's base URL.
func (d *deployment) startAPI() (*process, string) {
	d.t.Helper()
	addr := freeAddr(d.t)
	p := d.start("api", []string{"JOURNEYS_ROLE=api", "JOURNEYS_HTTP_ADDR=" + addr}, "serve")
	base := "http://" + addr
	d.waitFor(p, 2*time.Minute, "the API to be ready", func() bool {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return p, base
}

// startWorkers starts a `serve --role worker` process for each name, and
// waits until all of them poll.
func (d *deployment) startWorkers(names ...string) []*process {
	d.t.Helper()
	var ps []*process
	for _, name := range names {
		ps = append(ps, d.start(name, []string{"JOURNEYS_ROLE=worker"}, "serve"))
	}
	for _, p := range ps {
		d.waitFor(p, 2*time.Minute, p.name+" to start", func() bool {
			b, _ := os.ReadFile(p.log)
			return bytes.Contains(b, []byte("msg=\"worker started\""))
		})
	}
	return ps
}

// waitFor polls ready until it holds, failing the test when p exits or
// within passes first.
func (d *deployment) waitFor(p *process, within time.Duration, what string, ready func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(within)
	for !ready() {
		if p.exited() {
			d.t.Fatalf("%s exited while waiting for %s: %v", p.name, what, p.cmd.ProcessState)
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("gave up waiting %s for %s", within, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// queueRateLimit returns the activity rate limit the Temporal server
// enforces on task queue q, and who set it.
func (d *deployment) queueRateLimit(q string) (float32, enums.RateLimitSource) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := d.client(ctx)
	defer c.Close()
	resp, err := c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
		Namespace:     "default",
		TaskQueue:     &taskqueue.TaskQueue{Name: q, Kind: enums.TASK_QUEUE_KIND_NORMAL},
		TaskQueueType: enums.TASK_QUEUE_TYPE_ACTIVITY,
		ReportConfig:  true,
	})
	if err != nil {
		d.t.Fatalf("describe task queue %s: %v", q, err)
	}
	l := resp.GetEffectiveRateLimit()
	return l.GetRequestsPerSecond(), l.GetRateLimitSource()
}

// client connects to the deployment's Temporal server.
func (d *deployment) client(ctx context.Context) client.Client {
	d.t.Helper()
	c, err := client.DialContext(ctx, client.Options{HostPort: d.temporal, Logger: quiet{}})
	if err != nil {
		d.t.Fatal(err)
	}
	return c
}

// sendsStarted returns when Temporal handed each send of journeyID's
// runs to a worker (the last attempt's, for a retried send), from the
// runs' histories, in order.
func (d *deployment) sendsStarted(journeyID string) []time.Time {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := d.client(ctx)
	defer c.Close()
	var runs []struct {
		WorkflowID string `db:"workflow_id"`
		RunID      string `db:"run_id"`
	}
	if err := d.store.DB().SelectContext(ctx, &runs, `SELECT workflow_id, run_id FROM enrollments WHERE journey_id = $1`, journeyID); err != nil {
		d.t.Fatal(err)
	}
	var at []time.Time
	for _, r := range runs {
		sends := map[int64]bool{}
		events := c.GetWorkflowHistory(ctx, r.WorkflowID, r.RunID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for events.HasNext() {
			e, err := events.Next()
			if err != nil {
				d.t.Fatalf("history of %s: %v", r.WorkflowID, err)
			}
			if s := e.GetActivityTaskScheduledEventAttributes(); s != nil && s.GetActivityType().GetName() == "Send" {
				sends[e.GetEventId()] = true
			}
			if s := e.GetActivityTaskStartedEventAttributes(); s != nil && sends[s.GetScheduledEventId()] {
				at = append(at, e.GetEventTime().AsTime())
			}
		}
	}
	slices.SortFunc(at, time.Time.Compare)
	return at
}

// freeAddr returns a 127.0.0.1 address with a port that is free now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// quiet drops the SDK's log lines while the test polls a server that is
// still starting.
type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}
