package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// cartJourney is a cart-abandonment journey with second-long waits plus the
// given lifecycle settings.
func cartJourney(id string, extra map[string]any) map[string]any {
	j := map[string]any{
		"id": id, "name": "Cart " + id, "type": "cart_abandonment", "goal_event": "purchase",
		"config": map[string]any{
			"touches": []map[string]string{
				{"after": "2s", "channel": "push", "template": "cart_offer"},
				{"after": "2s", "channel": "email", "template": "cart_offer"},
			},
			"final_wait": "2s",
		},
	}
	for k, v := range extra {
		j[k] = v
	}
	return j
}

// longJourney waits a day before its first touch, so its runs stay active.
func longJourney(id string, extra map[string]any) map[string]any {
	j := cartJourney(id, extra)
	j["config"] = map[string]any{"touches": []map[string]string{{"after": "24h", "channel": "push", "template": "cart_offer"}}}
	return j
}

type eventAnswer struct {
	Duplicate bool `json:"duplicate"`
	Signalled int  `json:"signalled"`
	Entries   []struct {
		JourneyID string `json:"journey_id"`
		Outcome   string `json:"outcome"`
		Reason    string `json:"reason"`
	} `json:"entries"`
}

func (s *stack) event(id, user, name string) eventAnswer {
	s.t.Helper()
	var out eventAnswer
	s.mustCall("POST", "/v1/events", map[string]any{"event_id": id, "user_id": user, "name": name}, 202, &out)
	return out
}

func (a eventAnswer) outcome(journeyID string) string {
	for _, e := range a.Entries {
		if e.JourneyID == journeyID {
			return e.Outcome
		}
	}
	return "none"
}

func TestEntryByEvent(t *testing.T) {
	s := startStack(t)
	s.mustCall("POST", "/v1/journeys", cartJourney("cart", map[string]any{
		"entry_event": "add_to_cart", "exit_events": []string{"cart_emptied"}, "reentry": "after_exit",
	}), 201, nil)
	s.mustCall("PUT", "/v1/users/u1", map[string]any{"push_token": "tok", "email": "u1@example.com"}, 200, nil)

	if got := s.event("a1", "u1", "add_to_cart").outcome("cart"); got != "enrolled" {
		t.Fatalf("first add_to_cart: %s, want enrolled", got)
	}
	again := s.event("a1", "u1", "add_to_cart")
	if !again.Duplicate || again.outcome("cart") != "enrolled" {
		t.Errorf("same event again = %+v, want a duplicate reporting the first outcome", again)
	}
	if got := s.event("a2", "u1", "add_to_cart").outcome("cart"); got != "already_enrolled" {
		t.Errorf("second add_to_cart while active: %s, want already_enrolled", got)
	}

	if got := s.event("c1", "u1", "cart_emptied").Signalled; got != 1 {
		t.Errorf("cart_emptied reached %d runs, want 1", got)
	}
	e := s.waitFor("cart", "u1", ended)
	if e.Status != "exited" || e.ExitReason != "cart_emptied" {
		t.Errorf("after cart_emptied: %s (%s), want exited (cart_emptied)", e.Status, e.ExitReason)
	}
	if len(e.Timeline) == 0 || !strings.Contains(e.Timeline[0].Detail, "add_to_cart") {
		t.Errorf("timeline %+v does not say the run entered on add_to_cart", e.Timeline)
	}

	// after_exit: a new cart is a new run.
	if got := s.event("a3", "u1", "add_to_cart").outcome("cart"); got != "enrolled" {
		t.Errorf("add_to_cart after the run ended: %s, want enrolled", got)
	}
	if next := s.waitFor("cart", "u1", func(e enrollment) bool { return true }); next.RunID == e.RunID || next.Status != "active" {
		t.Errorf("re-entry run = %s %s, want a new active run", next.RunID, next.Status)
	}
}

func TestReentryRules(t *testing.T) {
	s := startStack(t)
	for _, rule := range []string{"never", "after_exit", "1h", "3s"} {
		id := "r-" + strings.ReplaceAll(rule, "_", "-")
		s.mustCall("POST", "/v1/journeys", longJourney(id, map[string]any{"reentry": rule, "entry_event": "enter_" + id}), 201, nil)
		s.mustCall("POST", "/v1/journeys/"+id+"/enrollments", map[string]string{"user_id": "u1"}, 202, nil)
		s.mustCall("DELETE", "/v1/journeys/"+id+"/enrollments/u1", nil, 202, nil)
		s.waitFor(id, "u1", ended)
	}

	var refused struct {
		Error struct{ Code, Message string }
	}
	if got := s.call("POST", "/v1/journeys/r-never/enrollments", map[string]string{"user_id": "u1"}, &refused); got != 409 || !strings.Contains(refused.Error.Message, "never") {
		t.Errorf("never: %d %+v, want 409 naming the rule", got, refused)
	}
	if got := s.event("e1", "u1", "enter_r-never").outcome("r-never"); got != "not_eligible" {
		t.Errorf("never, by event: %s, want not_eligible", got)
	}
	s.mustCall("POST", "/v1/journeys/r-after-exit/enrollments", map[string]string{"user_id": "u1"}, 202, nil)
	if got := s.call("POST", "/v1/journeys/r-1h/enrollments", map[string]string{"user_id": "u1"}, &refused); got != 409 || !strings.Contains(refused.Error.Message, "cool-down of 1h") {
		t.Errorf("1h: %d %+v, want 409 naming the cool-down", got, refused)
	}
	if got := s.call("POST", "/v1/journeys/r-3s/enrollments", map[string]string{"user_id": "u1"}, nil); got != 409 {
		t.Errorf("3s right away: %d, want 409", got)
	}
	deadline := time.Now().Add(30 * time.Second)
	for s.call("POST", "/v1/journeys/r-3s/enrollments", map[string]string{"user_id": "u1"}, nil) != 202 {
		if time.Now().After(deadline) {
			t.Fatal("3s cool-down never ended")
		}
		time.Sleep(250 * time.Millisecond)
	}
}

type job struct {
	ID              string `json:"id"`
	Status          string `json:"status"`
	Total           int    `json:"total"`
	Processed       int    `json:"processed"`
	Enrolled        int    `json:"enrolled"`
	AlreadyEnrolled int    `json:"already_enrolled"`
	Invalid         int    `json:"invalid"`
}

// waitJob polls a job until it is no longer running.
func (s *stack) waitJob(id string, within time.Duration) job {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var out struct{ Job job }
		s.mustCall("GET", "/v1/jobs/"+id, nil, 200, &out)
		if out.Job.Status != "running" {
			return out.Job
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("job %s still running: %+v", id, out.Job)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestBatchEnrollmentAndStop(t *testing.T) {
	s := startStack(t)
	s.mustCall("POST", "/v1/journeys", longJourney("big", nil), 201, nil)

	const n = 300
	ids := make([]string, 0, n+2)
	for i := range n {
		ids = append(ids, fmt.Sprintf("u%03d", i))
	}
	ids = append(ids, "u000", "not/valid")
	var batch struct {
		Results []struct{ UserID, Outcome string }
	}
	s.mustCall("POST", "/v1/journeys/big/enrollments/batch", map[string]any{"user_ids": ids}, 200, &batch)
	counts := map[string]int{}
	for _, r := range batch.Results {
		counts[r.Outcome]++
	}
	if counts["enrolled"] != n || counts["already_enrolled"] != 1 || counts["invalid"] != 1 {
		t.Errorf("batch outcomes = %v, want %d enrolled, 1 already_enrolled, 1 invalid", counts, n)
	}

	s.mustCall("PATCH", "/v1/journeys/big", map[string]string{"status": "paused"}, 200, nil)
	if got := s.call("POST", "/v1/journeys/big/enrollments", map[string]string{"user_id": "late"}, nil); got != 409 {
		t.Errorf("enroll into a paused journey: %d, want 409", got)
	}

	var stop struct {
		Job job
	}
	s.mustCall("PATCH", "/v1/journeys/big", map[string]string{"status": "stopped"}, 202, &stop)
	if stop.Job.Total != n {
		t.Errorf("stop job total = %d, want %d", stop.Job.Total, n)
	}
	if j := s.waitJob(stop.Job.ID, 2*time.Minute); j.Status != "completed" || j.Processed != n {
		t.Errorf("stop job = %+v, want completed over %d runs", j, n)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var active int
		if err := s.store.DB().Get(&active, `SELECT count(*) FROM enrollments WHERE journey_id = 'big' AND status <> 'removed'`); err != nil {
			t.Fatal(err)
		}
		if active == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d runs not removed", active)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if e := s.waitFor("big", "u042", ended); e.Status != "removed" {
		t.Errorf("u042 = %s, want removed", e.Status)
	}
	if got := s.call("PATCH", "/v1/journeys/big", map[string]string{"status": "active"}, nil); got != 409 {
		t.Errorf("restart a stopped journey: %d, want 409", got)
	}
}

func TestEventsBatch(t *testing.T) {
	s := startStack(t)
	s.mustCall("POST", "/v1/journeys", longJourney("cart", map[string]any{"entry_event": "add_to_cart"}), 201, nil)

	var out struct {
		Results []struct {
			EventID   string
			Duplicate bool
			Entries   []struct{ Outcome string }
			Error     *struct{ Code, Message string }
		}
	}
	s.mustCall("POST", "/v1/events/batch", map[string]any{"events": []map[string]any{
		{"event_id": "b1", "user_id": "u1", "name": "add_to_cart"},
		{"event_id": "b2", "user_id": "u1", "name": "purchase"},
		{"event_id": "b3", "user_id": "bad/id", "name": "add_to_cart"},
		{"event_id": "b1", "user_id": "u1", "name": "add_to_cart"},
	}}, 200, &out)
	r := out.Results
	if len(r) != 4 || len(r[0].Entries) != 1 || r[0].Entries[0].Outcome != "enrolled" {
		t.Fatalf("results = %+v", r)
	}
	if r[2].Error == nil || r[2].Error.Code != "invalid" {
		t.Errorf("bad user id: %+v, want an invalid error", r[2])
	}
	if !r[3].Duplicate {
		t.Errorf("repeated b1: %+v, want duplicate", r[3])
	}
	if e := s.waitFor("cart", "u1", ended); e.Status != "converted" {
		t.Errorf("u1 = %s, want converted by b2", e.Status)
	}
}

// TestEventsReachRunsInTheirFirstWait checks that a run whose journey
// starts with a day's wait, which Temporal holds until then, still takes a
// purchase or a removal at once.
func TestEventsReachRunsInTheirFirstWait(t *testing.T) {
	s := startStack(t)
	s.mustCall("POST", "/v1/journeys", longJourney("long", nil), 201, nil)
	for _, u := range []string{"buyer", "leaver"} {
		s.mustCall("POST", "/v1/journeys/long/enrollments", map[string]string{"user_id": u}, 202, nil)
	}
	if a := s.event("p1", "buyer", "purchase"); a.Signalled != 1 {
		t.Errorf("purchase signalled %d runs, want 1", a.Signalled)
	}
	s.mustCall("DELETE", "/v1/journeys/long/enrollments/leaver", nil, 202, nil)

	if e := s.waitFor("long", "buyer", ended); e.Status != "converted" || fmt.Sprint(e.story()) != "[enrolled converted]" {
		t.Errorf("buyer: %s %v, want converted before any send", e.Status, e.story())
	}
	if e := s.waitFor("long", "leaver", ended); e.Status != "removed" {
		t.Errorf("leaver: %s, want removed", e.Status)
	}
}
