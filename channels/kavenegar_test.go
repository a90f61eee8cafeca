package channels

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"journeys/channels/channelstest"
)

func TestKavenegar(t *testing.T) {
	srv := channelstest.NewKavenegar(t)
	k, err := NewKavenegar(KavenegarConfig{APIKey: channelstest.KavenegarAPIKey, Sender: "10004346", BaseURL: srv.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tests := []sendCase{
		{"09121234567", delivered, 0},
		{"0912000411", dead, 0},
		{"0912000412", refused, 0},
		{"0912000403", refused, 0},
		{"0912000501", refused, 0},
		{"0912000418", retried, 0},
		{"0912000409", retried, 12 * time.Second},
		{"0912000502", retried, 0},
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			m := Message{Channel: SMS, IdempotencyKey: "key-" + tt.to, To: tt.to, Body: "کد شما ۱۲۳"}
			r, err := k.Send(context.Background(), m)
			checkOutcome(t, err, tt.want, tt.retryAfter)
			if err != nil && !strings.Contains(err.Error(), "status ") {
				t.Errorf("got error %q, want it to name the status", err)
			}
			if tt.want == delivered && (r.Provider != "kavenegar" || r.ID == "") {
				t.Errorf("got receipt %+v, want a kavenegar message id", r)
			}
			form := srv.LastForm()
			want := map[string]string{"receptor": tt.to, "sender": "10004346", "message": m.Body, "localid": LocalID(m.IdempotencyKey)}
			for f, v := range want {
				if form[f] != v {
					t.Errorf("got form %s=%q, want %q", f, form[f], v)
				}
			}
		})
	}
}

func TestKavenegarDuplicate(t *testing.T) {
	srv := channelstest.NewKavenegar(t)
	k, err := NewKavenegar(KavenegarConfig{APIKey: channelstest.KavenegarAPIKey, BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	m := Message{Channel: SMS, IdempotencyKey: "journey-1/step-1/user-1", To: "09121234567", Body: "hi"}
	first, err := k.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	again, err := k.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if first != again {
		t.Errorf("got receipts %+v then %+v, want the same", first, again)
	}
	if sent := srv.Sent(); len(sent) != 1 {
		t.Errorf("got %d SMS sent, want 1", len(sent))
	}
}

func TestLocalID(t *testing.T) {
	a, b := LocalID("journey-1/step-1/user-1"), LocalID("journey-1/step-1/user-2")
	if a != LocalID("journey-1/step-1/user-1") {
		t.Errorf("got different local ids for one key")
	}
	if a == b {
		t.Errorf("got local id %s for two keys, want different", a)
	}
	for _, id := range []string{a, b} {
		if n, err := strconv.ParseInt(id, 10, 64); err != nil || n < 0 {
			t.Errorf("got local id %q, want a non-negative int64 (%v)", id, err)
		}
	}
}

func TestKavenegarHidesKey(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens there now
	k, err := NewKavenegar(KavenegarConfig{APIKey: "secret-key", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = k.Send(context.Background(), Message{Channel: SMS, To: "09121234567", Body: "hi"})
	checkOutcome(t, err, retried, 0)
	if strings.Contains(err.Error(), "secret-key") {
		t.Errorf("got error %q, want it without the API key", err)
	}
}
