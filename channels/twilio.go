package channels

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// TwilioConfig configures a Twilio SMS sender; cmd fills it from the
// environment when JOURNEYS_SMS_PROVIDER is twilio.
type TwilioConfig struct {
	// AccountSID is the account (JOURNEYS_TWILIO_ACCOUNT_SID).
	AccountSID string
	// AuthToken is the account's auth token (JOURNEYS_TWILIO_AUTH_TOKEN).
	AuthToken string
	// From is the sending number in E.164 (JOURNEYS_TWILIO_FROM), or a
	// messaging service SID starting with MG.
	From string
	// BaseURL is the API root (JOURNEYS_TWILIO_BASE_URL), by default
	// https://api.twilio.com; any Twilio-compatible API will do.
	BaseURL string
	// Timeout bounds each HTTP call; 10s when zero.
	Timeout time.Duration
}

// Twilio sends SMS through the Twilio Messages API. Twilio takes no
// idempotency key, so a retry after a lost answer can text twice.
type Twilio struct {
	endpoint string
	auth     string // the Authorization header: basic, sid:token
	from     string
	client   *http.Client
}

// NewTwilio returns a sender for the account in cfg.
func NewTwilio(cfg TwilioConfig) (*Twilio, error) {
	if cfg.AccountSID == "" || cfg.AuthToken == "" {
		return nil, errors.New("twilio: no account sid or auth token")
	}
	if cfg.From == "" {
		return nil, errors.New("twilio: no from number")
	}
	target, err := endpoint(cfg.BaseURL, "https://api.twilio.com", "2010-04-01", "Accounts", cfg.AccountSID, "Messages.json")
	if err != nil {
		return nil, fmt.Errorf("twilio: %w", err)
	}
	return &Twilio{
		endpoint: target,
		auth:     "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.AccountSID+":"+cfg.AuthToken)),
		from:     cfg.From,
		client:   newHTTPClient(cfg.Timeout),
	}, nil
}

// Send texts m.Body to the phone number m.To; the receipt ID is the message
// SID.
func (t *Twilio) Send(ctx context.Context, m Message) (Receipt, error) {
	form := url.Values{"To": {m.To}, "Body": {m.Body}}
	if strings.HasPrefix(t.from, "MG") {
		form.Set("MessagingServiceSid", t.from)
	} else {
		form.Set("From", t.from)
	}
	h := http.Header{"Authorization": {t.auth}}
	a, err := post(ctx, t.client, "twilio", t.endpoint, "application/x-www-form-urlencoded", []byte(form.Encode()), h)
	if err != nil {
		return Receipt{}, err
	}
	if !a.ok() {
		return Receipt{}, twilioError(a)
	}
	return Receipt{Provider: "twilio", ID: receiptID(a.body, "sid")}, nil
}

// twilioDead lists the Twilio error codes that mean the recipient cannot be
// texted: 21211 invalid To number, 21610 the recipient replied STOP, 21614
// To is not a mobile number.
var twilioDead = map[int]bool{21211: true, 21610: true, 21614: true}

// twilioError classifies a non-2xx Twilio answer by its HTTP status, marking
// the number dead for the codes in twilioDead.
func twilioError(a answer) error {
	var ans struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(a.body, &ans) != nil || ans.Code == 0 {
		return statusError("twilio", a, snippet(a.body), false)
	}
	reason := fmt.Sprintf("error %d: %s", ans.Code, ans.Message)
	return statusError("twilio", a, reason, twilioDead[ans.Code])
}
