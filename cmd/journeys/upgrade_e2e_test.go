package main

import (
	"context"
	"encoding/json"

	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"

	"journeys/activities"
	"journeys/reporting/dbtest"
	"journeys/workflows/journey"
)

// lastSingleTenant is the last migration of the release before workspaces.
const lastSingleTenant = 11

// TestUpgradeToWorkspaces starts from a single-tenant deployment: its
// schema, a journey, users and runs started the way that release started
// them (workflow ids without a workspace, no workspace header). After the
// migration, with the old JOURNEYS_API_KEY, everything is the default
// workspace's and works: the runs started before take events and removal
// under their old ids, users enter anew under the new ids, and the report
// counts both.
func TestUpgradeToWorkspaces(t *testing.T) {
	ctx := context.Background()
	store, dbURL := dbtest.NewAt(t, lastSingleTenant)
	db := store.DB()
	db.MustExec(`INSERT INTO journeys (id, name, type, goal_event, config) VALUES ('cart', 'Cart', 'cart_abandonment', 'purchase', '{}')`)
	db.MustExec(`INSERT INTO journey_versions (journey_id, version, config) VALUES ('cart', 1, '{}')`)
	db.MustExec(`INSERT INTO users (id, email) VALUES ('u1', 'u1@example.com'), ('u2', 'u2@example.com')`)

	ts := temporaltest.NewServer(temporaltest.WithT(t))
	old := ts.GetDefaultClient() // the old release's client: no workspace propagator
	if err := registerSearchAttributes(ctx, old, ts.GetDefaultNamespace()); err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"u1", "u2"} {
		workflowID := "journey/cart/user/" + user
		var id int64
		var enrolledAt time.Time
		err := db.QueryRow(`
			WITH e AS (INSERT INTO enrollments (journey_id, user_id, workflow_id) VALUES ('cart', $1, $2) RETURNING id, enrolled_at, journey_id, user_id)
			, l AS (INSERT INTO journey_events (enrollment_id, journey_id, user_id, step, kind, at) SELECT id, journey_id, user_id, 0, 'enrolled', enrolled_at FROM e)
			SELECT id, enrolled_at FROM e`, user, workflowID).Scan(&id, &enrolledAt)
		if err != nil {
			t.Fatal(err)
		}
		in := journey.Input{Kit: journey.Kit2, JourneyID: "cart", JourneyName: "Cart", JourneyType: "cart_abandonment", UserID: user,
			EnrollmentID: id, EnrolledAt: enrolledAt, GoalEvent: "purchase", Version: 1, Config: json.RawMessage(`{}`)}
		run, err := old.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: workflowID, TaskQueue: journey.TaskQueue, TypedSearchAttributes: journey.StartAttributes(in),
			Memo: map[string]any{activities.EnrollmentMemo: id},
		}, "CartAbandonment", in)
		if err != nil {
			t.Fatal(err)
		}
		db.MustExec(`UPDATE enrollments SET run_id = $2 WHERE id = $1`, id, run.GetRunID())
	}

	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate a single-tenant database: %v", err)
	}
	s := newStackOn(t, ts, store, dbURL)

	// The journey, the users and the shipped templates are the default
	// workspace's, read with the old key.
	s.mustCall("GET", "/v1/journeys/cart", nil, 200, nil)
	s.mustCall("GET", "/v1/users/u1", nil, 200, nil)
	s.mustCall("GET", "/v1/templates/cart_offer", nil, 200, nil)

	// A run started before takes its user's events under its old id...
	u1 := s.waitFor("cart", "u1", func(e enrollment) bool { return e.RunID != "" })
	if u1.WorkflowID != "journey/cart/user/u1" {
		t.Fatalf("u1's run is %q, want its old id", u1.WorkflowID)
	}
	s.mustCall("POST", "/v1/events", map[string]any{"event_id": "buy-1", "user_id": "u1", "name": "purchase"}, 202, nil)
	if e := s.waitFor("cart", "u1", ended); e.Status != "converted" {
		t.Errorf("u1 after purchase: %s %v, want converted", e.Status, e.story())
	}
	// ...and removal.
	s.mustCall("DELETE", "/v1/journeys/cart/enrollments/u2", nil, 202, nil)
	if e := s.waitFor("cart", "u2", ended); e.Status != "removed" {
		t.Errorf("u2 after removal: %s %v, want removed", e.Status, e.story())
	}

	// New runs get the workspace in their id; u1 enters again beside its
	// old, converted run.
	for _, user := range []string{"u1", "u3"} {
		var e enrollment
		s.mustCall("POST", "/v1/journeys/cart/enrollments", map[string]string{"user_id": user}, 202, &e)
		if want := "default/journey/cart/user/" + user; e.WorkflowID != want {
			t.Errorf("new run of %s is %q, want %q", user, e.WorkflowID, want)
		}
	}
	if got := s.runsWhere(`WorkspaceId = "default" AND UserId = "u3"`); len(got) != 1 {
		t.Errorf("runs of u3 with WorkspaceId default = %v, want one", got)
	}

	// The report counts the runs of both releases.
	var r struct {
		Enrolled  int `json:"enrolled"`
		Converted int `json:"converted"`
		Removed   int `json:"removed"`
	}
	day := time.Now().UTC().Format(time.DateOnly)
	s.mustCall("GET", "/v1/journeys/cart/report?from="+day+"&to="+day, nil, 200, &r)
	if r.Enrolled != 4 || r.Converted != 1 || r.Removed != 1 {
		t.Errorf("report = %+v, want 4 enrolled, 1 converted, 1 removed", r)
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM journey_stats WHERE workspace_id <> 'default'`); err != nil || n != 0 {
		t.Errorf("%d rollup rows outside the default workspace (%v), want none", n, err)
	}
}
