package api_test

import (
	"strings"
	"testing"

	"journeys/api"
	"journeys/reporting"
)

// setPhoneRegion sets the default workspace's phone region, as the back
// office does for a workspace.
func (h *harness) setPhoneRegion(region string) {
	h.t.Helper()
	h.store.DB().MustExec(`UPDATE workspaces SET phone_region = $1 WHERE id = $2`, region, reporting.DefaultWorkspace)
}

func TestPhonesAreSavedInE164(t *testing.T) {
	h := newHarness(t)
	h.setPhoneRegion("IR")
	for _, step := range []struct {
		method, user string
		body         map[string]any
		want         string
	}{
		{"PUT", "sara", map[string]any{"phone": "09121234567"}, "+989121234567"}, // local, read in IR
		{"PATCH", "sara", map[string]any{"phone": "0912 765 4321"}, "+989127654321"},
		{"PATCH", "sara", map[string]any{"locale": "fa"}, "+989127654321"}, // not sent: kept
		{"PUT", "john", map[string]any{"phone": "+1 (415) 555-2671"}, "+14155552671"},
	} {
		var u reporting.User
		h.mustCall(step.method, "/v1/users/"+step.user, step.body, 200, &u)
		if u.Phone != step.want {
			t.Errorf("%s %s %v: phone %q, want %q", step.method, step.user, step.body, u.Phone, step.want)
		}
	}

	h.setPhoneRegion("") // a workspace that has not said where its users are
	before := h.snapshot()
	for _, tt := range []struct{ phone, want string }{
		{"09121234567", `phone "09121234567" is not in international form`},
		{"call me", `phone "call me" is not a phone number`},
		{"+98 0912", "has a length no number of country code +98 has"},
		{strings.Repeat("1", 65), "phone is 65 characters long; the limit is 64"},
	} {
		var out struct{ Error api.Error }
		if got := h.call("PUT", "/v1/users/sara", map[string]any{"phone": tt.phone}, &out); got != 400 || !strings.Contains(out.Error.Message, tt.want) {
			t.Errorf("PUT phone %q = %d %q, want 400 saying %q", tt.phone, got, out.Error.Message, tt.want)
		}
	}
	if h.snapshot() != before {
		t.Error("a refused phone changed something")
	}
}
