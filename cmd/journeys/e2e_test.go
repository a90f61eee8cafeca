package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"

	"journeys/activities"
	"journeys/channels"
	"journeys/reporting"
	"journeys/reporting/dbtest"
)

const testKey = "test-key"

// stack is the whole service under test: real Temporal in-process, real
// Postgres, the worker and the API over HTTP.
type stack struct {
	t        testing.TB
	base     string
	store    *reporting.Store
	temporal client.Client
	senders  map[channels.Channel]activities.Sender
	log      *slog.Logger
	// stop stops the service as SIGTERM does and waits until it returns.
	stop func() error
}

// newWorker returns another worker on the stack's Temporal server and
// store, for tests that stop and start workers; opts change its jobs'
// settings.
func (s *stack) newWorker(opts ...func(*activities.Jobs)) workers {
	jobs := newJobs(s.temporal, s.store, nil)
	for _, opt := range opts {
		opt(jobs)
	}
	return newWorker(s.temporal, &activities.Activities{Store: s.store, Caps: s.store, Senders: s.senders, Log: s.log}, jobs)
}

// startStack starts the stack; opts change its config, for example to
// point the channels at fake providers (by default they are the console).
func startStack(t *testing.T, opts ...func(*config)) *stack {
	t.Helper()
	return newStack(t, temporaltest.NewServer(temporaltest.WithT(t)), opts...)
}

// temporalServer is what the end-to-end tests and benchmarks use of a
// Temporal server: temporaltest's, or a postgresTemporal.
type temporalServer interface {
	GetFrontendHostPort() string
	GetDefaultNamespace() string
	NewClientWithOptions(client.Options) client.Client
	Stop()
}

var _ temporalServer = (*temporaltest.TestServer)(nil)

// newStack runs the service on the Temporal server ts and a fresh
// database until the test or benchmark ends.
func newStack(tb testing.TB, ts temporalServer, opts ...func(*config)) *stack {
	tb.Helper()
	store, dbURL := dbtest.New(tb)
	return newStackOn(tb, ts, store, dbURL, opts...)
}

// newStackOn runs the service on the Temporal server ts and the migrated
// database at dbURL until the test or benchmark ends.
func newStackOn(tb testing.TB, ts temporalServer, store *reporting.Store, dbURL string, opts ...func(*config)) *stack {
	tb.Helper()
	return newStackLogged(tb, ts, store, dbURL, slog.New(slog.DiscardHandler), opts...)
}

// newStackLogged is newStackOn with the service logging to log.
func newStackLogged(tb testing.TB, ts temporalServer, store *reporting.Store, dbURL string, log *slog.Logger, opts ...func(*config)) *stack {
	tb.Helper()
	cfg := config{HTTPAddr: "127.0.0.1:0", DatabaseURL: dbURL, APIKey: testKey, Role: "all",
		Namespace: ts.GetDefaultNamespace(), TemporalUIURL: testUIURL}
	for _, opt := range opts {
		opt(&cfg)
	}
	// The SDK reports its metrics through the client it was given.
	c := ts.NewClientWithOptions(temporalOptions(client.Options{HostPort: ts.GetFrontendHostPort(),
		Namespace: ts.GetDefaultNamespace(), MetricsHandler: cfg.Metrics.Temporal()}, log))
	ctx, cancel := context.WithCancel(context.Background())
	if err := registerSearchAttributes(ctx, c, ts.GetDefaultNamespace()); err != nil {
		tb.Fatal(err)
	}
	senders, err := newSenders(cfg.Channels, log)
	if err != nil {
		tb.Fatal(err)
	}
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- runService(ctx, cfg, store, c, senders, log, func(a string) { addr <- a }) }()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() { cancel(); stopErr = <-done })
		return stopErr
	}
	tb.Cleanup(func() {
		if err := stop(); err != nil {
			tb.Errorf("service: %v", err)
		}
	})
	select {
	case a := <-addr:
		return &stack{t: tb, base: "http://" + a, store: store, temporal: c, senders: senders, log: log, stop: stop}
	case err := <-done:
		tb.Fatalf("service did not start: %v", err)
	}
	return nil
}

// call sends a request with the API key and decodes the JSON answer into
// out, returning the status.
func (s *stack) call(method, path string, body any, out any) int {
	s.t.Helper()
	return s.callAs(testKey, method, path, body, out)
}

// callAs is call with the bearer token key.
func (s *stack) callAs(key, method, path string, body any, out any) int {
	s.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewBufferString(b)
	default:
		raw, _ := json.Marshal(b)
		r = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, s.base+path, r)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode
}

func (s *stack) mustCall(method, path string, body any, want int, out any) {
	s.t.Helper()
	s.mustCallAs(testKey, method, path, body, want, out)
}

// mustCallAs is mustCall with the bearer token key.
func (s *stack) mustCallAs(key, method, path string, body any, want int, out any) {
	s.t.Helper()
	var raw json.RawMessage
	got := s.callAs(key, method, path, body, &raw)
	if got != want {
		s.t.Fatalf("%s %s = %d %s, want %d", method, path, got, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatal(err)
		}
	}
}

type enrollment struct {
	Status          string `json:"status"`
	ExitReason      string `json:"exit_reason"`
	WorkflowID      string `json:"workflow_id"`
	RunID           string `json:"run_id"`
	AlreadyEnrolled bool   `json:"already_enrolled"`
	Timeline        []struct {
		Kind    string `json:"kind"`
		StepID  string `json:"step_id"`
		Channel string `json:"channel"`
		Detail  string `json:"detail"`
	} `json:"timeline"`
}

// story reads the timeline as kind:channel, or the kind alone for entries
// on no channel.
func (e enrollment) story() []string { return e.labels(false) }

// steps reads the timeline as kind:step-id, or the kind alone for entries
// about no step.
func (e enrollment) steps() []string { return e.labels(true) }

func (e enrollment) labels(byStep bool) []string {
	var out []string
	for _, x := range e.Timeline {
		label := x.Channel
		if byStep {
			label = x.StepID
		}
		if label != "" {
			out = append(out, x.Kind+":"+label)
		} else {
			out = append(out, x.Kind)
		}
	}
	return out
}

// waitFor polls the user's enrollment until done says so.
func (s *stack) waitFor(journeyID, userID string, done func(enrollment) bool) enrollment {
	s.t.Helper()
	return s.waitForAs(testKey, journeyID, userID, done)
}

// waitForAs is waitFor in the workspace of key.
func (s *stack) waitForAs(key, journeyID, userID string, done func(enrollment) bool) enrollment {
	s.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var e enrollment
		s.mustCallAs(key, "GET", "/v1/journeys/"+journeyID+"/enrollments/"+userID, nil, 200, &e)
		if done(e) {
			return e
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s in %s: gave up waiting; now %s %v", userID, journeyID, e.Status, e.story())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ended(e enrollment) bool { return e.Status != "active" }

// historyEvents is how many history events a cart-abandonment run takes:
// converted right after enrolling ("early"), and three touches then an
// exit ("never"): a started run, a timer per wait, a workflow task per
// wake-up, and per send on a channel held to no rate (every channel of
// this stack) a local-activity marker in that task, plus the journey's
// bookkeeping (the marker of the channels held to a rate, recorded at the
// first send, a local-activity marker to close the enrollment, a
// search-attribute upsert per step and at the end). The first wait costs
// nothing: Temporal serves it as the run's start delay. Runs started
// before sends ran as local activities send each as an activity on their
// run's queue and take 43 (workflows/testdata/cart_abandonment_kit2_*);
// runs started before sends had a queue per channel in their input record
// the "send-queue-per-channel" version marker at their first send, with
// the search-attribute upsert the SDK makes for every version marker, and
// take 45 (…_kit2_sendmarker_*).
var historyEvents = map[string]int{"early": 8, "never": 29}

// historyLength counts the events in a run's history.
func (s *stack) historyLength(workflowID, runID string) int {
	s.t.Helper()
	n := 0
	it := s.temporal.GetWorkflowHistory(context.Background(), workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		if _, err := it.Next(); err != nil {
			s.t.Fatal(err)
		}
		n++
	}
	return n
}

func TestCartAbandonmentEndToEnd(t *testing.T) {
	s := startStack(t)
	s.mustCall("POST", "/v1/journeys", map[string]any{
		"id": "cart", "name": "Cart 10%", "type": "cart_abandonment", "goal_event": "purchase",
		"config": map[string]any{
			"touches": []map[string]string{
				{"after": "3s", "channel": "push", "template": "cart_offer"},
				{"after": "3s", "channel": "email", "template": "cart_offer"},
				{"after": "3s", "channel": "sms", "template": "cart_final_offer"},
			},
			"final_wait": "3s",
		},
	}, 201, nil)

	users := []string{"early", "mid", "never", "noemail"}
	for _, u := range users {
		profile := map[string]any{"email": u + "@example.com", "phone": "+989120000000", "push_token": "tok-" + u,
			"attributes": map[string]string{"first_name": u}}
		if u == "noemail" {
			delete(profile, "email")
		}
		s.mustCall("PUT", "/v1/users/"+u, profile, 200, nil)
		var e enrollment
		s.mustCall("POST", "/v1/journeys/cart/enrollments", map[string]string{"user_id": u}, 202, &e)
		if e.WorkflowID != "default/journey/cart/user/"+u || e.RunID == "" || e.AlreadyEnrolled {
			t.Errorf("enroll %s = %+v", u, e)
		}
	}

	purchase := func(user, eventID string) map[string]any {
		var out map[string]any
		s.mustCall("POST", "/v1/events", map[string]any{"event_id": eventID, "user_id": user, "name": "purchase",
			"properties": map[string]any{"revenue": 120}}, 202, &out)
		return out
	}
	purchase("early", "p-early")
	// Once the push has gone out, "mid" buys.
	s.waitFor("cart", "mid", func(e enrollment) bool { return len(e.story()) >= 2 })
	purchase("mid", "p-mid")
	if again := purchase("mid", "p-mid"); again["duplicate"] != true {
		t.Errorf("second post of p-mid = %v, want duplicate", again)
	}

	want := map[string]struct {
		status string
		story  []string
	}{
		"early":   {"converted", []string{"enrolled", "converted"}},
		"mid":     {"converted", []string{"enrolled", "sent:push", "converted:push"}},
		"never":   {"exited", []string{"enrolled", "sent:push", "sent:email", "sent:sms", "exited"}},
		"noemail": {"exited", []string{"enrolled", "sent:push", "skipped:email", "sent:sms", "exited"}},
	}
	for _, u := range users {
		e := s.waitFor("cart", u, ended)
		if e.Status != want[u].status || fmt.Sprint(e.story()) != fmt.Sprint(want[u].story) {
			t.Errorf("%s: %s %v, want %s %v", u, e.Status, e.story(), want[u].status, want[u].story)
		}
		s.recordHistory("cart_abandonment_kit2_localsend_"+u, e.WorkflowID, e.RunID)
		// What a run costs Temporal: a change that adds events to these
		// runs must say why here.
		if want, ok := historyEvents[u]; ok {
			if got := s.historyLength(e.WorkflowID, e.RunID); got != want {
				t.Errorf("%s's run has %d history events, want %d", u, got, want)
			}
		}
	}

	var report reporting.Report
	s.mustCall("GET", "/v1/journeys/cart/report", nil, 200, &report)
	if report.Enrolled != 4 || report.Converted != 2 || report.Exited != 2 || report.Active != 0 || report.ConversionRate != 0.5 {
		t.Errorf("report = %+v", report)
	}
	if got, want := report.Sends, map[string]int{"push": 3, "email": 1, "sms": 2, "webhook": 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sends = %v, want %v", got, want)
	}
}

func TestEnrollmentIsIdempotentUnderConcurrency(t *testing.T) {
	s := startStack(t)
	s.mustCall("POST", "/v1/journeys", map[string]any{"id": "race", "name": "Race", "type": "cart_abandonment", "goal_event": "purchase"}, 201, nil)

	const n = 24
	var wg sync.WaitGroup
	statuses := make([]int, n)
	runs := make([]enrollment, n)
	for i := range n {
		wg.Go(func() {
			statuses[i] = s.call("POST", "/v1/journeys/race/enrollments", map[string]string{"user_id": "u1"}, &runs[i])
		})
	}
	wg.Wait()

	accepted := 0
	for i := range n {
		switch {
		case statuses[i] == 202 && !runs[i].AlreadyEnrolled:
			accepted++
		case statuses[i] == 200 && runs[i].AlreadyEnrolled:
		default:
			t.Errorf("request %d: %d %+v", i, statuses[i], runs[i])
		}
		if runs[i].RunID != runs[0].RunID || runs[i].RunID == "" {
			t.Errorf("request %d got run %q, want %q", i, runs[i].RunID, runs[0].RunID)
		}
	}
	if accepted != 1 {
		t.Errorf("%d requests enrolled the user, want 1", accepted)
	}
	var rows int
	if err := s.store.DB().Get(&rows, `SELECT count(*) FROM enrollments WHERE journey_id = 'race'`); err != nil || rows != 1 {
		t.Errorf("enrollment rows = %d, %v; want 1", rows, err)
	}
}

func TestAPIErrors(t *testing.T) {
	s := startStack(t)
	s.mustCall("POST", "/v1/journeys", map[string]any{"id": "cart", "name": "Cart", "type": "cart_abandonment", "goal_event": "purchase"}, 201, nil)

	tests := []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"POST", "/v1/journeys", `{"name": "x",`, 400, "invalid"},
		{"POST", "/v1/journeys", `[]`, 400, "invalid"},
		{"POST", "/v1/journeys", map[string]any{"name": "x", "type": "cart_abandonment", "goal_event": "purchase", "config": map[string]any{"final_wait": "soon"}}, 400, "invalid"},
		{"POST", "/v1/journeys", map[string]any{"name": "x", "type": "drip", "goal_event": "purchase"}, 400, "invalid"},
		{"POST", "/v1/journeys", map[string]any{"id": "cart", "name": "x", "type": "cart_abandonment", "goal_event": "purchase"}, 409, "conflict"},
		{"GET", "/v1/journeys/nope", nil, 404, "not_found"},
		{"POST", "/v1/journeys/nope/enrollments", map[string]string{"user_id": "u1"}, 404, "not_found"},
		{"POST", "/v1/journeys/cart/enrollments", map[string]string{"user_id": "a/b"}, 400, "invalid"},
		{"POST", "/v1/journeys/cart/enrollments", map[string]string{"user": "u1"}, 400, "invalid"},
		{"GET", "/v1/journeys/cart/enrollments/ghost", nil, 404, "not_found"},
		{"PUT", "/v1/users/u1", map[string]string{"email": "not-an-email"}, 400, "invalid"},
		{"PUT", "/v1/users/u1", map[string]string{"phone": "0912"}, 400, "invalid"},
		{"PUT", "/v1/users/u1", map[string]any{"attributes": []int{1}}, 400, "invalid"},
		{"POST", "/v1/events", map[string]string{"user_id": "u1", "name": "purchase"}, 400, "invalid"},
		{"GET", "/v1/nothing", nil, 404, "not_found"},
	}
	for _, tt := range tests {
		var out struct {
			Error struct{ Code, Message string }
		}
		got := s.call(tt.method, tt.path, tt.body, &out)
		if got != tt.status || out.Error.Code != tt.code || out.Error.Message == "" {
			t.Errorf("%s %s %v = %d %+v, want %d %s", tt.method, tt.path, tt.body, got, out, tt.status, tt.code)
		}
	}

	req, _ := http.NewRequest("GET", s.base+"/v1/journeys", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("no key: %d, want 401", resp.StatusCode)
	}
	var js struct{ Journeys []reporting.Journey }
	s.mustCall("GET", "/v1/journeys", nil, 200, &js)
	if len(js.Journeys) != 1 {
		t.Errorf("journeys = %d, want 1 (failed requests must change nothing)", len(js.Journeys))
	}
	s.mustCall("GET", "/healthz", nil, 200, nil)
}
