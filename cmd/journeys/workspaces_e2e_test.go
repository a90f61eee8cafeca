package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"go.temporal.io/api/workflowservice/v1"

	"journeys/api"
	"journeys/reporting"
)

const testAdminKey = "test-admin-key"

// createWorkspace creates workspace id through the admin API and returns
// its first key.
func (s *stack) createWorkspace(id string) string {
	s.t.Helper()
	var w struct {
		APIKey string `json:"api_key"`
	}
	if got := s.callAs(testAdminKey, "POST", "/v1/workspaces", map[string]any{"id": id, "name": "App " + id}, &w); got != 201 {
		s.t.Fatalf("POST /v1/workspaces %s = %d, want 201", id, got)
	}
	return w.APIKey
}

// send sends a request with key and returns the status and the body.
func (s *stack) send(key, method, path, contentType, body string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// workspaceState sums up every row of workspace ws, in every table that
// has a workspace, and the history length of each of its runs, so that a
// test can tell whether anything of it changed.
func (s *stack) workspaceState(ws string) string {
	s.t.Helper()
	db := s.store.DB()
	var tables []string
	if err := db.Select(&tables, `SELECT table_name FROM information_schema.columns
		WHERE table_schema = 'public' AND column_name = 'workspace_id' ORDER BY table_name`); err != nil {
		s.t.Fatal(err)
	}
	var b strings.Builder
	for _, table := range tables {
		var sum string
		q := fmt.Sprintf(`SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\n' ORDER BY t::text)), '') FROM %q t WHERE workspace_id = $1`, table)
		if err := db.Get(&sum, q, ws); err != nil {
			s.t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%s ", table, sum)
	}
	var runs []struct {
		WorkflowID string `db:"workflow_id"`
		RunID      string `db:"run_id"`
	}
	if err := db.Select(&runs, `SELECT workflow_id, run_id FROM enrollments WHERE workspace_id = $1 ORDER BY id`, ws); err != nil {
		s.t.Fatal(err)
	}
	for _, r := range runs {
		fmt.Fprintf(&b, "%s=%d ", r.WorkflowID, s.historyLength(r.WorkflowID, r.RunID))
	}
	return b.String()
}

// isolationCase is one request of workspace B against workspace A's
// resources. Paths name A's resources with {user}, {journey}, {template}
// and {job}.
type isolationCase struct {
	path, contentType, body string
	// own is the status of a request that makes B's own resource of the
	// same id; zero means the request reaches A's resource, and must
	// answer exactly as for a resource that does not exist.
	own int
}

// TestWorkspaceIsolation walks every /v1 route the API registers with
// workspace B's key against workspace A's resources: each answers as for
// a resource that does not exist (or makes B's own), and nothing of A
// changes. Then an event for u1 in B reaches B's run of u1 only, and the
// same journey and user in two workspaces are two workflows.
func TestWorkspaceIsolation(t *testing.T) {
	s := startStack(t, func(c *config) { c.AdminKey, c.SecretKey = testAdminKey, testSecretKey })
	a, b := testKey, s.createWorkspace("shop-b") // A is the default workspace
	s.mustCallAs(a, "PUT", "/v1/channels/sms", map[string]any{"provider": "kavenegar", "settings": map[string]any{"api_key": "a-kavenegar-key", "sender": "a-line"}}, 200, nil)

	// B starts without templates; it puts its own copy.
	for _, id := range []string{"cart_offer", "cart_final_offer"} {
		s.mustCallAs(b, "PUT", "/v1/templates/"+id, map[string]any{"locale": "en", "subject": "B's offer", "body": "B: {{.Offer.Code}}"}, 200, nil)
	}
	s.mustCallAs(a, "PUT", "/v1/frequency-caps", []map[string]any{{"channel": "push", "max": 2, "per": "24h"}}, 200, nil)
	s.mustCallAs(a, "PUT", "/v1/templates/ta", map[string]any{"locale": "en", "body": "A only"}, 200, nil)
	for _, key := range []string{a, b} {
		s.mustCallAs(key, "POST", "/v1/journeys", map[string]any{"id": "cart", "name": "Cart", "type": "cart_abandonment", "goal_event": "purchase"}, 201, nil)
		s.mustCallAs(key, "PUT", "/v1/users/u1", map[string]any{"email": "u1@example.com"}, 200, nil)
		s.mustCallAs(key, "POST", "/v1/journeys/cart/enrollments", map[string]string{"user_id": "u1"}, 202, nil)
	}
	s.mustCallAs(a, "POST", "/v1/journeys", map[string]any{"id": "ja", "name": "A only", "type": "cart_abandonment", "goal_event": "purchase"}, 201, nil)
	s.mustCallAs(a, "PUT", "/v1/users/ua", map[string]any{"email": "ua@example.com"}, 200, nil)
	s.mustCallAs(a, "POST", "/v1/events", map[string]any{"event_id": "ev-a", "user_id": "ua", "name": "viewed"}, 202, nil)
	status, body := s.send(a, "POST", "/v1/journeys/ja/imports", "text/csv", "user_id\nua\n")
	var job struct {
		Job struct{ ID string } `json:"job"`
	}
	if json.Unmarshal([]byte(body), &job); status != 202 || job.Job.ID == "" {
		t.Fatalf("import into A = %d %s, want 202 with a job", status, body)
	}
	s.waitForJob(a, job.Job.ID)
	s.waitFor("ja", "ua", func(e enrollment) bool { return e.RunID != "" })

	ids := strings.NewReplacer("{user}", "ua", "{journey}", "ja", "{template}", "ta", "{job}", job.Job.ID)
	missing := strings.NewReplacer("{user}", "nobody", "{journey}", "nojourney", "{template}", "notemplate", "{job}", "imp-0000000000000000")
	// asMissing reads an answer about A's ids as one about the missing
	// ones; ids appear quoted in messages, escaped in JSON.
	asMissing := strings.NewReplacer(`\"ua\"`, `\"nobody\"`, `\"ja\"`, `\"nojourney\"`, `\"ta\"`, `\"notemplate\"`,
		`"ua"`, `"nobody"`, `"ja"`, `"nojourney"`, `"ta"`, `"notemplate"`, "/v1/templates/ta", "/v1/templates/notemplate",
		job.Job.ID, "imp-0000000000000000")
	const jsonType = "application/json"
	cases := map[string]isolationCase{
		"PUT /v1/users/:user_id":                       {path: "/v1/users/{user}", body: `{"email": "b@example.com"}`, own: 200},
		"PATCH /v1/users/:user_id":                     {path: "/v1/users/{user}", body: `{"attributes": {"tier": "gold"}}`, own: 200},
		"GET /v1/users/:user_id":                       {path: "/v1/users/{user}"},
		"GET /v1/users/:user_id/enrollments":           {path: "/v1/users/{user}/enrollments"},
		"PUT /v1/templates/:id":                        {path: "/v1/templates/{template}", body: `{"locale": "en", "body": "B's"}`, own: 200},
		"GET /v1/templates":                            {path: "/v1/templates"},
		"GET /v1/templates/:id":                        {path: "/v1/templates/{template}"},
		"GET /v1/journey-types":                        {path: "/v1/journey-types"},
		"POST /v1/journeys":                            {path: "/v1/journeys", body: `{"id": "ja", "name": "B's", "type": "cart_abandonment", "goal_event": "purchase"}`, own: 201},
		"GET /v1/journeys":                             {path: "/v1/journeys"},
		"GET /v1/journeys/:id":                         {path: "/v1/journeys/{journey}"},
		"PATCH /v1/journeys/:id":                       {path: "/v1/journeys/{journey}", body: `{"status": "stopped"}`},
		"GET /v1/journeys/:id/report":                  {path: "/v1/journeys/{journey}/report"},
		"POST /v1/journeys/:id/enrollments":            {path: "/v1/journeys/{journey}/enrollments", body: `{"user_id": "{user}"}`},
		"POST /v1/journeys/:id/enrollments/batch":      {path: "/v1/journeys/{journey}/enrollments/batch", body: `{"user_ids": ["{user}"]}`},
		"GET /v1/journeys/:id/enrollments/:user_id":    {path: "/v1/journeys/{journey}/enrollments/{user}"},
		"DELETE /v1/journeys/:id/enrollments/:user_id": {path: "/v1/journeys/{journey}/enrollments/{user}"},
		"POST /v1/journeys/:id/imports":                {path: "/v1/journeys/{journey}/imports", contentType: "text/csv", body: "user_id\n{user}\n"},
		"GET /v1/jobs/:job_id":                         {path: "/v1/jobs/{job}"},
		"POST /v1/events":                              {path: "/v1/events", body: `{"event_id": "ev-a", "user_id": "{user}", "name": "purchase"}`, own: 202},
		"POST /v1/events/batch":                        {path: "/v1/events/batch", body: `{"events": [{"event_id": "ev-a2", "user_id": "{user}", "name": "cart_emptied"}]}`, own: 200},
		"POST /v1/journeys/:id/simulate":               {path: "/v1/journeys/{journey}/simulate", body: `{"user_id": "{user}", "events": [{"name": "purchase", "after": "1h"}]}`},
		"POST /v1/templates/:id/preview":               {path: "/v1/templates/{template}/preview", body: `{"user_id": "{user}"}`},
		"GET /v1/channels":                             {path: "/v1/channels"},
		"GET /v1/channels/:channel":                    {path: "/v1/channels/sms"},
		"DELETE /v1/channels/:channel":                 {path: "/v1/channels/sms"},
		"PUT /v1/channels/:channel":                    {path: "/v1/channels/sms", body: `{"provider": "twilio", "settings": {"account_sid": "ACb", "auth_token": "b-token", "from": "+15005550006"}}`, own: 200},
		"PUT /v1/frequency-caps":                       {path: "/v1/frequency-caps", body: `[{"channel": "any", "max": 9, "per": "1h"}]`, own: 200},
		"GET /v1/frequency-caps":                       {path: "/v1/frequency-caps", own: 200},
	}

	// Every /v1 route the API registers has a case: a new route without
	// one fails here until it is added.
	routes := api.New(api.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}).(*echo.Echo).Routes()
	var walk []string
	for _, r := range routes {
		if !strings.HasPrefix(r.Path, "/v1/") || strings.HasPrefix(r.Path, "/v1/workspaces") || strings.Contains(r.Path, "*") || r.Method == echo.RouteNotFound {
			continue
		}
		name := r.Method + " " + r.Path
		if _, ok := cases[name]; !ok {
			t.Errorf("route %s has no isolation case: add one to TestWorkspaceIsolation", name)
			continue
		}
		walk = append(walk, name)
	}
	// Requests that reach A's resources first; those that make B's own
	// resources of the same ids after.
	slices.SortFunc(walk, func(x, y string) int {
		if (cases[x].own == 0) != (cases[y].own == 0) {
			if cases[x].own == 0 {
				return -1
			}
			return 1
		}
		return strings.Compare(x, y)
	})

	before := s.workspaceState(reporting.DefaultWorkspace)
	for _, name := range walk {
		c := cases[name]
		method, _, _ := strings.Cut(name, " ")
		ct := c.contentType
		if ct == "" {
			ct = jsonType
		}
		gotStatus, got := s.send(b, method, ids.Replace(c.path), ct, ids.Replace(c.body))
		switch {
		case c.own != 0:
			if gotStatus != c.own {
				t.Errorf("%s with B's key = %d %s, want %d: B's own resource", name, gotStatus, got, c.own)
			}
		default:
			wantStatus, want := s.send(b, method, missing.Replace(c.path), ct, missing.Replace(c.body))
			got = asMissing.Replace(got)
			if gotStatus != wantStatus || got != want {
				t.Errorf("%s for A's resource with B's key = %d %s; want it answered as for none: %d %s", name, gotStatus, got, wantStatus, want)
			}
			if wantStatus/100 == 2 && wantStatus != 200 {
				t.Errorf("%s for a resource that does not exist = %d, want 404 or a 200 that shows nothing", name, wantStatus)
			}
		}
		for _, leak := range []string{`"ua"`, `"ja"`, `"ta"`, job.Job.ID, "ua@example.com", "a-line", "kavenegar"} {
			if c.own == 0 && strings.Contains(got, leak) {
				t.Errorf("%s with B's key shows A's %s: %s", name, leak, got)
			}
		}
	}
	var caps []map[string]any
	if s.mustCallAs(b, "GET", "/v1/frequency-caps", nil, 200, &caps); len(caps) != 1 || caps[0]["max"] != float64(9) {
		t.Errorf("B's frequency caps = %v, want only its own", caps)
	}
	if after := s.workspaceState(reporting.DefaultWorkspace); after != before {
		t.Errorf("B's requests changed workspace A:\nbefore %s\nafter  %s", before, after)
	}

	// An event for u1 in B ends B's run of u1 only.
	aRun := s.waitFor("cart", "u1", func(e enrollment) bool { return e.RunID != "" })
	var bRun enrollment
	s.mustCallAs(b, "GET", "/v1/journeys/cart/enrollments/u1", nil, 200, &bRun)
	if aRun.WorkflowID == bRun.WorkflowID || !strings.HasPrefix(bRun.WorkflowID, "shop-b/") || !strings.HasPrefix(aRun.WorkflowID, "default/") {
		t.Errorf("cart/u1 runs are %q in A and %q in B, want two workflows named after their workspaces", aRun.WorkflowID, bRun.WorkflowID)
	}
	aHistory := s.historyLength(aRun.WorkflowID, aRun.RunID)
	s.mustCallAs(b, "POST", "/v1/events", map[string]any{"event_id": "buy-b", "user_id": "u1", "name": "purchase"}, 202, nil)
	deadline := time.Now().Add(90 * time.Second)
	for bRun.Status == "active" && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		s.mustCallAs(b, "GET", "/v1/journeys/cart/enrollments/u1", nil, 200, &bRun)
	}
	if bRun.Status != "converted" {
		t.Fatalf("B's run of u1 is %s after B's purchase, want converted", bRun.Status)
	}
	var aNow enrollment
	s.mustCallAs(a, "GET", "/v1/journeys/cart/enrollments/u1", nil, 200, &aNow)
	if aNow.Status != "active" || s.historyLength(aRun.WorkflowID, aRun.RunID) != aHistory {
		t.Errorf("A's run of u1 is %s with %d history events after B's purchase, want active with %d", aNow.Status, s.historyLength(aRun.WorkflowID, aRun.RunID), aHistory)
	}

	// Support staff find each workspace's runs by its search attribute.
	for ws, want := range map[string]string{"shop-b": bRun.WorkflowID, "default": aRun.WorkflowID} {
		got := s.runsWhere(fmt.Sprintf(`WorkspaceId = %q AND UserId = "u1"`, ws))
		if len(got) != 1 || got[0] != want {
			t.Errorf("runs of u1 in %s = %v, want [%s]", ws, got, want)
		}
	}
}

// waitForJob polls the job until it is no longer running.
func (s *stack) waitForJob(key, id string) {
	s.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var job struct {
			Job struct{ Status string } `json:"job"`
		}
		s.mustCallAs(key, "GET", "/v1/jobs/"+id, nil, 200, &job)
		if job.Job.Status != reporting.JobRunning {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("job %s still running", id)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runsWhere lists the workflow ids of the runs the visibility query finds,
// waiting a little for visibility to catch up.
func (s *stack) runsWhere(query string) []string {
	s.t.Helper()
	var ids []string
	for range 50 {
		resp, err := s.temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			s.t.Fatal(err)
		}
		ids = ids[:0]
		for _, x := range resp.GetExecutions() {
			ids = append(ids, x.GetExecution().GetWorkflowId())
		}
		if len(ids) > 0 {
			return ids
		}
		time.Sleep(200 * time.Millisecond)
	}
	return ids
}
