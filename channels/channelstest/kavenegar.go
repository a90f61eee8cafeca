package channelstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// KavenegarAPIKey is the one API key Kavenegar accepts.
const KavenegarAPIKey = "test-key"

// Kavenegar speaks the sms/send.json method of the Kavenegar API. It sends
// one SMS per localid, answering a repeated localid with the first SMS's
// entry, as Kavenegar does, and refuses the receptors in
// KavenegarRefusals.
type Kavenegar struct {
	*httptest.Server
	mu      sync.Mutex
	sent    []SMS
	byLocal map[string]int64
	form    map[string]string // the last request's form
}

// SMS is a text Kavenegar sent.
type SMS struct {
	ID                                 int64
	Receptor, Sender, Message, LocalID string
}

// KavenegarRefusals maps a receptor to the return status Kavenegar answers
// for it; "0912000502" gets a proxy's 502 instead.
var KavenegarRefusals = map[string]int{
	"0912000411": 411, // invalid receptor
	"0912000412": 412, // invalid sender
	"0912000418": 418, // credit too low
	"0912000409": 409, // server busy, with Retry-After 12
	"0912000403": 403, // invalid API key
	"0912000501": 501, // test account
}

// NewKavenegar starts a fake Kavenegar, stopped when the test ends.
func NewKavenegar(t testing.TB) *Kavenegar {
	t.Helper()
	s := &Kavenegar{byLocal: map[string]int64{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

// Sent returns the texts sent, in order; a repeated localid sends none.
func (s *Kavenegar) Sent() []SMS {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SMS(nil), s.sent...)
}

// LastForm returns the form of the last request.
func (s *Kavenegar) LastForm() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.form
}

func (s *Kavenegar) handle(w http.ResponseWriter, r *http.Request) {
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
	case r.URL.Path != "/v1/"+KavenegarAPIKey+"/sms/send.json":
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
	if status, ok := KavenegarRefusals[receptor]; ok {
		answer(status, nil)
		return
	}
	id, seen := s.byLocal[local]
	if !seen || local == "" {
		id = 8792343 + int64(len(s.sent)) + 1
		s.byLocal[local] = id
		s.sent = append(s.sent, SMS{ID: id, Receptor: receptor, Sender: r.PostForm.Get("sender"), Message: r.PostForm.Get("message"), LocalID: local})
	}
	answer(200, []map[string]any{{
		"messageid": id, "message": r.PostForm.Get("message"), "status": 1, "statustext": "در صف ارسال",
		"sender": r.PostForm.Get("sender"), "receptor": receptor, "date": time.Now().Unix(), "cost": 120,
	}})
}
