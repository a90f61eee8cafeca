package channels

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"journeys/channels/channelstest"
)

func TestFCM(t *testing.T) {
	srv := channelstest.NewFCM(t)
	f, err := NewFCM(FCMConfig{CredentialsFile: srv.Credentials(t), BaseURL: srv.URL + "/", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tests := []sendCase{
		{"good", delivered, 0},
		{"gone", dead, 0},
		{"malformed", dead, 0},
		{"bad-data", refused, 0},
		{"other-app", refused, 0},
		{"quota", retried, 30 * time.Second},
		{"down", retried, 0},
		{"html-error", retried, 0},
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			m := Message{Channel: Push, IdempotencyKey: "k1", To: tt.to, Title: "Hi", Body: "Welcome", Data: map[string]string{"journey": "onboarding"}}
			r, err := f.Send(context.Background(), m)
			checkOutcome(t, err, tt.want, tt.retryAfter)
			if tt.want == delivered {
				if want := (Receipt{Provider: "fcm", ID: channelstest.FCMMessageName}); r != want {
					t.Errorf("got receipt %+v, want %+v", r, want)
				}
			} else if !strings.Contains(err.Error(), "status ") {
				t.Errorf("got error %q, want it to name the status", err)
			}
			msgs := srv.Messages()
			got := msgs[len(msgs)-1]
			if got.Token != tt.to || got.Notification == nil || got.Notification.Title != "Hi" ||
				got.Notification.Body != "Welcome" || got.Data["journey"] != "onboarding" {
				t.Errorf("got message %+v, want token %q, title, body and data", got, tt.to)
			}
		})
	}
	if got := srv.TokenCalls(); got != 1 {
		t.Errorf("got %d token fetches, want 1 reused token", got)
	}
}

func TestFCMTokenRefused(t *testing.T) {
	srv := channelstest.NewFCM(t)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFCM(FCMConfig{CredentialsFile: srv.CredentialsWith(t, other), BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Send(context.Background(), Message{Channel: Push, To: "good", Body: "x"})
	checkOutcome(t, err, retried, 0)
}

func TestNewFCMErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  FCMConfig
	}{
		{"no credentials", FCMConfig{}},
		{"missing file", FCMConfig{CredentialsFile: filepath.Join(t.TempDir(), "none.json")}},
		{"not json", FCMConfig{CredentialsJSON: []byte("nope")}},
		{"no project", FCMConfig{CredentialsJSON: []byte(`{"type":"service_account"}`)}},
		{"user credentials", FCMConfig{CredentialsJSON: []byte(`{"type":"authorized_user","project_id":"p"}`)}},
	}
	for _, tt := range tests {
		if _, err := NewFCM(tt.cfg); err == nil {
			t.Errorf("%s: got no error, want one", tt.name)
		}
	}
}
