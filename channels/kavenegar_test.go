package channels

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// kavenegarServer speaks the sms/send.json method of the Kavenegar API for
// the API key "test-key". It keeps one message per localid, answering a
// repeated localid with the first message's entry, as Kavenegar does.
type kavenegarServer struct {
	*httptest.Server
	mu      sync.Mutex
	sent    int
	byLocal map[string]int64
	form    map[string]string // the last request's form
}

// kavenegarRefusals maps a receptor to the return status Kavenegar answers.
var kavenegarRefusals = map[string]int{
	"0912000411": 411, // invalid receptor
	"0912000412": 412, // invalid sender
	"0912000418": 418, // credit too low
	"0912000409": 409, // server busy
	"0912000403": 403, // invalid API key
	"0912000501": 501, // test account
}

func newKavenegarServer(t *testing.T) *kavenegarServer {
	t.Helper()
	s := &kavenegarServer{byLocal: map[string]int64{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

func (s *kavenegarServer) handle(w http.ResponseWriter, r *http.Request) {
	answer := func(status int, entries []map[string]any) {
		w.Header().Set("Content-Type", "application/json")
		if status == 409 {
			w.Header().Set("Retry-After", "12")
		}
		w.WriteHeader(status) // Kavenegar's HTTP status is its return status
		json.NewEncoder(w).Encode(map[string]any{
			"return":  map[string]any{"status": status, "message": fmt.Sprintf("status %d", status)},
			"entries": entries,
		})
	}
	switch {
	case r.Method != http.MethodPost:
		answer(405, nil)
		return
	case r.URL.Path != "/v1/test-key/sms/send.json":
		answer(403, nil)
		return
	}
	r.ParseForm()
	receptor, local := r.PostForm.Get("receptor"), r.PostForm.Get("localid")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.form = map[string]string{}
	for k := range r.PostForm {
		s.form[k] = r.PostForm.Get(k)
	}
	if receptor == "0912000502" {
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html>bad gateway</html>"))
		return
	}
	if status, ok := kavenegarRefusals[receptor]; ok {
		answer(status, nil)
		return
	}
	id, seen := s.byLocal[local]
	if !seen || local == "" {
		s.sent++
		id = 8792343 + int64(s.sent)
		s.byLocal[local] = id
	}
	answer(200, []map[string]any{{
		"messageid": id, "message": r.PostForm.Get("message"), "status": 1, "statustext": "در صف ارسال",
		"sender": r.PostForm.Get("sender"), "receptor": receptor, "date": time.Now().Unix(), "cost": 120,
	}})
}

func TestKavenegar(t *testing.T) {
	srv := newKavenegarServer(t)
	k, err := NewKavenegar(KavenegarConfig{APIKey: "test-key", Sender: "10004346", BaseURL: srv.URL, Timeout: 5 * time.Second})
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
			srv.mu.Lock()
			form := srv.form
			srv.mu.Unlock()
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
	srv := newKavenegarServer(t)
	k, err := NewKavenegar(KavenegarConfig{APIKey: "test-key", BaseURL: srv.URL})
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
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.sent != 1 {
		t.Errorf("got %d SMS sent, want 1", srv.sent)
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
