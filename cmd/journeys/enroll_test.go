package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const enrollKey = "enroll-key"

// fakeAPI stands in for the two endpoints of the journeys API that enroll
// calls: POST /v1/journeys/{id}/imports and GET /v1/jobs/{id}.
type fakeAPI struct {
	t *testing.T

	// UploadFn answers an accepted upload; nil answers 202 with job imp-1
	// running.
	UploadFn func(w http.ResponseWriter, journeyID string)
	// PollFn answers the nth GET of the job, counting from 1.
	PollFn func(n int) apiJob

	mu     sync.Mutex
	bodies []string // the CSV bodies uploaded
	polls  int
}

func newFakeAPI(t *testing.T) (*fakeAPI, *httptest.Server) {
	f := &fakeAPI{t: t}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/journeys/{id}/imports", f.upload)
	mux.HandleFunc("GET /v1/jobs/{id}", f.job)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeAPI) upload(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	if got, want := r.Header.Get("Content-Type"), "text/csv"; got != want {
		f.t.Errorf("upload Content-Type = %q, want %q", got, want)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("read upload: %v", err)
	}
	if r.ContentLength != int64(len(body)) {
		f.t.Errorf("upload Content-Length = %d, body has %d bytes", r.ContentLength, len(body))
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, string(body))
	f.mu.Unlock()
	if f.UploadFn != nil {
		f.UploadFn(w, r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]apiJob{"job": {ID: "imp-1", Kind: "import", JourneyID: r.PathValue("id"), Status: "running", Total: 4}})
}

func (f *fakeAPI) job(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	if r.PathValue("id") != "imp-1" {
		writeAPIError(w, http.StatusNotFound, "not_found", "job "+r.PathValue("id")+" does not exist")
		return
	}
	f.mu.Lock()
	f.polls++
	n := f.polls
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]apiJob{"job": f.PollFn(n)})
}

func (f *fakeAPI) authorized(w http.ResponseWriter, r *http.Request) bool {
	if got, want := r.Header.Get("Authorization"), "Bearer "+enrollKey; got != want {
		writeAPIError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong API key")
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeAPIError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]map[string]string{"error": {"code": code, "message": message}})
}

// progressing answers a job of 4 users that is done on the third poll.
func progressing(n int) apiJob {
	j := apiJob{ID: "imp-1", Kind: "import", JourneyID: "cart", Status: "running", Total: 4}
	switch n {
	case 1:
		j.Processed, j.Enrolled = 1, 1
	case 2:
		j.Processed, j.Enrolled, j.AlreadyEnrolled = 3, 2, 1
	default:
		j.Status = "completed"
		j.Processed, j.Enrolled, j.AlreadyEnrolled, j.Invalid = 4, 2, 1, 1
	}
	return j
}

func enrollEnv(srv *httptest.Server) func(string) string {
	env := map[string]string{"JOURNEYS_API_URL": srv.URL, "JOURNEYS_API_KEY": enrollKey}
	return func(k string) string { return env[k] }
}

func writeCSV(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// summary parses the "name  value" lines enroll prints on stdout.
func summary(out string) map[string]string {
	m := map[string]string{}
	for line := range strings.Lines(out) {
		name, value, _ := strings.Cut(line, "  ")
		m[name] = strings.TrimSpace(value)
	}
	return m
}

const audienceCSV = `user_id,email,phone,plan
u1,sara@example.com,,gold
u2,,+989121234567,silver
"u,3",reza@example.com,,"gold, yearly"
u4,,,
`

func TestEnroll(t *testing.T) {
	api, srv := newFakeAPI(t)
	api.PollFn = progressing
	path := writeCSV(t, audienceCSV)
	var stdout, stderr bytes.Buffer

	err := run(t.Context(), []string{"enroll", "--journey", "cart", "--file", path, "--poll", "1ms"}, enrollEnv(srv), &stdout, &stderr)
	if err != nil {
		t.Fatalf("enroll: %v\nstderr:\n%s", err, stderr.String())
	}

	if len(api.bodies) != 1 || api.bodies[0] != audienceCSV {
		t.Errorf("uploaded %q, want the file as it is: %q", api.bodies, audienceCSV)
	}
	if api.polls != 3 {
		t.Errorf("polled %d times, want 3 (until completed)", api.polls)
	}
	got := summary(stdout.String())
	want := map[string]string{
		"journey": "cart", "job": "imp-1", "status": "completed", "total": "4",
		"enrolled": "2", "already enrolled": "1", "not eligible": "0", "invalid": "1",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("summary %s = %q, want %q\nstdout:\n%s", name, got[name], w, stdout.String())
		}
	}
	if _, err := time.ParseDuration(got["elapsed"]); err != nil {
		t.Errorf("summary elapsed = %q, want a duration", got["elapsed"])
	}
	if !strings.HasSuffix(got["rate"], " users/s") {
		t.Errorf("summary rate = %q, want N users/s", got["rate"])
	}
	if _, ok := got["processed"]; ok {
		t.Errorf("summary has processed = %q, want it only when it differs from total", got["processed"])
	}
	for _, w := range []string{"uploading " + path + ": 4 users", "import imp-1: 0/4 users"} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
		}
	}
}

// TestEnrollStdin reads the file from stdin, as Excel saves it: with a
// byte order mark, which the API ignores.
func TestEnrollStdin(t *testing.T) {
	api, srv := newFakeAPI(t)
	api.PollFn = progressing
	var stdout, stderr bytes.Buffer
	file := "\ufeff" + audienceCSV

	err := enrollFrom(t.Context(), []string{"--journey", "cart", "--file", "-", "--poll", "1ms"}, enrollEnv(srv),
		strings.NewReader(file), &stdout, &stderr)
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	if len(api.bodies) != 1 || api.bodies[0] != file {
		t.Errorf("uploaded %q, want %q", api.bodies, file)
	}
	if got := summary(stdout.String())["enrolled"]; got != "2" {
		t.Errorf("enrolled = %q, want 2", got)
	}
}

func TestEnrollErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string // after --journey cart --file users.csv --poll 1ms
		csv      string
		env      map[string]string // overrides
		uploadFn func(w http.ResponseWriter, journeyID string)
		pollFn   func(n int) apiJob
		want     []string // substrings of the error; "FILE" stands for the path
		stdout   string   // substring of stdout
	}{
		{
			name: "missing key",
			env:  map[string]string{"JOURNEYS_API_KEY": ""},
			want: []string{"JOURNEYS_API_KEY: required"},
		},
		{
			name: "wrong key",
			env:  map[string]string{"JOURNEYS_API_KEY": "nope"},
			want: []string{"JOURNEYS_API_KEY: missing or wrong API key"},
		},
		{
			name: "bad api url",
			env:  map[string]string{"JOURNEYS_API_URL": "127.0.0.1:8080"},
			want: []string{"JOURNEYS_API_URL: want http://host:port"},
		},
		{
			name: "api down",
			env:  map[string]string{"JOURNEYS_API_URL": "http://127.0.0.1:1"},
			want: []string{"JOURNEYS_API_URL: Post", "/v1/journeys/cart/imports"},
		},
		{
			name: "no journey",
			args: []string{"--journey", ""},
			want: []string{"--journey: required"},
		},
		{
			name: "no user_id column",
			csv:  "email,phone\nsara@example.com,+989121234567\n",
			want: []string{"FILE:1: the header has no user_id column", `"email" "phone"`},
		},
		{
			name: "row with an extra field",
			csv:  "user_id,email\nu1,sara@example.com\nu2,reza@example.com,extra\n",
			want: []string{"FILE:3: 3 fields, but the header has 2"},
		},
		{
			name: "unknown journey",
			uploadFn: func(w http.ResponseWriter, id string) {
				writeAPIError(w, http.StatusNotFound, "not_found", `journey "`+id+`" does not exist; create it with PUT /v1/journeys/`+id)
			},
			want: []string{`journey "cart" does not exist; create it with PUT /v1/journeys/cart`},
		},
		{
			name: "not json",
			uploadFn: func(w http.ResponseWriter, id string) {
				http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
			},
			want: []string{"POST /v1/journeys/cart/imports: 502 Bad Gateway: <html>bad gateway</html>"},
		},
		{
			name: "failed job",
			pollFn: func(n int) apiJob {
				j := progressing(n)
				if n == 2 {
					j.Status, j.Error = "failed", "postgres: connection refused"
				}
				return j
			},
			want:   []string{"import imp-1 failed: postgres: connection refused"},
			stdout: "status            failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, srv := newFakeAPI(t)
			api.UploadFn = tt.uploadFn
			api.PollFn = tt.pollFn
			if api.PollFn == nil {
				api.PollFn = progressing
			}
			env := map[string]string{"JOURNEYS_API_URL": srv.URL, "JOURNEYS_API_KEY": enrollKey}
			for k, v := range tt.env {
				env[k] = v
			}
			if tt.csv == "" {
				tt.csv = audienceCSV
			}
			path := writeCSV(t, tt.csv)
			args := append([]string{"--journey", "cart", "--file", path, "--poll", "1ms"}, tt.args...)
			var stdout bytes.Buffer

			err := enroll(t.Context(), args, func(k string) string { return env[k] }, &stdout, io.Discard)
			if err == nil {
				t.Fatal("enroll succeeded, want an error")
			}
			for _, w := range tt.want {
				if w = strings.ReplaceAll(w, "FILE", path); !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, stdout.String())
			}
		})
	}
}

// TestEnrollShowsLastError prints the error a job is retrying after as
// soon as the job reports it, instead of a silent 0/N, and stops showing
// it once the job moves again.
func TestEnrollShowsLastError(t *testing.T) {
	api, srv := newFakeAPI(t)
	const lastError = "line 2 (user u1): start workflow: connection refused"
	at := time.Date(2026, 3, 10, 9, 0, 3, 0, time.UTC)
	api.PollFn = func(n int) apiJob {
		j := progressing(n - 2)
		if n <= 2 {
			j = apiJob{ID: "imp-1", Status: "running", Total: 4, LastError: lastError, LastErrorAt: at.Format(time.RFC3339Nano)}
		}
		return j
	}
	path := writeCSV(t, audienceCSV)
	var stdout, stderr bytes.Buffer

	err := enroll(t.Context(), []string{"--journey", "cart", "--file", path, "--poll", "1ms"}, enrollEnv(srv), &stdout, &stderr)
	if err != nil {
		t.Fatalf("enroll: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	want := []string{
		"uploading " + path + ": 4 users for journey \"cart\"",
		"import imp-1: 0/4 users",
		"import imp-1: 0/4 users; retrying after an error at " + at.Local().Format(time.TimeOnly) + ": " + lastError,
		"import imp-1: 1/4 users (25%)", // the error is over: a line at once, without it
	}
	if len(lines) != len(want) || !slices.Equal(lines[:3], want[:3]) ||
		!strings.HasPrefix(lines[3], want[3]) || strings.Contains(lines[3], "retrying") {
		t.Errorf("stderr:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if got := summary(stdout.String())["status"]; got != "completed" {
		t.Errorf("status = %q, want completed", got)
	}

	var bar bytes.Buffer
	p := &barProgress{w: &bar}
	p.update(api.PollFn(1))
	p.stop()
	if !strings.Contains(bar.String(), "enrolling, retrying after an error at") {
		t.Errorf("bar lacks the error: %q", bar.String())
	}
}

// TestEnrollInterrupt stops waiting when ctx is done and says where to
// follow the job, which keeps running on the server.
func TestEnrollInterrupt(t *testing.T) {
	api, srv := newFakeAPI(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	api.PollFn = func(n int) apiJob {
		if n == 2 {
			cancel()
		}
		return apiJob{ID: "imp-1", Status: "running", Total: 4, Processed: 1}
	}
	path := writeCSV(t, audienceCSV)

	err := enroll(ctx, []string{"--journey", "cart", "--file", path, "--poll", "1ms"}, enrollEnv(srv), io.Discard, io.Discard)
	if err == nil {
		t.Fatal("enroll succeeded, want an error")
	}
	for _, w := range []string{"keeps running on the server", "GET /v1/jobs/imp-1", srv.URL + "/v1/jobs/imp-1"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}

func TestEnrollHelp(t *testing.T) {
	var stderr bytes.Buffer
	getenv := func(k string) string { return map[string]string{"JOURNEYS_API_KEY": "secret-key"}[k] }
	err := enroll(t.Context(), []string{"-h"}, getenv, io.Discard, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("enroll -h: %v, want flag.ErrHelp", err)
	}
	if !strings.HasPrefix(stderr.String(), "Usage: journeys enroll --journey ID --file users.csv") {
		t.Errorf("help starts %q", stderr.String())
	}
	if strings.Contains(stderr.String(), "secret-key") {
		t.Errorf("help shows the API key:\n%s", stderr.String())
	}
}

// TestEnrollCheckCSV checks files as the API would, before uploading
// them; api/import_test.go covers the rules one by one.
func TestEnrollCheckCSV(t *testing.T) {
	tests := []struct {
		name, csv string
		users     int64
		err       string // "" for none
	}{
		{name: "user_id only", csv: "user_id\nu1\nu2\n", users: 2},
		{name: "profile and attribute columns", csv: audienceCSV, users: 4},
		{name: "byte order mark", csv: "\ufeffuser_id,email\nu1,a@example.com", users: 1},
		{name: "quoted newline", csv: "user_id,note\nu1,\"two\nlines\"\nu2,x\n", users: 2},
		{name: "header in any case", csv: " User_ID ,Email\nu1,a@example.com\n", users: 1},
		{name: "empty", csv: "", err: "users.csv: the file is empty"},
		{name: "header only", csv: "user_id,email\n", err: "users.csv: the file has a header but no users"},
		{name: "no header", csv: "u1,a@example.com\n", err: `users.csv:1: the header has no user_id column (columns: ["u1" "a@example.com"])`},
		{name: "unnamed column", csv: "user_id,,email\nu1,x,y\n", err: "users.csv:1: column 2 of the header has no name"},
		{name: "duplicate column", csv: "user_id,email,email\nu1,x,y\n", err: `users.csv:1: column "email" appears twice`},
		{name: "header after blank lines", csv: "\n\nemail\nx\n", err: "users.csv:3: the header has no user_id column"},
		{name: "missing field", csv: "user_id,email\nu1,a\nu2\n", err: "users.csv:3: 1 fields, but the header has 2"},
		{name: "stray quote", csv: "user_id,email\nu1,a\"b\n", err: `users.csv:2: bare " in non-quoted-field`},
		{name: "NUL byte", csv: "user_id,first_name\nu1,Sa\x00ra\n", err: "users.csv:2: column first_name: contains a NUL byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users, err := checkCSV(strings.NewReader(tt.csv), "users.csv")
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("checkCSV: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("checkCSV error = %v, want %q", err, tt.err)
			case tt.err == "" && users != tt.users:
				t.Errorf("checkCSV = %d users, want %d", users, tt.users)
			}
		})
	}
}

// TestEnrollBar draws the terminal bar into a buffer.
func TestEnrollBar(t *testing.T) {
	var buf bytes.Buffer
	p := &barProgress{w: &buf}
	for n := 1; n <= 3; n++ {
		p.update(progressing(n))
	}
	p.stop()
	out := buf.String()
	for _, w := range []string{"enrolling", "4/4", "users/s"} {
		if !strings.Contains(out, w) {
			t.Errorf("bar lacks %q: %q", w, out)
		}
	}
	if !strings.HasSuffix(out, "\n") {
		t.Errorf("bar does not end its line: %q", out)
	}
}
