package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"journeys/api"
	"journeys/reporting"
	"journeys/reporting/dbtest"
)

const (
	testKey      = "test-key"
	testAdminKey = "test-admin-key"
)

// harness is the API handler over a fresh, migrated Postgres database. Only
// Temporal is a fake: it starts and signals nothing, and says every run
// started (the API's own checks are what these tests are about).
type harness struct {
	t       testing.TB
	handler http.Handler
	store   *reporting.Store
	secret  []byte
}

// newHarness returns the API over a fresh database; opts change its config.
func newHarness(t testing.TB, opts ...func(*api.Config)) *harness {
	t.Helper()
	store, _ := dbtest.New(t)
	h := &harness{t: t, store: store, secret: []byte("unsubscribe-secret")}
	cfg := api.Config{Store: store, Temporal: &fakeTemporal{}, APIKey: testKey, AdminKey: testAdminKey,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Namespace: "default", UnsubscribeSecret: h.secret}
	for _, opt := range opts {
		opt(&cfg)
	}
	h.handler = api.New(cfg)
	return h
}

// with returns the harness reporting to t, for use inside a fuzz target,
// which must not report to the *testing.F.
func (h *harness) with(t testing.TB) *harness {
	c := *h
	c.t = t
	return &c
}

// do sends a JSON request with the API key and returns the status and body.
func (h *harness) do(method, path string, body []byte) (int, []byte) {
	h.t.Helper()
	rec := h.send(method, path, "application/json", body)
	return rec.Code, rec.Body.Bytes()
}

// send sends body as contentType with the API key and returns the answer.
func (h *harness) send(method, path, contentType string, body []byte) *httptest.ResponseRecorder {
	h.t.Helper()
	return h.sendWith("Bearer "+testKey, method, path, contentType, body)
}

// doWith sends a JSON request with the Authorization header auth, none
// when it is empty, and returns the status and body.
func (h *harness) doWith(auth, method, path string, body []byte) (int, []byte) {
	h.t.Helper()
	rec := h.sendWith(auth, method, path, "application/json", body)
	return rec.Code, rec.Body.Bytes()
}

// sendWith is send with the Authorization header auth.
func (h *harness) sendWith(auth, method, path, contentType string, body []byte) *httptest.ResponseRecorder {
	h.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	return rec
}

// call sends body (a string as it is, anything else as JSON) and decodes
// the answer into out unless it is nil.
func (h *harness) call(method, path string, body any, out any) int {
	h.t.Helper()
	raw, ok := body.(string)
	if !ok && body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			h.t.Fatal(err)
		}
		raw = string(b)
	}
	status, resp := h.do(method, path, []byte(raw))
	if out != nil {
		if err := json.Unmarshal(resp, out); err != nil {
			h.t.Fatalf("%s %s = %d: %v in %s", method, path, status, err, resp)
		}
	}
	return status
}

func (h *harness) mustCall(method, path string, body any, want int, out any) {
	h.t.Helper()
	var raw json.RawMessage
	if got := h.call(method, path, body, &raw); got != want {
		h.t.Fatalf("%s %s = %d %s, want %d", method, path, got, raw, want)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			h.t.Fatal(err)
		}
	}
}

// snapshot sums up the contents of every table, so that a test can tell
// whether a request stored anything.
func (h *harness) snapshot() string {
	h.t.Helper()
	return dbtest.Snapshot(h.t, h.store)
}

// refusal is a request the API must refuse: the status, and text the
// error message holds.
type refusal struct {
	path   string
	body   any
	status int
	want   string
}

// checkRefusals posts each request and checks it is refused as it says,
// and that the refusals stored nothing.
func (h *harness) checkRefusals(t *testing.T, tests []refusal) {
	t.Helper()
	before := h.snapshot()
	for _, tt := range tests {
		var out apiError
		if got := h.call("POST", tt.path, tt.body, &out); got != tt.status || !strings.Contains(out.Error.Message, tt.want) {
			t.Errorf("%s %v = %d %q, want %d containing %q", tt.path, tt.body, got, out.Error.Message, tt.status, tt.want)
		}
	}
	if after := h.snapshot(); after != before {
		t.Errorf("refused requests changed the database:\nbefore %s\nafter  %s", before, after)
	}
}

// seed creates what requests refer to: user u1, and journey cart that
// add_to_cart enters, purchase converts and cart_emptied exits.
func (h *harness) seed() {
	h.t.Helper()
	h.mustCall("PUT", "/v1/users/u1", map[string]any{"email": "sara@example.com", "attributes": map[string]any{"first_name": "Sara"}}, 200, nil)
	h.mustCall("POST", "/v1/journeys", map[string]any{"id": "cart", "name": "Cart", "type": "cart_abandonment",
		"goal_event": "purchase", "entry_event": "add_to_cart", "exit_events": []string{"cart_emptied"}}, 201, nil)
}

// reset empties every table but the shipped templates, and seeds again.
func (h *harness) reset() {
	h.t.Helper()
	db := h.store.DB()
	var tables []string
	if err := db.Select(&tables, `SELECT tablename FROM pg_tables
		WHERE schemaname = 'public' AND tablename NOT IN ('schema_migrations', 'templates', 'workspaces')`); err != nil {
		h.t.Fatal(err)
	}
	db.MustExec(`TRUNCATE ` + strings.Join(tables, ", ") + ` CASCADE`)
	db.MustExec(`DELETE FROM templates WHERE id NOT IN ('cart_offer', 'cart_final_offer')`)
	h.seed()
}

// apiError is the body of every error answer.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// internals are what a message must never show: Go type and package names,
// encoding/json's wording, Postgres'. Quoted input is left out of the
// search: the message may echo what the client sent.
var (
	internals = regexp.MustCompile(`\b(api|reporting|workflows|activities|channels|json|time|main)\.[A-Za-z]|Go (struct|value)|unmarshal|pq: |SQLSTATE`)
	quoted    = regexp.MustCompile(`"(\\.|[^"\\])*"`)
)

// showsInternals reports whether message shows internals.
func showsInternals(message string) bool {
	return internals.MatchString(quoted.ReplaceAllString(message, `""`))
}

// checkAnswer fails the test when a request answered 5xx, or 4xx without
// the error shape or with internals in its message, or when a refused
// request stored anything.
func (h *harness) checkAnswer(t *testing.T, method, path string, body []byte) {
	t.Helper()
	h.checkAnswerAs(t, method, path, "application/json", body)
}

// checkAnswerAs is checkAnswer for a body sent as contentType.
func (h *harness) checkAnswerAs(t *testing.T, method, path, contentType string, body []byte) {
	t.Helper()
	h = h.with(t)
	before := h.snapshot()
	rec := h.send(method, path, contentType, body)
	status, resp := rec.Code, rec.Body.Bytes()
	if status >= 500 {
		t.Fatalf("%s %s %q = %d %s", method, path, clipped(body), status, resp)
	}
	if status < 400 {
		return
	}
	var e apiError
	if err := json.Unmarshal(resp, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("%s %s %q = %d %s: not the error shape", method, path, clipped(body), status, resp)
	}
	if showsInternals(e.Error.Message) {
		t.Errorf("%s %s %q = %d: message shows internals: %s", method, path, clipped(body), status, e.Error.Message)
	}
	if len(e.Error.Message) > 4000 {
		t.Errorf("%s %s = %d: message is %d bytes long", method, path, status, len(e.Error.Message))
	}
	if after := h.snapshot(); after != before {
		t.Fatalf("%s %s %q = %d %s, yet it stored something", method, path, clipped(body), status, resp)
	}
}

func clipped(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// fakeTemporal stands in for Temporal where the API starts or signals
// runs; every call succeeds, and every run is running.
type fakeTemporal struct{ runs atomic.Int64 }

func (f *fakeTemporal) DescribeWorkflowExecution(context.Context, string, string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{
		Status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING,
	}}, nil
}

func (f *fakeTemporal) GetWorkflowHistory(context.Context, string, string, bool, enumspb.HistoryEventFilterType) client.HistoryEventIterator {
	panic("the fake's runs are all running: nothing reads their history")
}

func (f *fakeTemporal) ListWorkflow(context.Context, *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	return &workflowservice.ListWorkflowExecutionsResponse{}, nil
}

func (f *fakeTemporal) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	return fakeRun{id: o.ID, runID: fmt.Sprintf("run-%d", f.runs.Add(1))}, nil
}

func (f *fakeTemporal) SignalWithStartWorkflow(ctx context.Context, id, _ string, _ any, o client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	return f.ExecuteWorkflow(ctx, o, wf, args...)
}

func (f *fakeTemporal) GetWorkflow(_ context.Context, id, runID string) client.WorkflowRun {
	return fakeRun{id: id, runID: runID}
}

func (f *fakeTemporal) SignalWorkflow(context.Context, string, string, string, any) error { return nil }

func (f *fakeTemporal) CheckHealth(context.Context, *client.CheckHealthRequest) (*client.CheckHealthResponse, error) {
	return &client.CheckHealthResponse{}, nil
}

type fakeRun struct{ id, runID string }

func (r fakeRun) GetID() string                  { return r.id }
func (r fakeRun) GetRunID() string               { return r.runID }
func (r fakeRun) GetFirstExecutionRunID() string { return r.runID }
func (r fakeRun) Get(context.Context, any) error { return nil }
func (r fakeRun) GetWithOptions(context.Context, any, client.WorkflowRunGetOptions) error {
	return nil
}
