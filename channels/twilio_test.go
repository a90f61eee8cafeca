package channels

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// twilioAnswers maps a To number to Twilio's HTTP status, error code and
// Retry-After; code 0 is success.
var twilioAnswers = map[string]struct {
	status, code int
	retryAfter   string
}{
	"+15005550006": {201, 0, ""},
	"+15005550001": {400, 21211, ""}, // invalid To
	"+15005550009": {400, 21614, ""}, // not a mobile number
	"+15005550010": {400, 21610, ""}, // replied STOP
	"+15005550007": {400, 21408, ""}, // region not enabled
	"+15005550429": {429, 20429, "5"},
	"+15005550503": {503, 20500, ""},
}

// twilioServer speaks the Messages resource of the Twilio API for account
// AC123 with token tok.
type twilioServer struct {
	*httptest.Server
	mu   sync.Mutex
	form map[string]string
}

func newTwilioServer(t *testing.T) *twilioServer {
	t.Helper()
	s := &twilioServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/AC123/Messages.json", s.messages)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *twilioServer) messages(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if sid, token, ok := r.BasicAuth(); !ok || sid != "AC123" || token != "tok" {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}`))
		return
	}
	r.ParseForm()
	s.mu.Lock()
	s.form = map[string]string{}
	for k := range r.PostForm {
		s.form[k] = r.PostForm.Get(k)
	}
	s.mu.Unlock()
	a := twilioAnswers[r.PostForm.Get("To")]
	if a.retryAfter != "" {
		w.Header().Set("Retry-After", a.retryAfter)
	}
	w.WriteHeader(a.status)
	if a.code == 0 {
		json.NewEncoder(w).Encode(map[string]any{"sid": "SM0123456789abcdef", "status": "queued", "to": r.PostForm.Get("To")})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"code": a.code, "message": "refused", "status": a.status})
}

func TestTwilio(t *testing.T) {
	srv := newTwilioServer(t)
	tw, err := NewTwilio(TwilioConfig{AccountSID: "AC123", AuthToken: "tok", From: "+15005550000", BaseURL: srv.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tests := []sendCase{
		{"+15005550006", delivered, 0},
		{"+15005550001", dead, 0},
		{"+15005550009", dead, 0},
		{"+15005550010", dead, 0},
		{"+15005550007", refused, 0},
		{"+15005550429", retried, 5 * time.Second},
		{"+15005550503", retried, 0},
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			r, err := tw.Send(context.Background(), Message{Channel: SMS, IdempotencyKey: "k", To: tt.to, Body: "Your code is 123"})
			checkOutcome(t, err, tt.want, tt.retryAfter)
			if want := (Receipt{Provider: "twilio", ID: "SM0123456789abcdef"}); tt.want == delivered && r != want {
				t.Errorf("got receipt %+v, want %+v", r, want)
			}
			srv.mu.Lock()
			form := srv.form
			srv.mu.Unlock()
			want := map[string]string{"To": tt.to, "From": "+15005550000", "Body": "Your code is 123"}
			for f, v := range want {
				if form[f] != v {
					t.Errorf("got form %s=%q, want %q", f, form[f], v)
				}
			}
		})
	}
}

func TestTwilioAuthAndService(t *testing.T) {
	srv := newTwilioServer(t)
	bad, err := NewTwilio(TwilioConfig{AccountSID: "AC123", AuthToken: "wrong", From: "+15005550000", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Send(context.Background(), Message{Channel: SMS, To: "+15005550006", Body: "x"})
	checkOutcome(t, err, refused, 0)

	svc, err := NewTwilio(TwilioConfig{AccountSID: "AC123", AuthToken: "tok", From: "MG42", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Send(context.Background(), Message{Channel: SMS, To: "+15005550006", Body: "x"}); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.form["MessagingServiceSid"] != "MG42" || srv.form["From"] != "" {
		t.Errorf("got form %v, want MessagingServiceSid MG42 and no From", srv.form)
	}
}
