package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/client"

	"journeys/api"
	"journeys/reporting"
	"journeys/reporting/dbtest"
)

const importKey = "import-key"

// starts stands in for Temporal where a test needs only the start of an
// import's workflow, which it records; the workflow itself is tested with
// a real Temporal server in cmd/journeys.
type starts struct {
	api.Temporal // nil: the import handler calls only ExecuteWorkflow

	mu  sync.Mutex
	ids []string
}

func (s *starts) ExecuteWorkflow(_ context.Context, opts client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids = append(s.ids, opts.ID)
	return nil, nil
}

// newImportServer serves the API over a fresh database.
func newImportServer(tb testing.TB) (*httptest.Server, *reporting.Store, *starts) {
	tb.Helper()
	store, _ := dbtest.New(tb)
	temporal := &starts{}
	srv := httptest.NewServer(api.New(api.Config{Store: store, Temporal: temporal, APIKey: importKey,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	tb.Cleanup(srv.Close)
	return srv, store, temporal
}

// createJourney creates an active journey with the default plan.
func createJourney(tb testing.TB, base, id string) {
	tb.Helper()
	body := `{"id": "` + id + `", "name": "Cart", "type": "cart_abandonment", "goal_event": "purchase"}`
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/journeys", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+importKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		tb.Fatalf("create journey %s: %s", id, resp.Status)
	}
}

// importAnswer is the body of an answer to POST /v1/journeys/{id}/imports.
type importAnswer struct {
	Job   reporting.Job
	Error api.Error
}

// postImport uploads body as the journey's audience file.
func postImport(tb testing.TB, base, journey string, body io.Reader) (int, importAnswer) {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/journeys/"+journey+"/imports", body)
	req.Header.Set("Authorization", "Bearer "+importKey)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out importAnswer
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		tb.Fatalf("import answered %s with a body that is not JSON: %v", resp.Status, err)
	}
	return resp.StatusCode, out
}

// upload uploads body and returns the status.
func upload(tb testing.TB, base, journey string, body io.Reader) int {
	tb.Helper()
	status, _ := postImport(tb, base, journey, body)
	return status
}

// TestImportRefusesBadRows sends files that cannot be imported: each is a
// 400 naming the line to fix, and nothing is stored.
func TestImportRefusesBadRows(t *testing.T) {
	srv, store, temporal := newImportServer(t)
	createJourney(t, srv.URL, "cart")
	tests := []struct {
		name, csv, want string
	}{
		{"NUL byte in an attribute", "user_id,first_name\nu1,Sara\nu2,Re\x00za\n", "line 3, column first_name: contains a NUL byte"},
		{"NUL byte in a user id", "user_id\nu1\nu\x002\n", "line 3, column user_id: contains a NUL byte"},
		{"invalid UTF-8", "user_id,city\nu1,Tehran\nu2,\xff\xfe\n", "line 3, column city: is not valid UTF-8"},
		{"missing field", "user_id,email\nu1,a@example.com\nu2\n", "line 3: 1 fields, but the header has 2"},
		{"extra field", "user_id,email\nu1,a@example.com,x\n", "line 2: 3 fields, but the header has 2"},
		{"unclosed quote", "user_id,note\nu1,\"ok\"\nu2,\"never closed\nu3,x\n", `line 4: extraneous or missing " in quoted-field`},
		{"bare quote", "user_id,note\nu1,a\"b\n", `line 2: bare " in non-quoted-field`},
		{"line after a quoted newline", "user_id,note\nu1,\"two\nlines\"\nu2,\x00\n", "line 4, column note: contains a NUL byte"},
		{"cell too long", "user_id,note\nu1," + strings.Repeat("x", api.MaxAudienceCell+1) + "\n", "line 2, column note: 4097 bytes; a cell holds at most 4096"},
		{"row too long", "user_id,note\nu1,ok\nu2,\"" + strings.Repeat("x", api.MaxAudienceRow+8<<10), "line 3: the row is longer than 1024 KiB"},
		{"too many columns", "user_id" + strings.Repeat(",c", api.MaxAudienceColumns) + "\n", "line 1: 101 columns; a file has at most 100"},
		{"no user_id", "email,phone\na@example.com,+989121234567\n", `line 1: the header has no user_id column (columns: ["email" "phone"])`},
		{"unnamed column", "user_id,,email\nu1,x,y\n", "line 1: column 2 of the header has no name"},
		{"column twice", "user_id,Email,email \nu1,x,y\n", `line 1: column "email" appears twice in the header`},
		{"empty", "", "the file is empty"},
		{"header only", "user_id,email\n", "the file has a header but no users"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got := postImport(t, srv.URL, "cart", strings.NewReader(tt.csv))
			if status != http.StatusBadRequest || got.Error.Code != api.CodeInvalid || !strings.Contains(got.Error.Message, tt.want) {
				t.Errorf("import = %d %+v, want 400 invalid with %q", status, got.Error, tt.want)
			}
		})
	}
	var jobs, rows int
	if err := store.DB().Get(&jobs, `SELECT count(*) FROM jobs`); err != nil {
		t.Fatal(err)
	}
	if err := store.DB().Get(&rows, `SELECT count(*) FROM import_rows`); err != nil {
		t.Fatal(err)
	}
	if jobs != 0 || rows != 0 || len(temporal.ids) != 0 {
		t.Errorf("after refused files: %d jobs, %d import rows, %d workflows started; want none", jobs, rows, len(temporal.ids))
	}
}

// TestImportStoresRows checks what an accepted file stores: each row at the
// line it starts on, its profile as the file says it, invalid rows counted
// as processed.
func TestImportStoresRows(t *testing.T) {
	srv, store, temporal := newImportServer(t)
	createJourney(t, srv.URL, "cart")
	file := "\ufeff User_ID ,Email,First_Name,note\n" +
		"u1,sara@example.com,Sara,\"gold, yearly\"\n" +
		"u2,,\"Reza \"\"the boss\"\"\",\"two\nlines\"\n" +
		"u3,not-an-email,,\n" +
		"bad id!,,,\n" +
		"u4,,,\n"

	status, got := postImport(t, srv.URL, "cart", strings.NewReader(file))
	if status != http.StatusAccepted {
		t.Fatalf("import = %d %+v, want 202", status, got.Error)
	}
	if got.Job.Total != 5 || got.Job.Invalid != 2 || got.Job.Processed != 2 || got.Job.Status != reporting.JobRunning {
		t.Errorf("job = %+v, want 5 rows, 2 invalid and processed, running", got.Job)
	}
	if want := []string{"job/" + got.Job.ID}; !slices.Equal(temporal.ids, want) {
		t.Errorf("started %q, want %q", temporal.ids, want)
	}
	var rows []struct {
		Line    int
		UserID  string `db:"user_id"`
		Profile *string
		Outcome string
	}
	err := store.DB().Select(&rows, `SELECT line, user_id, profile::text AS profile, outcome FROM import_rows WHERE job_id = $1 ORDER BY line`, got.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line                   int
		user, profile, outcome string // profile NULL: none stored
	}{
		{2, "u1", `{"email": "sara@example.com", "attributes": {"note": "gold, yearly", "first_name": "Sara"}}`, ""},
		{3, "u2", `{"attributes": {"note": "two\nlines", "first_name": "Reza \"the boss\""}}`, ""},
		{5, "u3", "NULL", "invalid"},
		{6, "bad id!", "NULL", "invalid"},
		{7, "u4", `{}`, ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("stored %d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		if r.Line != w.line || r.UserID != w.user || deref(r.Profile) != w.profile || r.Outcome != w.outcome {
			t.Errorf("row %d = line %d %q %s %q, want line %d %q %s %q", i, r.Line, r.UserID, deref(r.Profile), r.Outcome,
				w.line, w.user, w.profile, w.outcome)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}
