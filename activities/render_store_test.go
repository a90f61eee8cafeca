package activities_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"journeys/activities"
	"journeys/channels"
	"journeys/reporting"
	"journeys/reporting/dbtest"
)

// TestSeededTemplatesPass checks the copy the service ships with against
// the rules templates are saved under.
func TestSeededTemplatesPass(t *testing.T) {
	store, _ := dbtest.New(t)
	ts, err := store.Templates(dbtest.Ctx(), "")
	if err != nil {
		t.Fatal(err)
	}
	// cart_abandonment's, welcome_series' and winback's, in en and fa.
	if len(ts) != 16 {
		t.Fatalf("%d seeded templates, want 16", len(ts))
	}
	for _, tm := range ts {
		if err := activities.CheckTemplate(tm); err != nil {
			t.Errorf("seeded %s (%s): %v", tm.ID, tm.Locale, err)
		}
	}
}

// cartList is a template that lists the user's cart, which is short for
// most users and past the limit of a render for a few.
var cartList = reporting.Template{ID: "cart_offer", Locale: "en",
	Body: "{{range .User.cart}}{{.name}}: {{.note}}\n{{end}}Use code {{.Offer.Code}}."}

// cart returns attributes with n items in the cart, each noted at length.
func cart(n, noteBytes int) json.RawMessage {
	items := make([]map[string]string, n)
	for i := range items {
		items[i] = map[string]string{"name": fmt.Sprintf("item %d", i), "note": strings.Repeat("n", noteBytes)}
	}
	raw, _ := json.Marshal(map[string]any{"cart": items})
	return raw
}

// TestSendFailsPastRenderLimit sends a template that renders for one user
// and is too long for another: that one send fails, for good, naming the
// template and the limit, and the other goes out.
func TestSendFailsPastRenderLimit(t *testing.T) {
	box := &outbox{}
	s := newSendEnv(t, map[channels.Channel]activities.Sender{channels.Email: box})
	if err := activities.CheckTemplate(cartList); err != nil {
		t.Fatalf("CheckTemplate = %v, want it saved", err)
	}
	if _, err := s.store.PutTemplate(dbtest.Ctx(), cartList); err != nil {
		t.Fatal(err)
	}

	res, err := s.send(reporting.User{ID: "few", Email: "few@example.com", Attributes: cart(3, 100)}, "email", "")
	if err != nil || res.Outcome != activities.Sent || !strings.HasPrefix(box.sent[0].Body, "item 0: nnn") {
		t.Fatalf("send to a short cart = %+v, %v", res, err)
	}
	_, err = s.send(reporting.User{ID: "many", Email: "many@example.com", Attributes: cart(100, 1000)}, "email", "")
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.NonRetryable() || appErr.Message() != "template cart_offer (en): body is longer than 64 KiB" {
		t.Errorf("send to a long cart = %v, want a non-retryable: template cart_offer (en): body is longer than 64 KiB", err)
	}
	if len(box.sent) != 1 {
		t.Errorf("%d messages went out, want 1", len(box.sent))
	}
}

// TestRenderLimitInTimeline runs a journey whose first touch is too long
// for the user: the timeline says why that send failed, and the journey
// goes on to its next touch.
func TestRenderLimitInTimeline(t *testing.T) {
	store, _ := dbtest.New(t)
	if _, err := store.PutTemplate(dbtest.Ctx(), cartList); err != nil {
		t.Fatal(err)
	}
	putUser(t, store, reporting.User{ID: "u1", Attributes: cart(100, 1000)})
	enrollmentID := enroll(t, store, "cart", "u1")
	receiver := runCart(t, store, enrollmentID, false, `{"touches":[{"after":"1h","channel":"webhook","template":"cart_offer"},
		{"after":"1h","channel":"webhook","template":"cart_final_offer"}],"final_wait":"1h"}`)

	timeline, err := store.Timeline(dbtest.Ctx(), enrollmentID)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(timeline, func(a, b reporting.Entry) int { return a.Step - b.Step })
	var got []string
	for _, e := range timeline {
		if e.Kind == reporting.KindFailed || e.Kind == reporting.KindSent {
			got = append(got, fmt.Sprintf("%d %s %s: %s", e.Step, e.Kind, e.Template, e.Detail))
		}
	}
	want := []string{
		"1 failed cart_offer: template cart_offer (en): body is longer than 64 KiB",
		"2 sent cart_final_offer: webhook",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("timeline = %q, want %q", got, want)
	}
	if n := len(receiver.Received()); n != 1 {
		t.Errorf("the receiver got %d messages, want 1", n)
	}
}
