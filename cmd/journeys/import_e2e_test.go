package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"
	xrate "golang.org/x/time/rate"

	"journeys/activities"
	"journeys/reporting"
	"journeys/runs"
)

// writeAudience writes an audience file of n users with a profile column
// and an attribute, and returns its path.
func writeAudience(t testing.TB, n int) string {
	var b strings.Builder
	b.WriteString("user_id,email,first_name\n")
	for i := range n {
		fmt.Fprintf(&b, "bulk-%05d,bulk-%05d@example.com,Name%d\n", i, i, i)
	}
	path := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBulkImportSurvivesWorkerStop imports 1,000 users, two pages, with
// the enroll command, stops the worker once the first page is counted,
// starts another and checks that every user is enrolled exactly once. The
// import is paced at 50 users a second so that the stop lands in the
// second page however fast the machine; BenchmarkBulkImport runs 10,000
// at full speed.
func TestBulkImportSurvivesWorkerStop(t *testing.T) {
	// The API alone; the workers come and go below.
	s := startStack(t, func(c *config) { c.Role = "api" })
	importSurvivingWorkerStop(t, s, "bulk", 1000, func(j *activities.Jobs) { j.Limit = xrate.NewLimiter(50, 10) })
}

// BenchmarkBulkImport imports 10,000 users with the enroll command through
// a worker stop and restart, as TestBulkImportSurvivesWorkerStop does, on
// one in-process Temporal server:
//
//	go test -run '^$' -bench BulkImport -benchtime 1x -timeout 30m ./cmd/journeys/
func BenchmarkBulkImport(b *testing.B) {
	const n = 10000
	ts := temporaltest.NewServer()
	b.Cleanup(ts.Stop)
	s := newStack(b, ts, func(c *config) { c.Role = "api" })
	for i := 0; b.Loop(); i++ {
		importSurvivingWorkerStop(b, s, fmt.Sprintf("bulk%d", i), n)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "users/s")
}

// importSurvivingWorkerStop imports n users into a new journey with the
// enroll command while the stack runs the API alone, stops the worker
// half way in (progress counts whole pages of 500), checks that nothing moves without one, starts
// another and checks that every user ends enrolled once, in Postgres and
// in Temporal. jobs change the workers' job settings. Waits end when
// progress stops, never on a fixed budget: a loaded machine is slow, not
// wrong.
func importSurvivingWorkerStop(tb testing.TB, s *stack, journeyID string, n int, jobs ...func(*activities.Jobs)) {
	tb.Helper()
	store, c := s.store, s.temporal
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	w1 := s.newWorker(jobs...)
	if err := w1.Start(); err != nil {
		tb.Fatal(err)
	}
	s.mustCall("POST", "/v1/journeys", longJourney(journeyID, nil), 201, nil)

	var stdout, stderr syncBuffer
	cli := make(chan error, 1)
	getenv := func(k string) string { return map[string]string{"JOURNEYS_API_KEY": testKey}[k] }
	go func() {
		cli <- run(ctx, []string{"enroll", "--journey", journeyID, "--file", writeAudience(tb, n),
			"--api-url", s.base, "--poll", "100ms"}, getenv, &stdout, &stderr)
	}()

	// Stop the worker a fifth of the way in.
	processed := func() int {
		var p int
		_ = store.DB().Get(&p, `SELECT coalesce(max(processed), 0) FROM jobs WHERE journey_id = $1`, journeyID)
		return p
	}
	enrolled := func() int {
		var e int
		_ = store.DB().Get(&e, `SELECT count(*) FROM enrollments WHERE journey_id = $1`, journeyID)
		return e
	}
	// Progress is counted a page at a time; enrollments move row by row.
	untilProgress(tb, "import", func() bool { return processed() >= n/2 }, enrolled, &stderr)
	var jobID string
	if err := store.DB().Get(&jobID, `SELECT id FROM jobs WHERE journey_id = $1`, journeyID); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("%s: stopping the worker at %d users", time.Now().Format(time.TimeOnly), n/2)
	w1.Stop()
	stalled := s.waitProgress(jobID)
	if stalled.Processed >= n {
		tb.Fatalf("the import finished before the worker stopped: %+v", stalled)
	}
	time.Sleep(2 * time.Second)
	if now := s.waitProgress(jobID); now.Processed != stalled.Processed {
		tb.Errorf("progress moved from %d to %d with no worker", stalled.Processed, now.Processed)
	}

	w2 := s.newWorker()
	if err := w2.Start(); err != nil {
		tb.Fatal(err)
	}
	defer w2.Stop()
	tb.Logf("%s: started another worker at %d users", time.Now().Format(time.TimeOnly), stalled.Processed)
	untilProgress(tb, "import", func() bool { return processed() >= n }, enrolled, &stderr)
	if err := <-cli; err != nil {
		tb.Fatalf("enroll: %v\n%s", err, stderr.String())
	}

	tb.Logf("%s: import done", time.Now().Format(time.TimeOnly))
	final := s.waitJob(jobID, time.Minute)
	if final.Status != "completed" || final.Processed != n || final.Enrolled != n {
		tb.Errorf("job = %+v, want %d enrolled", final, n)
	}
	if out := stdout.String(); !strings.Contains(out, strconv.Itoa(n)) && !strings.Contains(out, thousands(n)) {
		tb.Errorf("summary does not count %d users:\n%s", n, out)
	}
	var rows, users, started int
	err := store.DB().QueryRow(`SELECT count(*), count(DISTINCT user_id), count(*) FILTER (WHERE run_id <> '')
		FROM enrollments WHERE journey_id = $1`, journeyID).Scan(&rows, &users, &started)
	if err != nil || rows != n || users != n || started != n {
		tb.Errorf("enrollments: %d rows, %d users, %d with a run (%v); want %d each", rows, users, started, err, n)
	}
	var attrs int
	if err := store.DB().Get(&attrs, `SELECT count(*) FROM users WHERE attributes ? 'first_name' AND email LIKE 'bulk-%'`); err != nil || attrs < n {
		tb.Errorf("%d profiles imported (%v), want %d", attrs, err, n)
	}
	// Temporal holds one run per user too; its visibility lags.
	runs := func() int {
		resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: fmt.Sprintf(`JourneyId = %q`, journeyID)})
		if err != nil {
			tb.Fatal(err)
		}
		return int(resp.GetCount())
	}
	untilProgress(tb, "Temporal's runs", func() bool { return runs() >= n }, runs, &stderr)
	if got := runs(); got != n {
		tb.Errorf("Temporal has %d runs of %s, want %d", got, journeyID, n)
	}
}

// untilProgress waits until done, failing tb when moving, a count of the
// work, stays the same for three minutes: stuck, however slow the machine
// (a loaded one times out starts and retries whole pages).
func untilProgress(tb testing.TB, what string, done func() bool, moving func() int, stderr fmt.Stringer) {
	tb.Helper()
	last, since := -1, time.Now()
	for !done() {
		if v := moving(); v != last {
			last, since = v, time.Now()
		} else if time.Since(since) > 3*time.Minute {
			tb.Fatalf("%s stuck at %d for three minutes: %s", what, v, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// thousands writes n as the enroll command's summary does, 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// waitProgress returns the job as it stands.
func (s *stack) waitProgress(id string) job {
	s.t.Helper()
	var out struct{ Job job }
	s.mustCall("GET", "/v1/jobs/"+id, nil, 200, &out)
	return out.Job
}

// profile is the part of GET /v1/users/{id} an import sets.
type profile struct {
	Email      string            `json:"email"`
	Phone      string            `json:"phone"`
	PushToken  string            `json:"push_token"`
	Timezone   string            `json:"timezone"`
	Locale     string            `json:"locale"`
	Attributes map[string]string `json:"attributes"`
}

// TestImportHeaderShapes imports a file of each header shape the API
// documents with journeys enroll, on the whole stack, and checks that
// every user is enrolled with the profile the file gives.
func TestImportHeaderShapes(t *testing.T) {
	s := startStack(t)
	// A profile that a file of user ids alone must leave as it is.
	kept := profile{Email: "kept@example.com", Attributes: map[string]string{"plan": "gold"}}
	s.mustCall("PUT", "/v1/users/ids-1", kept, 200, nil)

	tests := []struct {
		name, csv string
		// profiles maps every user of the file to its profile after the
		// import; nil: the user has none.
		profiles map[string]*profile
	}{
		{
			name:     "user_id only",
			csv:      "user_id\nids-1\nids-2\n",
			profiles: map[string]*profile{"ids-1": &kept, "ids-2": nil},
		},
		{
			name: "profile columns",
			csv: "user_id,email,phone,push_token,timezone,locale\n" +
				"pc-1,sara@example.com,+989121234567,tok-1,Asia/Tehran,fa-ir\n" +
				"pc-2,,+989121234568,,,en\n",
			profiles: map[string]*profile{
				"pc-1": {Email: "sara@example.com", Phone: "+989121234567", PushToken: "tok-1", Timezone: "Asia/Tehran", Locale: "fa-IR", Attributes: map[string]string{}},
				"pc-2": {Phone: "+989121234568", Locale: "en", Attributes: map[string]string{}},
			},
		},
		{
			name: "attribute columns",
			csv:  "user_id,email,First_Name,plan\nat-1,a@example.com,Sara,gold\nat-2,,Reza,\n",
			profiles: map[string]*profile{
				"at-1": {Email: "a@example.com", Attributes: map[string]string{"first_name": "Sara", "plan": "gold"}},
				"at-2": {Attributes: map[string]string{"first_name": "Reza"}},
			},
		},
		{
			name: "quoted fields",
			csv: "user_id,first_name,plan\n" +
				"\"q-1\",\"Sara \"\"the boss\"\", Jr.\",\"gold, yearly\"\n" +
				"q-2,\"Reza\",\"two\nlines\"\n",
			profiles: map[string]*profile{
				"q-1": {Attributes: map[string]string{"first_name": `Sara "the boss", Jr.`, "plan": "gold, yearly"}},
				"q-2": {Attributes: map[string]string{"first_name": "Reza", "plan": "two\nlines"}},
			},
		},
		{
			name: "byte order mark",
			csv:  "\ufeffuser_id,email\r\nbom-1,bom@example.com\r\n",
			profiles: map[string]*profile{
				"bom-1": {Email: "bom@example.com", Attributes: map[string]string{}},
			},
		},
	}
	getenv := func(k string) string { return map[string]string{"JOURNEYS_API_KEY": testKey}[k] }
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			journey := fmt.Sprintf("shape%d", i)
			s.mustCall("POST", "/v1/journeys", longJourney(journey, nil), 201, nil)
			// A job that never ends fails here instead of hanging the test.
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			var stdout, stderr bytes.Buffer

			err := run(ctx, []string{"enroll", "--journey", journey, "--file", writeCSV(t, tt.csv),
				"--api-url", s.base, "--poll", "100ms"}, getenv, &stdout, &stderr)

			if err != nil {
				t.Fatalf("enroll: %v\n%s", err, stderr.String())
			}
			sum := summary(stdout.String())
			if n := strconv.Itoa(len(tt.profiles)); sum["status"] != "completed" || sum["enrolled"] != n || sum["invalid"] != "0" {
				t.Errorf("summary = %v, want completed with %s enrolled", sum, n)
			}
			for user, want := range tt.profiles {
				var e enrollment
				s.mustCall("GET", "/v1/journeys/"+journey+"/enrollments/"+user, nil, 200, &e)
				if e.Status != "active" || e.RunID == "" {
					t.Errorf("%s: enrollment %s with run %q, want active with a run", user, e.Status, e.RunID)
				}
				var got profile
				status := s.call("GET", "/v1/users/"+user, nil, &got)
				switch {
				case want == nil && status != 404:
					t.Errorf("%s: GET /v1/users = %d %+v, want 404: the file gives no profile", user, status, got)
				case want != nil && (status != 200 || !reflect.DeepEqual(got, *want)):
					t.Errorf("%s: profile = %d %+v, want %+v", user, status, got, *want)
				}
			}
		})
	}
}

// importInBackground runs journeys enroll on csv for the journey, and
// returns the job once the API has stored it, with the command's stdout,
// stderr and result to come.
func (s *stack) importInBackground(journey, csv string) (jobID string, stdout, stderr *syncBuffer, done <-chan error) {
	s.t.Helper()
	t := s.t.(*testing.T)
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	result := make(chan error, 1)
	getenv := func(k string) string { return map[string]string{"JOURNEYS_API_KEY": testKey}[k] }
	go func() {
		result <- run(t.Context(), []string{"enroll", "--journey", journey, "--file", writeCSV(t, csv),
			"--api-url", s.base, "--poll", "100ms"}, getenv, stdout, stderr)
	}()
	deadline := time.Now().Add(time.Minute)
	for s.store.DB().Get(&jobID, `SELECT id FROM jobs WHERE journey_id = $1`, journey) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("no job for %s: %s", journey, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return jobID, stdout, stderr, result
}

// waitEnroll returns what the enroll command running in the background
// ended with, and fails the test if it has not ended within d.
func waitEnroll(t *testing.T, done <-chan error, d time.Duration, stderr fmt.Stringer) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("enroll did not end within %v: %s", d, stderr)
		return nil
	}
}

// TestImportFailsVisibly runs journeys enroll on the whole stack while the
// import cannot progress. A row that can never be processed fails the job
// without retries once the rest of its page is done, and the command exits
// with the job's error, naming the line.
// While a worker cannot reach Temporal, the command's progress lines show
// the error the job is retrying after; once a healthy worker takes over,
// the import completes and the error is gone.
func TestImportFailsVisibly(t *testing.T) {
	// The API alone; each case brings its workers.
	s := startStack(t, func(c *config) { c.Role = "api" })
	s.mustCall("POST", "/v1/journeys", longJourney("broken", nil), 201, nil)
	s.mustCall("POST", "/v1/journeys", longJourney("retried", nil), 201, nil)

	t.Run("a row that cannot be processed", func(t *testing.T) {
		jobID, stdout, stderr, done := s.importInBackground("broken", "user_id,email\nok-1,a@example.com\nok-2,b@example.com\nok-3,c@example.com\n")
		// A row stored by an older version, say, that no retry can read.
		if _, err := s.store.DB().Exec(`UPDATE import_rows SET profile = '{"email": 5}' WHERE job_id = $1 AND line = 3`, jobID); err != nil {
			t.Fatal(err)
		}
		w := s.newWorker()
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		defer w.Stop()

		err := waitEnroll(t, done, 2*time.Minute, stderr)
		want := "import " + jobID + " failed: line 3 (user ok-2): the stored profile cannot be read; import this user again"
		if err == nil || err.Error() != want {
			t.Errorf("enroll: %v, want %q", err, want)
		}
		// The other rows of its page are enrolled, and the job says so.
		if sum := summary(stdout.String()); sum["status"] != "failed" || sum["processed"] != "2" || sum["enrolled"] != "2" {
			t.Errorf("summary = %v, want failed with lines 2 and 4 enrolled", sum)
		}
	})

	t.Run("a worker that cannot reach Temporal", func(t *testing.T) {
		down, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"}) // nothing listens there
		if err != nil {
			t.Fatal(err)
		}
		defer down.Close()
		jobs := newJobs(s.temporal, s.store, nil)
		jobs.Enroller = &runs.Service{Store: s.store, Temporal: down}
		broken := newWorker(s.temporal, &activities.Activities{Store: s.store, Senders: s.senders, Log: s.log}, jobs)
		if err := broken.Start(); err != nil {
			t.Fatal(err)
		}
		jobID, stdout, stderr, done := s.importInBackground("retried", "user_id\nr-1\nr-2\n")

		deadline := time.Now().Add(time.Minute)
		for !strings.Contains(stderr.String(), "retrying after an error at") {
			if time.Now().After(deadline) {
				broken.Stop()
				t.Fatalf("no error shown while the import retries:\n%s", stderr.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
		var stuck struct{ Job reporting.Job }
		s.mustCall("GET", "/v1/jobs/"+jobID, nil, 200, &stuck)
		if !strings.Contains(stuck.Job.LastError, "start workflow") || stuck.Job.LastErrorAt == nil || stuck.Job.Status != "running" {
			t.Errorf("job = %+v, want running with the error it retries after", stuck.Job)
		}
		if !strings.Contains(stderr.String(), stuck.Job.LastError) {
			t.Errorf("progress lines lack %q:\n%s", stuck.Job.LastError, stderr.String())
		}

		broken.Stop()
		healthy := s.newWorker()
		if err := healthy.Start(); err != nil {
			t.Fatal(err)
		}
		defer healthy.Stop()
		if err := waitEnroll(t, done, 2*time.Minute, stderr); err != nil {
			t.Fatalf("enroll: %v\n%s", err, stderr.String())
		}
		if sum := summary(stdout.String()); sum["status"] != "completed" || sum["enrolled"] != "2" {
			t.Errorf("summary = %v, want completed with 2 enrolled", sum)
		}
		var final struct{ Job reporting.Job }
		s.mustCall("GET", "/v1/jobs/"+jobID, nil, 200, &final)
		if final.Job.LastError != "" || final.Job.LastErrorAt != nil {
			t.Errorf("job = %+v, want its last error cleared once it moved on", final.Job)
		}
	})
}
