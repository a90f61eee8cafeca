package channels

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// hookReceiver is a webhook endpoint that checks signatures and answers by
// the payload's "to".
type hookReceiver struct {
	*httptest.Server
	secret string
	mu     sync.Mutex
	got    []HookPayload
}

func newHookReceiver(t *testing.T, secret string) *hookReceiver {
	t.Helper()
	h := &hookReceiver{secret: secret}
	h.Server = httptest.NewServer(http.HandlerFunc(h.handle))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !VerifySignature(h.secret, body, r.Header.Get("X-Journeys-Signature")) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var p HookPayload
	if err := json.Unmarshal(body, &p); err != nil || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	if r.Header.Get("Idempotency-Key") != p.IdempotencyKey || r.Header.Get("X-Journeys-Timestamp") != strconv.FormatInt(p.SentAt, 10) {
		http.Error(w, "headers disagree with body", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.got = append(h.got, p)
	h.mu.Unlock()
	switch p.To {
	case "ok":
		w.Write([]byte(`{"id":"r-1"}`))
	case "empty":
		w.WriteHeader(http.StatusNoContent)
	case "gone":
		http.Error(w, "no such user", http.StatusGone)
	case "slow":
		http.Error(w, "timeout", http.StatusRequestTimeout)
	case "limit":
		w.Header().Set("Retry-After", "7")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	case "down":
		http.Error(w, "oops", http.StatusInternalServerError)
	case "hang":
		<-r.Context().Done()
	}
}

func TestHook(t *testing.T) {
	rcv := newHookReceiver(t, "shh")
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
			rcv.mu.Lock()
			got := rcv.got[len(rcv.got)-1]
			rcv.mu.Unlock()
			if got.IdempotencyKey != m.IdempotencyKey || got.UserID != "u-1" || got.Channel != Webhook ||
				got.Title != "T" || got.Body != "B" || got.Data["a"] != "1" || got.SentAt == 0 {
				t.Errorf("got payload %+v, want the message's fields", got)
			}
		})
	}
}

func TestHookSignatureAndTimeout(t *testing.T) {
	rcv := newHookReceiver(t, "shh")
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
