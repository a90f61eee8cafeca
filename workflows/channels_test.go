package workflows

import (
	"encoding/json"
	"strings"
	"testing"

	"journeys/channels"
)

func TestCartAbandonmentFallsBack(t *testing.T) {
	noPush := fullContact
	noPush.PushToken = ""
	store, box := newMemStore(noPush), &outbox{}
	in := cartInput()
	in.Config = json.RawMessage(`{"touches":[{"after":"1h","channel":"push","template":"cart_offer","fallback":"sms"}],"final_wait":"1h"}`)

	execute(t, store, box, in)

	if got, want := box.channels(), []channels.Channel{"sms"}; !equal(got, want) {
		t.Errorf("sent on %v, want %v", got, want)
	}
	sent := store.entries[1]
	if sent.Kind != "sent" || sent.Channel != "sms" || !strings.Contains(sent.Detail, "instead of push: no push contact") {
		t.Errorf("logged %+v, want sent on sms instead of push", sent)
	}
}

// refusePush refuses every push as FCM refuses a dead token.
func refusePush(m channels.Message) error {
	if m.Channel == channels.Push {
		return &channels.PermanentError{Provider: "fcm", Reason: "UNREGISTERED", InvalidContact: true}
	}
	return nil
}

func TestCartAbandonmentSkipsDeadPushToken(t *testing.T) {
	store := newMemStore(fullContact)
	box := &outbox{SendFn: refusePush}
	in := cartInput()
	in.Config = json.RawMessage(`{"touches":[
		{"after":"1h","channel":"push","template":"cart_offer"},
		{"after":"1h","channel":"push","template":"cart_offer","fallback":"webhook"},
		{"after":"1h","channel":"push","template":"cart_offer"}],"final_wait":"1h"}`)

	execute(t, store, box, in)

	if got, want := store.kinds(), []string{"enrolled", "failed", "sent", "skipped", "exited"}; !equal(got, want) {
		t.Fatalf("log = %v, want %v", got, want)
	}
	if got := store.entries[2].Channel; got != "webhook" {
		t.Errorf("second touch went out on %q, want the webhook fallback", got)
	}
	if got := store.entries[3].Detail; got != "push token invalid" {
		t.Errorf("skip reason = %q, want %q", got, "push token invalid")
	}
}

func TestCartAbandonmentOffersOneCode(t *testing.T) {
	store, box := newMemStore(fullContact), &outbox{}
	in := cartInput()
	in.Config = json.RawMessage(`{"offer":{"discount_percent":15,"code_prefix":"BACK"}}`)

	execute(t, store, box, in)

	if len(box.sent) != 3 {
		t.Fatalf("sent %d messages, want 3", len(box.sent))
	}
	code := box.sent[0].Data["offer_code"]
	if !strings.HasPrefix(code, "BACK-") || len(code) != len("BACK-")+8 {
		t.Errorf("code = %q, want BACK- and 8 characters", code)
	}
	for _, m := range box.sent {
		if want := "Sara: 15% off with " + code; m.Body != want {
			t.Errorf("%s body = %q, want %q", m.Channel, m.Body, want)
		}
	}
}
