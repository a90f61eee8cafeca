package workflows_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"journeys/channels"
	"journeys/reporting"
	"journeys/workflows"
	"journeys/workflows/journey"
	"journeys/workflows/journey/kittest"
)

const day = 24 * time.Hour

var sara = reporting.User{ID: "u1", Email: "u1@example.com", Phone: "+989120000001", PushToken: "tok-1",
	Attributes: json.RawMessage(`{"first_name":"Sara"}`)}

// cart is a cart-abandonment run of sara with the default plan.
func cart(script ...kittest.At) kittest.Journey {
	return kittest.Journey{Type: "cart_abandonment", Profile: sara, Script: script}
}

func TestCartAbandonment(t *testing.T) {
	// The purchase comes twice with the same id and counts once.
	purchase := func(after time.Duration) []kittest.At {
		ev := journey.Event{EventID: "p1", Name: "purchase"}
		return []kittest.At{kittest.Signal(after, ev), kittest.Signal(after, ev)}
	}
	tests := []struct {
		name       string
		script     []kittest.At
		wantStatus string
		wantStory  []string
	}{
		{"purchase before the first touch", purchase(3 * time.Hour), "converted",
			[]string{"enrolled", "converted"}},
		{"purchase after the first touch", purchase(day + 2*time.Hour), "converted",
			[]string{"enrolled", "sent:push", "converted:push"}},
		{"purchase after the last touch", purchase(3*day + time.Hour), "converted",
			[]string{"enrolled", "sent:push", "sent:email", "sent:sms", "converted:sms"}},
		{"never", nil, "exited",
			[]string{"enrolled", "sent:push", "sent:email", "sent:sms", "exited"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := cart(tt.script...).Run(t)
			if out.Result.Status != tt.wantStatus {
				t.Errorf("status = %q, want %q", out.Result.Status, tt.wantStatus)
			}
			if got := out.Store.Story(); !slices.Equal(got, tt.wantStory) {
				t.Errorf("story = %v, want %v", got, tt.wantStory)
			}
			if got := out.Store.Ended(kittest.EnrollmentID); got != tt.wantStatus {
				t.Errorf("enrollment ended as %q, want %q", got, tt.wantStatus)
			}
			if tt.script == nil && (out.Elapsed < 4*day || out.Elapsed > 4*day+20*time.Minute) {
				t.Errorf("exited after %s, want 4 days plus jitter", out.Elapsed)
			}
		})
	}
}

func TestCartAbandonmentSkipsMissingContact(t *testing.T) {
	j := cart()
	j.Profile.Email = ""

	out := j.Run(t)

	if got, want := out.Outbox.Channels(), []channels.Channel{"push", "sms"}; !slices.Equal(got, want) {
		t.Errorf("sent on %v, want %v", got, want)
	}
	if got, want := out.Store.Story(), []string{"enrolled", "sent:push", "skipped:email", "sent:sms", "exited"}; !slices.Equal(got, want) {
		t.Errorf("story = %v, want %v", got, want)
	}
	if got := out.Store.Entries()[2].Detail; got != "no email contact" {
		t.Errorf("skip reason = %q, want %q", got, "no email contact")
	}
}

// refusePush refuses every push as FCM refuses a dead token.
func refusePush(m channels.Message) error {
	if m.Channel == channels.Push {
		return &channels.PermanentError{Provider: "fcm", Reason: "UNREGISTERED", InvalidContact: true}
	}
	return nil
}

func TestCartAbandonmentRecordsRefusedSend(t *testing.T) {
	j := cart()
	j.Outbox = &kittest.Outbox{SendFn: refusePush}

	out := j.Run(t)

	if out.Result.Status != "exited" {
		t.Errorf("status = %q, want exited", out.Result.Status)
	}
	if got, want := out.Store.Story(), []string{"enrolled", "failed:push", "sent:email", "sent:sms", "exited"}; !slices.Equal(got, want) {
		t.Errorf("story = %v, want %v", got, want)
	}
}

func TestCartAbandonmentRetriesTransientFailure(t *testing.T) {
	calls := 0
	j := cart()
	j.Outbox = &kittest.Outbox{SendFn: func(m channels.Message) error {
		if calls++; calls == 1 {
			return &channels.TemporaryError{Provider: "fcm", Reason: "503"}
		}
		return nil
	}}

	out := j.Run(t)

	if got, want := out.Outbox.Channels(), []channels.Channel{"push", "email", "sms"}; !slices.Equal(got, want) {
		t.Errorf("sent on %v, want %v", got, want)
	}
}

func TestCartAbandonmentFallsBack(t *testing.T) {
	j := cart()
	j.Profile.PushToken = ""
	j.Config = `{"touches":[{"after":"1h","channel":"push","template":"cart_offer","fallback":"sms"}],"final_wait":"1h"}`

	out := j.Run(t)

	if got, want := out.Outbox.Channels(), []channels.Channel{"sms"}; !slices.Equal(got, want) {
		t.Errorf("sent on %v, want %v", got, want)
	}
	if sent := out.Store.Entries()[1]; sent.Kind != "sent" || sent.Channel != "sms" || sent.StepID != "push" ||
		sent.Detail != "outbox, instead of push: no push contact" {
		t.Errorf("logged %+v, want the push step sent on sms instead", sent)
	}
}

func TestCartAbandonmentSkipsDeadPushToken(t *testing.T) {
	j := cart()
	j.Outbox = &kittest.Outbox{SendFn: refusePush}
	j.Config = `{"touches":[
		{"after":"1h","channel":"push","template":"cart_offer"},
		{"after":"1h","channel":"push","template":"cart_offer","fallback":"webhook"},
		{"after":"1h","channel":"push","template":"cart_offer"}],"final_wait":"1h"}`

	out := j.Run(t)

	// Three touches on one channel get ids push, push-2 and push-3.
	if got, want := out.Store.Story(), []string{"enrolled", "failed:push", "sent:push-2", "skipped:push-3", "exited"}; !slices.Equal(got, want) {
		t.Fatalf("story = %v, want %v", got, want)
	}
	if got := out.Store.Entries()[2].Channel; got != "webhook" {
		t.Errorf("second touch went out on %q, want the webhook fallback", got)
	}
	if got := out.Store.Entries()[3].Detail; got != "push token invalid" {
		t.Errorf("skip reason = %q, want %q", got, "push token invalid")
	}
}

func TestCartAbandonmentOffersOneCode(t *testing.T) {
	j := cart()
	j.Config = `{"offer":{"discount_percent":15,"code_prefix":"BACK"}}`

	out := j.Run(t)

	sent := out.Outbox.Messages()
	if len(sent) != 3 {
		t.Fatalf("sent %d messages, want 3", len(sent))
	}
	code := sent[0].Data["offer_code"]
	if len(code) != len("BACK-")+8 || code[:5] != "BACK-" {
		t.Errorf("code = %q, want BACK- and 8 characters", code)
	}
	for _, m := range sent {
		if want := "Sara: 15% off with " + code; m.Body != want {
			t.Errorf("%s body = %q, want %q", m.Channel, m.Body, want)
		}
	}
}

func TestCartAbandonmentTouchWithoutOffer(t *testing.T) {
	j := cart()
	j.Config = `{"touches":[{"after":"1h","channel":"push","template":"reminder","offer":false}],"final_wait":"1h"}`

	out := j.Run(t)

	m := out.Outbox.Messages()
	if len(m) != 1 || m[0].Data["offer_code"] != "" || m[0].Body != "Sara: 0% off with " {
		t.Errorf("messages = %+v, want one without a code", m)
	}
}

func TestCartAbandonmentConfig(t *testing.T) {
	tests := []struct {
		config    string
		wantField string
	}{
		{`{}`, ""},
		{`{"touches":[{"after":"2s","channel":"push","template":"cart_offer"}],"final_wait":"1s"}`, ""},
		{`{"touches":[{"after":"0s","channel":"push","template":"cart_offer"}]}`, ""},
		{`{"touches":[{"after":"tomorrow","channel":"push","template":"t"}]}`, "touches[0].after"},
		{`{"touches":[{"after":"-1h","channel":"push","template":"t"}]}`, "touches[0].after"},
		{`{"touches":[{"after":"1h","channel":"fax","template":"t"}]}`, "touches[0].channel"},
		{`{"touches":[{"after":"1h","channel":"push"}]}`, "touches[0].template"},
		{`{"touches":[]}`, "touches"},
		{`{"final_wait":"-1h"}`, "final_wait"},
		{`{"final_wait":"0s"}`, "final_wait"},
		{`{"final_wait":12}`, "final_wait"},
		{`{"touches":"push"}`, "touches"},
		{`{"colour":"red"}`, "colour"},
		{`{"offer":{"discount_percent":0,"cashback_percent":100,"code_prefix":"X1"}}`, ""},
		{`{"touches":[{"after":"1h","channel":"push","template":"t","fallback":"sms"}]}`, ""},
		{`{"offer":{"discount_percent":120}}`, "offer.discount_percent"},
		{`{"offer":{"cashback_percent":-1}}`, "offer.cashback_percent"},
		{`{"offer":{"code_prefix":"cart"}}`, "offer.code_prefix"},
		{`{"offer":{"discount_percent":"ten"}}`, "offer.discount_percent"},
		{`{"touches":[{"after":"1h","channel":"push","template":"t","fallback":"push"}]}`, "touches[0].fallback"},
		{`{"touches":[{"after":"1h","channel":"push","template":"t","fallback":"fax"}]}`, "touches[0].fallback"},
		{`{"touches":[{"id":"Push 1","after":"1h","channel":"push","template":"t"}]}`, "touches[0].id"},
		{`{"touches":[{"id":"a","after":"1h","channel":"push","template":"t"},{"id":"a","after":"1h","channel":"sms","template":"t"}]}`, "touches[1].id"},
		{`{"touches":[{"after":"1h","channel":"push","template":"t","offer":{"discount_percent":101}}]}`, "touches[0].offer.discount_percent"},
		{`{"touches":[{"after":"1h","channel":"push","template":"t","condition":"user.attributes.tier =="}]}`, "touches[0].condition"},
		{`{"touches":[{"after":"1h","channel":"push","template":"t","condition":"user.id"}]}`, ""},
		{`{"touches":[{"after":"1h","channel":"push","template":"t","condition":"1 + 2"}]}`, "touches[0].condition"},
	}
	typ, _ := workflows.Lookup("cart_abandonment")
	for _, tt := range tests {
		_, err := typ.Config(json.RawMessage(tt.config))
		var cerr *journey.ConfigError
		switch {
		case tt.wantField == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tt.config, err)
		case tt.wantField != "" && !errors.As(err, &cerr):
			t.Errorf("%s: err = %v, want a ConfigError", tt.config, err)
		case tt.wantField != "" && cerr.Field != tt.wantField:
			t.Errorf("%s: field = %q, want %q (%v)", tt.config, cerr.Field, tt.wantField, err)
		}
	}
}

func TestCartAbandonmentDefaults(t *testing.T) {
	typ, _ := workflows.Lookup("cart_abandonment")
	raw, err := typ.Config(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"touches":[{"after":"24h","id":"push","channel":"push","template":"cart_offer","offer":true},{"after":"24h","id":"email","channel":"email","template":"cart_offer","offer":true},{"after":"24h","id":"sms","channel":"sms","template":"cart_final_offer","offer":true}],"final_wait":"24h","offer":{"discount_percent":10,"cashback_percent":5,"code_prefix":"CART"}}`
	if string(raw) != want {
		t.Errorf("defaults = %s\nwant %s", raw, want)
	}
	plan := typ.Plan(raw)
	if plan.FirstWait != day || !slices.Equal(plan.Templates, []string{"cart_final_offer", "cart_offer"}) || len(plan.Events) != 0 {
		t.Errorf("plan = %+v, want a first wait of a day and the two cart templates", plan)
	}
}
