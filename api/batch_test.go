package api_test

import (
	"strings"
	"testing"
)

// TestEventBatchRefusesOnlyInvalidEvents: in a batch, an event that can
// never be stored is refused as invalid, with the reason, and never told to
// retry; the others are stored.
func TestEventBatchRefusesOnlyInvalidEvents(t *testing.T) {
	h := newHarness(t)
	h.seed()
	body := `{"events": [
		{"event_id": "bad-1", "user_id": "u1", "name": "purchase", "properties": {"note": "a\u0000b"}},
		{"event_id": "ok-1", "user_id": "u1", "name": "purchase", "properties": {"revenue": 12}},
		{"event_id": "bad-2", "user_id": "u1", "name": "purchase", "properties": {"revenue": 1e308}},
		{"event_id": "bad-3", "user_id": 7, "name": "purchase"},
		"purchase",
		{"event_id": "bad-5", "user_id": "u1", "name": "` + "\xff" + `"},
		{"event_id": "ok-2", "user_id": "u2", "name": "add_to_cart"}]}`
	var out struct {
		Results []struct {
			EventID string `json:"event_id"`
			Error   *struct{ Code, Message string }
			Entries []struct{ JourneyID, Outcome string } `json:"entries"`
		}
	}
	h.mustCall("POST", "/v1/events/batch", body, 200, &out)
	want := []struct{ eventID, message string }{
		{"bad-1", "properties.note contains a NUL character"},
		{"ok-1", ""},
		{"bad-2", "properties.revenue must be a number from 0 to 1000000000000"},
		{"bad-3", "user_id must be a string, not a number"},
		{"", "the event must be a JSON object ({...}), not a string"},
		{"bad-5", "name is not valid UTF-8"},
		{"ok-2", ""},
	}
	if len(out.Results) != len(want) {
		t.Fatalf("%d results, want %d", len(out.Results), len(want))
	}
	for i, w := range want {
		r := out.Results[i]
		switch {
		case r.EventID != w.eventID:
			t.Errorf("results[%d].event_id = %q, want %q", i, r.EventID, w.eventID)
		case w.message == "" && r.Error != nil:
			t.Errorf("results[%d] (%s): error %+v, want none", i, w.eventID, r.Error)
		case w.message != "" && (r.Error == nil || r.Error.Code != "invalid" || !strings.Contains(r.Error.Message, w.message)):
			t.Errorf("results[%d] (%s): error %+v, want invalid: %s", i, w.eventID, r.Error, w.message)
		case r.Error != nil && strings.Contains(r.Error.Message, "retry"):
			t.Errorf("results[%d] (%s): %q tells the client to retry what cannot succeed", i, w.eventID, r.Error.Message)
		}
	}
	if len(out.Results[6].Entries) != 1 || out.Results[6].Entries[0].Outcome != "enrolled" {
		t.Errorf("ok-2 entries = %+v, want enrolled in cart", out.Results[6].Entries)
	}
	var stored []string
	if err := h.store.DB().Select(&stored, `SELECT event_id FROM events ORDER BY event_id`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(stored, ",") != "ok-1,ok-2" {
		t.Errorf("stored events = %v, want ok-1 and ok-2", stored)
	}
}

// TestEnrollmentBatchRefusesOnlyInvalidIDs: an id that is not a valid id,
// or not a string at all, is invalid; the others enroll.
func TestEnrollmentBatchRefusesOnlyInvalidIDs(t *testing.T) {
	h := newHarness(t)
	h.seed()
	var out struct {
		Results []struct {
			UserID  string `json:"user_id"`
			Outcome string `json:"outcome"`
			Error   string `json:"error"`
		}
	}
	h.mustCall("POST", "/v1/journeys/cart/enrollments/batch", `{"user_ids": ["u1", 42, "a/b", {"id": "u3"}, "u2"]}`, 200, &out)
	for body, want := range map[string]string{
		`{"user_ids": "u1"}`:                   "user_ids must be an array, not a string",
		`{"user_ids": ["u1"], "journey": "x"}`: `unknown field "journey"`,
		`{"users": ["u1"]}`:                    `unknown field "users"`,
		`{}`:                                   "user_ids must list 1 to 1000 users, not 0",
	} {
		var e apiError
		if status := h.call("POST", "/v1/journeys/cart/enrollments/batch", body, &e); status != 400 || !strings.Contains(e.Error.Message, want) {
			t.Errorf("POST %s = %d %q, want 400 %q", body, status, e.Error.Message, want)
		}
	}
	want := []struct{ userID, outcome, message string }{
		{"u1", "enrolled", ""},
		{"", "invalid", "user_ids[1] must be a string, not a number"},
		{"a/b", "invalid", `user_id "a/b" must be 1 to 128 letters`},
		{"", "invalid", "user_ids[3] must be a string, not an object"},
		{"u2", "enrolled", ""},
	}
	if len(out.Results) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(out.Results), len(want), out.Results)
	}
	for i, w := range want {
		r := out.Results[i]
		if r.UserID != w.userID || r.Outcome != w.outcome || !strings.Contains(r.Error, w.message) {
			t.Errorf("results[%d] = %+v, want %s %s %q", i, r, w.userID, w.outcome, w.message)
		}
	}
}
