package channels

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// KavenegarConfig configures a Kavenegar SMS sender; cmd fills it from the
// environment when JOURNEYS_SMS_PROVIDER is kavenegar.
type KavenegarConfig struct {
	// APIKey is the account's API key (JOURNEYS_KAVENEGAR_API_KEY).
	APIKey string
	// Sender is the sending line (JOURNEYS_KAVENEGAR_SENDER); empty uses the
	// account's default line.
	Sender string
	// BaseURL is the API root (JOURNEYS_KAVENEGAR_BASE_URL), by default
	// https://api.kavenegar.com.
	BaseURL string
	// Timeout bounds each HTTP call; 10s when zero.
	Timeout time.Duration
}

// Kavenegar sends SMS through the Kavenegar REST API, passing a localid
// derived from the idempotency key so the provider refuses a second send.
type Kavenegar struct {
	endpoint string
	sender   string
	client   *http.Client
}

// NewKavenegar returns a sender for the account in cfg.
func NewKavenegar(cfg KavenegarConfig) (*Kavenegar, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("kavenegar: no api key")
	}
	target, err := endpoint(cfg.BaseURL, "https://api.kavenegar.com", "v1", cfg.APIKey, "sms", "send.json")
	if err != nil {
		return nil, fmt.Errorf("kavenegar: %w", err)
	}
	return &Kavenegar{
		endpoint: target,
		sender:   cfg.Sender,
		client:   newHTTPClient(cfg.Timeout),
	}, nil
}

// LocalID returns the localid Kavenegar receives for an idempotency key:
// the top 63 bits of the first 8 bytes of its SHA-256, in decimal, since
// Kavenegar's local ids are numbers (a signed 64-bit long).
func LocalID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return strconv.FormatUint(binary.BigEndian.Uint64(sum[:8])>>1, 10)
}

type kavenegarAnswer struct {
	Return struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
	} `json:"return"`
	Entries []struct {
		MessageID json.Number `json:"messageid"`
	} `json:"entries"`
}

// Send texts m.Body to the phone number m.To; the receipt ID is Kavenegar's
// messageid. Kavenegar sends no second SMS for a localid it has seen and
// answers with the first send's entry, so a retry after a lost answer gets
// the same receipt.
func (k *Kavenegar) Send(ctx context.Context, m Message) (Receipt, error) {
	form := url.Values{"receptor": {m.To}, "message": {m.Body}}
	if k.sender != "" {
		form.Set("sender", k.sender)
	}
	if m.IdempotencyKey != "" {
		form.Set("localid", LocalID(m.IdempotencyKey))
	}
	a, err := post(ctx, k.client, "kavenegar", k.endpoint, "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
	if err != nil {
		return Receipt{}, err
	}
	var ans kavenegarAnswer
	if json.Unmarshal(a.body, &ans) != nil || ans.Return.Status == 0 {
		if a.ok() {
			// Retrying is safe: the localid stops a second SMS.
			return Receipt{}, &TemporaryError{Provider: "kavenegar", Reason: "unreadable answer: " + snippet(a.body)}
		}
		return Receipt{}, statusError("kavenegar", a, snippet(a.body), false)
	}
	if s := ans.Return.Status; s != http.StatusOK {
		reason := fmt.Sprintf("status %d: %s", s, ans.Return.Message)
		return Receipt{}, refusal("kavenegar", reason, a.header, kavenegarRetry(s), s == 411)
	}
	r := Receipt{Provider: "kavenegar"}
	if len(ans.Entries) > 0 {
		r.ID = ans.Entries[0].MessageID.String()
	}
	return r, nil
}

// kavenegarRetry reports whether a Kavenegar return status is worth another
// try. Retried: 402 (operation failed, no cause given), 409 (server cannot
// answer now), 418 (credit too low: retried with backoff until someone tops
// it up, rather than dropping the message) and 451 (too many calls), plus any
// other 5xx but 501. Refused: 400-407 (bad request, disabled account, bad
// API key, no such method, wrong HTTP method, missing parameter, no access),
// 411 (bad receptor, the number is dead), 412 (bad sender), 413 (empty or
// too long), 414-417, 419-432 (bad date, characters, template, plan) and 501
// (a test account may text only its owner).
func kavenegarRetry(status int) bool {
	switch status {
	case 402, 409, 418, 451:
		return true
	case 501:
		return false
	}
	return status >= 500
}
