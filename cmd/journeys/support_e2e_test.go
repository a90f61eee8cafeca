package main

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/api/workflowservice/v1"

	"journeys/reporting"
	"journeys/workflows/journey"
)

// testUIURL is the Temporal UI address the test stack links runs to.
const testUIURL = "http://127.0.0.1:8233"

// supportJourney pushes and emails two seconds apart, then waits an hour
// for the purchase: its runs stay at the email step.
func supportJourney(id, name string) map[string]any {
	j := cartJourney(id, map[string]any{"name": name})
	j["config"].(map[string]any)["final_wait"] = "1h"
	return j
}

// listRuns polls the Temporal visibility API until query finds exactly
// want (workflow ids, any order); visibility is eventually consistent.
func (s *stack) listRuns(query string, want ...string) {
	s.t.Helper()
	slices.Sort(want)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got []string
		resp, err := s.temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if err != nil {
			s.t.Fatalf("list %s: %v", query, err)
		}
		for _, e := range resp.GetExecutions() {
			got = append(got, e.GetExecution().GetWorkflowId())
		}
		slices.Sort(got)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			s.t.Errorf("%s finds %v, want %v", query, got, want)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func reached(channel string) func(enrollment) bool {
	return func(e enrollment) bool {
		return slices.Contains(e.story(), "sent:"+channel) || slices.Contains(e.story(), "skipped:"+channel)
	}
}

func TestSupportEndToEnd(t *testing.T) {
	s := startStack(t)
	s.mustCall("POST", "/v1/journeys", supportJourney("cart", "Cart 10%"), 201, nil)
	s.mustCall("POST", "/v1/journeys", supportJourney("browse", "Browse reminder"), 201, nil)
	for _, u := range []string{"u42", "u1", "u2", "u3"} {
		profile := map[string]any{"email": u + "@example.com", "push_token": "tok-" + u}
		if u == "u3" {
			delete(profile, "email")
		}
		s.mustCall("PUT", "/v1/users/"+u, profile, 200, nil)
	}
	enroll := func(journey, user string) {
		s.mustCall("POST", "/v1/journeys/"+journey+"/enrollments", map[string]string{"user_id": user}, 202, nil)
	}
	enroll("cart", "u42")
	enroll("cart", "u1")
	enroll("cart", "u2")
	enroll("browse", "u42")
	enroll("browse", "u3")
	purchase := func(user, id string) {
		s.mustCall("POST", "/v1/events", map[string]any{"event_id": id, "user_id": user, "name": "purchase"}, 202, nil)
	}

	// u1 buys at once; the others reach the email step; then u2 buys.
	purchase("u1", "p-u1")
	s.waitFor("cart", "u1", ended)
	for _, run := range [][2]string{{"cart", "u42"}, {"cart", "u2"}, {"browse", "u42"}, {"browse", "u3"}} {
		s.waitFor(run[0], run[1], reached("email"))
	}
	purchase("u2", "p-u2")
	s.waitFor("cart", "u2", ended)

	id := func(j, u string) string { return journey.WorkflowID(reporting.DefaultWorkspace, j, u) }
	s.listRuns(`UserId = "u42"`, id("cart", "u42"), id("browse", "u42"))
	s.listRuns(`WorkspaceId = "default" AND UserId = "u42"`, id("cart", "u42"), id("browse", "u42"))
	s.listRuns(`JourneyId = "cart" AND JourneyStep = "email"`, id("cart", "u42"), id("cart", "u2"))
	s.listRuns(`JourneyId = "cart" AND JourneyStep = "email" AND JourneyStatus = "active"`, id("cart", "u42"))
	s.listRuns(`JourneyId = "browse" AND JourneyStep = "email"`, id("browse", "u42"), id("browse", "u3"))
	s.listRuns(`JourneyStatus = "converted"`, id("cart", "u1"), id("cart", "u2"))
	s.listRuns(`JourneyId = "cart" AND JourneyStep = "enrolled"`, id("cart", "u1"))
	s.listRuns(`JourneyType = "cart_abandonment" AND JourneyStatus = "active"`, id("cart", "u42"), id("browse", "u42"), id("browse", "u3"))

	// The run reads without the code: the state query, the summary and
	// the current details say where it is and what it sent.
	ctx := context.Background()
	v, err := s.temporal.QueryWorkflow(ctx, id("cart", "u42"), "", journey.StateQueryName)
	if err != nil {
		t.Fatal(err)
	}
	var state journey.State
	if err := v.Get(&state); err != nil {
		t.Fatal(err)
	}
	if state.StepName != "email" || state.Step != 2 || state.Status != "active" || state.Waiting != "purchase" ||
		state.WaitUntil == nil || time.Until(*state.WaitUntil) < 50*time.Minute || len(state.Sends) != 2 {
		t.Errorf("state = %+v; want active at step 2 (email), waiting about an hour for purchase, after two sends", state)
	}
	desc, err := s.temporal.DescribeWorkflow(ctx, id("cart", "u42"), "")
	if err != nil {
		t.Fatal(err)
	}
	if summary, _ := desc.GetStaticSummary(); summary != "Cart 10% · user u42" {
		t.Errorf("summary = %q, want %q", summary, "Cart 10% · user u42")
	}
	if step, _ := desc.TypedSearchAttributes.GetKeyword(journey.JourneyStepKey); step != "email" {
		t.Errorf("JourneyStep = %q, want email", step)
	}
	v, err = s.temporal.QueryWorkflow(ctx, id("cart", "u42"), "", "__temporal_workflow_metadata")
	if err != nil {
		t.Fatal(err)
	}
	var meta sdkpb.WorkflowMetadata
	if err := v.Get(&meta); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"**Cart 10%** · user `u42` · active", "**Step:** 2 (email)", "**Now:** waiting for purchase until ", "1. push `cart_offer`: sent", "2. email `cart_offer`: sent"} {
		if !strings.Contains(meta.GetCurrentDetails(), want) {
			t.Errorf("current details lack %q:\n%s", want, meta.GetCurrentDetails())
		}
	}

	// The API links each run to the Temporal UI, and lists a user's runs.
	var e struct {
		RunID         string `json:"run_id"`
		TemporalUIURL string `json:"temporal_ui_url"`
	}
	s.mustCall("GET", "/v1/journeys/cart/enrollments/u42", nil, 200, &e)
	wantPath := "/workflows/" + url.PathEscape(id("cart", "u42")) + "/" + e.RunID + "/history"
	if !strings.HasPrefix(e.TemporalUIURL, testUIURL+"/namespaces/") || !strings.HasSuffix(e.TemporalUIURL, wantPath) {
		t.Errorf("temporal_ui_url = %q, want %s/namespaces/<namespace>%s", e.TemporalUIURL, testUIURL, wantPath)
	}
	var runs struct {
		Enrollments []struct {
			JourneyID     string `json:"journey_id"`
			Status        string `json:"status"`
			TemporalUIURL string `json:"temporal_ui_url"`
		} `json:"enrollments"`
	}
	s.mustCall("GET", "/v1/users/u42/enrollments", nil, 200, &runs)
	if len(runs.Enrollments) != 2 || runs.Enrollments[0].JourneyID != "browse" || runs.Enrollments[1].JourneyID != "cart" ||
		runs.Enrollments[0].Status != "active" || !strings.HasPrefix(runs.Enrollments[1].TemporalUIURL, testUIURL) {
		t.Errorf("u42's runs = %+v, want browse then cart, active, with links", runs.Enrollments)
	}
}
