package api_test

import (
	"encoding/json"
	"slices"
	"testing"

	"journeys/channels"
	"journeys/reporting"
)

// TestProfileUpdatesKeepUnsubscribes: a user who opted out through an
// email's link stays opted out after a profile sync that does not mention
// it, by PUT or PATCH.
func TestProfileUpdatesKeepUnsubscribes(t *testing.T) {
	h := newHarness(t)
	h.mustCall("PUT", "/v1/users/u1", map[string]any{"email": "sara@example.com", "phone": "+989121234567"}, 200, nil)

	token := channels.UnsubscribeToken(h.secret, reporting.DefaultWorkspace, "u1", channels.Email)
	if status, body := h.do("POST", "/unsubscribe/"+token, []byte("List-Unsubscribe=One-Click")); status != 200 {
		t.Fatalf("unsubscribe = %d %s", status, body)
	}
	wantEmailOff := func(step string) {
		t.Helper()
		var u reporting.User
		h.mustCall("GET", "/v1/users/u1", nil, 200, &u)
		if !slices.Equal(u.Unsubscribed, []string{"email"}) {
			t.Fatalf("after %s: unsubscribed = %q, want [email]", step, u.Unsubscribed)
		}
	}
	wantEmailOff("the link")
	h.mustCall("PUT", "/v1/users/u1", map[string]any{"email": "sara@example.com", "phone": "+989121234567"}, 200, nil)
	wantEmailOff("a PUT without unsubscribed")
	h.mustCall("PUT", "/v1/users/u1", `{"email": "sara@example.com", "unsubscribed": null}`, 200, nil)
	wantEmailOff("a PUT with unsubscribed null")
	h.mustCall("PATCH", "/v1/users/u1", map[string]any{"phone": "+989120000000"}, 200, nil)
	wantEmailOff("a PATCH without unsubscribed")

	// Sent, it is what the client says.
	var u reporting.User
	h.mustCall("PUT", "/v1/users/u1", map[string]any{"email": "sara@example.com", "unsubscribed": []string{}}, 200, &u)
	if len(u.Unsubscribed) != 0 {
		t.Errorf("after a PUT with unsubscribed []: %q, want none", u.Unsubscribed)
	}
	h.mustCall("PATCH", "/v1/users/u1", map[string]any{"unsubscribed": []string{"sms", "sms"}}, 200, &u)
	if !slices.Equal(u.Unsubscribed, []string{"sms"}) {
		t.Errorf("after a PATCH with unsubscribed [sms, sms]: %q, want [sms]", u.Unsubscribed)
	}
}

// TestPatchUser checks that PATCH changes only what it sends: contact
// fields one by one, attributes key by key (null removing one).
func TestPatchUser(t *testing.T) {
	h := newHarness(t)
	var u reporting.User
	// PATCH creates a profile that does not exist.
	h.mustCall("PATCH", "/v1/users/u1", map[string]any{"email": "sara@example.com", "timezone": "Asia/Tehran",
		"attributes": map[string]any{"first_name": "Sara", "plan": "gold", "visits": 3}}, 200, &u)
	h.mustCall("PATCH", "/v1/users/u1", `{"phone": "+989121234567", "locale": "FA-ir", "email": null,
		"attributes": {"plan": null, "visits": 4, "tags": ["a"]}}`, 200, &u)
	want := reporting.User{Email: "sara@example.com", Phone: "+989121234567", Timezone: "Asia/Tehran", Locale: "fa-IR"}
	if u.Email != want.Email || u.Phone != want.Phone || u.Timezone != want.Timezone || u.Locale != want.Locale || u.PushToken != "" {
		t.Errorf("profile = %+v, want the contact fields of %+v", u, want)
	}
	if got := attributes(t, u); got != `{"first_name":"Sara","tags":["a"],"visits":4}` {
		t.Errorf("attributes = %s, want plan removed, visits changed, tags added, first_name kept", got)
	}
	// "" clears a field; an empty PATCH changes nothing.
	h.mustCall("PATCH", "/v1/users/u1", map[string]any{"timezone": ""}, 200, &u)
	h.mustCall("PATCH", "/v1/users/u1", map[string]any{}, 200, &u)
	if u.Timezone != "" || u.Email != want.Email || attributes(t, u) != `{"first_name":"Sara","tags":["a"],"visits":4}` {
		t.Errorf("profile = %+v, want only the timezone cleared", u)
	}
	// PUT replaces the contact fields and attributes.
	h.mustCall("PUT", "/v1/users/u1", map[string]any{"phone": "+989121234567", "attributes": map[string]any{"x": 1}}, 200, &u)
	if u.Email != "" || u.Locale != "" || attributes(t, u) != `{"x":1}` {
		t.Errorf("after PUT: %+v, want email and locale cleared and attributes replaced", u)
	}
	// A refused PATCH changes nothing.
	before := h.snapshot()
	for _, body := range []string{`null`, `"x"`, `{"email": "nope"}`, `{"attributes": [1]}`, `{"unsubscribed": ["fax"]}`} {
		if status := h.call("PATCH", "/v1/users/u1", body, nil); status != 400 {
			t.Errorf("PATCH %s = %d, want 400", body, status)
		}
	}
	if h.snapshot() != before {
		t.Error("a refused PATCH changed the profile")
	}
}

func attributes(t *testing.T, u reporting.User) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(u.Attributes, &m); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	return string(b)
}
