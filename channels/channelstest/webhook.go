package channelstest

import (
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

// Webhook is a webhook receiver as the README tells teams to write one: it
// checks the X-Journeys-Signature HMAC and that the headers agree with the
// signed body, then answers by the payload's "to": "ok" with a receipt id,
// "empty" with 204, "gone" 410, "slow" 408, "limit" 429 with Retry-After 7,
// "down" 500, "hang" never; anything else 200 with no body.
type Webhook struct {
	*httptest.Server
	secret string
	mu     sync.Mutex
	got    []WebhookPayload
}

// WebhookPayload is the JSON body of a webhook request.
type WebhookPayload struct {
	IdempotencyKey string            `json:"idempotency_key"`
	UserID         string            `json:"user_id"`
	Channel        string            `json:"channel"`
	To             string            `json:"to"`
	Title          string            `json:"title"`
	Subject        string            `json:"subject"`
	Body           string            `json:"body"`
	HTML           string            `json:"html"`
	Data           map[string]string `json:"data"`
	SentAt         int64             `json:"sent_at"`
	// ReceivedAt is when the request arrived, for tests of rates.
	ReceivedAt time.Time `json:"-"`
}

// NewWebhook starts a receiver for requests signed with secret, stopped
// when the test ends.
func NewWebhook(t testing.TB, secret string) *Webhook {
	t.Helper()
	h := &Webhook{secret: secret}
	h.Server = httptest.NewServer(http.HandlerFunc(h.handle))
	t.Cleanup(h.Close)
	return h
}

// Received returns the payloads of the well-signed requests, in order.
func (h *Webhook) Received() []WebhookPayload {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]WebhookPayload(nil), h.got...)
}

func (h *Webhook) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	mac := hmac.New(sha256.New, []byte(h.secret))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(r.Header.Get("X-Journeys-Signature")), []byte(want)) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var p WebhookPayload
	if err := json.Unmarshal(body, &p); err != nil || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	if r.Header.Get("Idempotency-Key") != p.IdempotencyKey || r.Header.Get("X-Journeys-Timestamp") != strconv.FormatInt(p.SentAt, 10) {
		http.Error(w, "headers disagree with body", http.StatusBadRequest)
		return
	}
	p.ReceivedAt = time.Now()
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
