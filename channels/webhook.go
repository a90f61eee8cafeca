package channels

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HookConfig configures a webhook sender; cmd fills it from the environment.
type HookConfig struct {
	// URL receives every message as a POST (JOURNEYS_WEBHOOK_URL).
	URL string
	// Secret keys the HMAC-SHA256 signature of each body
	// (JOURNEYS_WEBHOOK_SECRET).
	Secret string
	// Timeout bounds each HTTP call; 10s when zero.
	Timeout time.Duration
}

// Hook delivers messages on the webhook channel by POSTing a signed JSON
// HookPayload to one URL. It is not named Webhook, which is the channel.
//
// Each request carries the headers Idempotency-Key (the message's key, the
// same on every retry, for the receiver to drop duplicates),
// X-Journeys-Timestamp (Unix seconds, also in the body as sent_at) and
// X-Journeys-Signature ("sha256=" and the hex HMAC-SHA256 of the body keyed
// by the secret, checked with VerifySignature). A 2xx answer is success and
// may be JSON {"id": "..."} to name the receipt; 408, 429 and 5xx are
// retried, honouring Retry-After; other statuses are refusals.
type Hook struct {
	url    string
	secret []byte
	client *http.Client
}

// HookPayload is the JSON body a Hook posts.
type HookPayload struct {
	IdempotencyKey string            `json:"idempotency_key"`
	UserID         string            `json:"user_id"`
	Channel        Channel           `json:"channel"`
	To             string            `json:"to"`
	Title          string            `json:"title,omitempty"`
	Subject        string            `json:"subject,omitempty"`
	Body           string            `json:"body"`
	HTML           string            `json:"html,omitempty"`
	Data           map[string]string `json:"data,omitempty"`
	// SentAt is when this attempt was made, in Unix seconds; being signed,
	// it lets a receiver refuse replays of old requests.
	SentAt int64 `json:"sent_at"`
}

// NewHook returns a sender posting to cfg.URL.
func NewHook(cfg HookConfig) (*Hook, error) {
	if err := checkURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("webhook url: %w", err)
	}
	if cfg.Secret == "" {
		return nil, errors.New("webhook: no secret")
	}
	return &Hook{url: cfg.URL, secret: []byte(cfg.Secret), client: newHTTPClient(cfg.Timeout)}, nil
}

// Send posts m as a HookPayload; the receipt ID is the id the receiver
// answers with, or the idempotency key when it names none.
func (w *Hook) Send(ctx context.Context, m Message) (Receipt, error) {
	now := time.Now().Unix()
	body, err := json.Marshal(HookPayload{
		IdempotencyKey: m.IdempotencyKey, UserID: m.UserID, Channel: m.Channel, To: m.To,
		Title: m.Title, Subject: m.Subject, Body: m.Body, HTML: m.HTML, Data: m.Data,
		SentAt: now,
	})
	if err != nil {
		return Receipt{}, fmt.Errorf("webhook payload: %w", err)
	}
	h := http.Header{
		"Idempotency-Key":      {m.IdempotencyKey},
		"X-Journeys-Timestamp": {strconv.FormatInt(now, 10)},
		"X-Journeys-Signature": {"sha256=" + hex.EncodeToString(sign(w.secret, body))},
	}
	a, err := post(ctx, w.client, "webhook", w.url, "application/json", body, h)
	if err != nil {
		return Receipt{}, err
	}
	if !a.ok() {
		return Receipt{}, statusError("webhook", a, snippet(a.body), false)
	}
	id := receiptID(a.body, "id")
	if id == "" {
		id = m.IdempotencyKey
	}
	return Receipt{Provider: "webhook", ID: id}, nil
}

func sign(secret, body []byte) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return mac.Sum(nil)
}

// VerifySignature reports whether header, an X-Journeys-Signature value, is
// the signature of body under secret; receivers call it on the raw body.
func VerifySignature(secret string, body []byte, header string) bool {
	hexSum, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return false
	}
	return hmac.Equal(got, sign([]byte(secret), body))
}
