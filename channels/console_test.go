package channels

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestConsoleLogsNoContactsOrCodes checks that the console sender's log
// says which message was due, never to whom or with which offer code.
func TestConsoleLogsNoContactsOrCodes(t *testing.T) {
	var log bytes.Buffer
	c := &Console{Log: slog.New(slog.NewTextHandler(&log, nil))}
	secrets := []string{"sara@example.com", "+989121234567", "fcm-token-123", "CART-7KQ2M4XA", "Sara"}
	for i, to := range secrets[:3] {
		m := Message{
			Channel: []Channel{Email, SMS, Push}[i], IdempotencyKey: "journey/cart/user/u42/1/2", UserID: "u42", To: to,
			Title: "Sara, your cart", Subject: "10% off with CART-7KQ2M4XA", Body: "Sara, use CART-7KQ2M4XA",
			HTML: "<p>Sara, use CART-7KQ2M4XA</p>", Unsubscribe: "https://journeys.example/unsubscribe/tok",
			Data: map[string]string{"journey_id": "cart", "template": "cart_offer", "offer_code": "CART-7KQ2M4XA"},
		}
		r, err := c.Send(t.Context(), m)
		if err != nil || r.ID != m.IdempotencyKey {
			t.Errorf("send: %+v, %v; want it acknowledged under its idempotency key", r, err)
		}
	}
	out := log.String()
	for _, want := range []string{"channel=email", "channel=sms", "channel=push", "template=cart_offer", "journey_id=cart",
		"idempotency_key=journey/cart/user/u42/1/2", "user_id=u42"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %s:\n%s", want, out)
		}
	}
	for _, secret := range append(secrets, "unsubscribe/tok") {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
}
