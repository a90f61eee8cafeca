package channels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

const fcmScope = "https://www.googleapis.com/auth/firebase.messaging"

// FCMConfig configures an FCM sender; cmd fills it from the environment.
type FCMConfig struct {
	// CredentialsFile is the path of a service-account JSON key
	// (JOURNEYS_FCM_CREDENTIALS); its project_id names the Firebase project
	// and its token_uri is where access tokens are fetched.
	CredentialsFile string
	// CredentialsJSON is the key itself; when set, CredentialsFile is unused.
	CredentialsJSON []byte
	// BaseURL is the FCM API root (JOURNEYS_FCM_BASE_URL), by default
	// https://fcm.googleapis.com.
	BaseURL string
	// Timeout bounds each HTTP call, token fetches included; 10s when zero.
	Timeout time.Duration
}

// FCM sends push notifications through the Firebase Cloud Messaging HTTP v1
// API, authenticated as a service account.
type FCM struct {
	endpoint string
	client   *http.Client
	tokens   oauth2.TokenSource
}

// NewFCM reads the service-account key in cfg and returns a sender for its
// project; no request is made until the first Send.
func NewFCM(cfg FCMConfig) (*FCM, error) {
	key := cfg.CredentialsJSON
	if len(key) == 0 {
		if cfg.CredentialsFile == "" {
			return nil, errors.New("fcm: no credentials")
		}
		b, err := os.ReadFile(cfg.CredentialsFile)
		if err != nil {
			return nil, fmt.Errorf("fcm credentials: %w", err)
		}
		key = b
	}
	var account struct {
		ProjectID string `json:"project_id"`
	}
	if err := json.Unmarshal(key, &account); err != nil {
		return nil, fmt.Errorf("fcm credentials: %w", err)
	}
	if account.ProjectID == "" {
		return nil, errors.New("fcm credentials: no project_id")
	}
	jwt, err := google.JWTConfigFromJSON(key, fcmScope)
	if err != nil {
		return nil, fmt.Errorf("fcm credentials: %w", err)
	}
	client := newHTTPClient(cfg.Timeout)
	// The token source keeps this context and fetches tokens with its client.
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, client)
	target, err := endpoint(cfg.BaseURL, "https://fcm.googleapis.com", "v1", "projects", account.ProjectID, "messages:send")
	if err != nil {
		return nil, fmt.Errorf("fcm: %w", err)
	}
	return &FCM{
		endpoint: target,
		client:   client,
		tokens:   jwt.TokenSource(ctx),
	}, nil
}

type fcmRequest struct {
	Message fcmMessage `json:"message"`
}

type fcmMessage struct {
	Token        string            `json:"token"`
	Notification *fcmNotification  `json:"notification,omitempty"`
	Data         map[string]string `json:"data,omitempty"`
}

type fcmNotification struct {
	Title string `json:"title,omitempty"`
	Body  string `json:"body,omitempty"`
}

// Send pushes m to the device token m.To; the receipt ID is the message name
// FCM returns.
func (f *FCM) Send(ctx context.Context, m Message) (Receipt, error) {
	tok, err := f.tokens.Token()
	if err != nil {
		// A token failure says nothing about the message: retry it.
		return Receipt{}, &TemporaryError{Provider: "fcm", Reason: "access token: " + err.Error()}
	}
	msg := fcmMessage{Token: m.To, Data: m.Data}
	if m.Title != "" || m.Body != "" {
		msg.Notification = &fcmNotification{Title: m.Title, Body: m.Body}
	}
	body, err := json.Marshal(fcmRequest{Message: msg})
	if err != nil {
		return Receipt{}, fmt.Errorf("fcm message: %w", err)
	}
	h := http.Header{"Authorization": {tok.Type() + " " + tok.AccessToken}}
	a, err := post(ctx, f.client, "fcm", f.endpoint, "application/json", body, h)
	if err != nil {
		return Receipt{}, err
	}
	if !a.ok() {
		return Receipt{}, fcmError(a)
	}
	return Receipt{Provider: "fcm", ID: receiptID(a.body, "name")}, nil
}

// fcmAnswer is the error body of the FCM v1 API.
type fcmAnswer struct {
	Error struct {
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []struct {
			Type            string `json:"@type"`
			ErrorCode       string `json:"errorCode"`
			FieldViolations []struct {
				Field string `json:"field"`
			} `json:"fieldViolations"`
		} `json:"details"`
	} `json:"error"`
}

// fcmError classifies a non-2xx FCM answer: UNREGISTERED and an
// INVALID_ARGUMENT about the token mark the token dead; 429 and 5xx
// (QUOTA_EXCEEDED, UNAVAILABLE, INTERNAL) are retried; other statuses,
// SENDER_ID_MISMATCH and THIRD_PARTY_AUTH_ERROR among them, are refusals.
func fcmError(a answer) error {
	var ans fcmAnswer
	if json.Unmarshal(a.body, &ans) != nil || (ans.Error.Status == "" && ans.Error.Message == "") {
		return statusError("fcm", a, snippet(a.body), false)
	}
	e := ans.Error
	code, aboutToken := e.Status, false
	for _, d := range e.Details {
		if strings.HasSuffix(d.Type, "FcmError") && d.ErrorCode != "" {
			code = d.ErrorCode
		}
		for _, v := range d.FieldViolations {
			aboutToken = aboutToken || v.Field == "message.token"
		}
	}
	aboutToken = aboutToken || strings.Contains(strings.ToLower(e.Message), "registration token")
	invalid := code == "UNREGISTERED" || (code == "INVALID_ARGUMENT" && aboutToken)
	return statusError("fcm", a, code+": "+e.Message, invalid)
}
