package channels

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"journeys/channels/channelstest"
)

func TestHook(t *testing.T) {
	rcv := channelstest.NewWebhook(t, "shh")
	h, err := NewHook(HookConfig{URL: rcv.URL + "/journeys", Secret: "shh", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		to         string
		want       outcome
		retryAfter time.Duration
		id         string
	}{
		{"ok", delivered, 0, "r-1"},
		{"empty", delivered, 0, "key-empty"},
		{"gone", refused, 0, ""},
		{"slow", retried, 0, ""},
		{"limit", retried, 7 * time.Second, ""},
		{"down", retried, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			m := Message{Channel: Webhook, IdempotencyKey: "key-" + tt.to, UserID: "u-1", To: tt.to, Title: "T", Body: "B", Data: map[string]string{"a": "1"}}
			r, err := h.Send(context.Background(), m)
			checkOutcome(t, err, tt.want, tt.retryAfter)
			if want := (Receipt{Provider: "webhook", ID: tt.id}); tt.want == delivered && r != want {
				t.Errorf("got receipt %+v, want %+v", r, want)
			}
			received := rcv.Received()
			got := received[len(received)-1]
			if got.IdempotencyKey != m.IdempotencyKey || got.UserID != "u-1" || got.Channel != string(Webhook) ||
				got.Title != "T" || got.Body != "B" || got.Data["a"] != "1" || got.SentAt == 0 {
				t.Errorf("got payload %+v, want the message's fields", got)
			}
		})
	}
}

func TestHookSignatureAndTimeout(t *testing.T) {
	rcv := channelstest.NewWebhook(t, "shh")
	wrong, err := NewHook(HookConfig{URL: rcv.URL, Secret: "other"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrong.Send(context.Background(), Message{Channel: Webhook, To: "ok"})
	checkOutcome(t, err, refused, 0) // the receiver answers 401

	hasty, err := NewHook(HookConfig{URL: rcv.URL, Secret: "shh", Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = hasty.Send(context.Background(), Message{Channel: Webhook, To: "hang"})
	checkOutcome(t, err, retried, 0)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("got a timeout after %v, want about 50ms", d)
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"idempotency_key":"k"}`)
	mac := hmac.New(sha256.New, []byte("shh"))
	mac.Write(body)
	good := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	tests := []struct {
		name, secret, header string
		body                 []byte
		want                 bool
	}{
		{"good", "shh", good, body, true},
		{"wrong secret", "other", good, body, false},
		{"tampered body", "shh", good, []byte(`{"idempotency_key":"x"}`), false},
		{"no prefix", "shh", good[len("sha256="):], body, false},
		{"not hex", "shh", "sha256=zz", body, false},
		{"empty", "shh", "", body, false},
	}
	for _, tt := range tests {
		if got := VerifySignature(tt.secret, tt.body, tt.header); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNewHookErrors(t *testing.T) {
	tests := []HookConfig{
		{URL: "", Secret: "s"},
		{URL: "ftp://x", Secret: "s"},
		{URL: "https://hooks.test/x"},
	}
	for _, cfg := range tests {
		if _, err := NewHook(cfg); err == nil {
			t.Errorf("NewHook(%+v): got no error, want one", cfg)
		}
	}
}
