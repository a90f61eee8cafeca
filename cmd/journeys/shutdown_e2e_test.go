package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"slices"
	"testing"
	"time"
)

// TestGracefulStop stops the service as SIGTERM does while an event is
// still arriving and a webhook send waits on a slow receiver: the API
// stops taking connections at once but answers the event in flight and
// brings it to its run, and the worker lets the send finish and record
// itself before the service returns.
func TestGracefulStop(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(receiver.Close)
	s := startStack(t, func(c *config) {
		c.Channels.WebhookURL, c.Channels.WebhookSecret = receiver.URL, "hook-secret"
		c.ShutdownTimeout = 2 * time.Minute
	})
	j := cartJourney("slow", nil)
	j["config"] = map[string]any{"touches": []map[string]string{{"after": "1s", "channel": "webhook", "template": "cart_offer"}}, "final_wait": "1s"}
	s.mustCall("POST", "/v1/journeys", j, 201, nil)
	s.mustCall("PUT", "/v1/users/u1", map[string]any{"email": "u1@example.com"}, 200, nil)
	var run enrollment
	s.mustCall("POST", "/v1/journeys/slow/enrollments", map[string]string{"user_id": "u1"}, 202, &run)
	select {
	case <-arrived:
	case <-time.After(2 * time.Minute):
		t.Fatal("the webhook send never reached the receiver")
	}

	// A request whose body is still arriving: Expect: 100-continue tells
	// us when the handler has started reading it.
	body, writeBody := io.Pipe()
	reading := make(chan struct{})
	req, _ := http.NewRequest("POST", s.base+"/v1/events", body)
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Expect", "100-continue")
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{Got100Continue: func() { close(reading) }}))
	answered := make(chan *http.Response, 1)
	go func() {
		resp, err := (&http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}).Do(req)
		if err != nil {
			t.Errorf("request in flight: %v", err)
		}
		answered <- resp
	}()
	<-reading
	io.WriteString(writeBody, `{"event_id": "e1", "user_id": "u1",`)

	stopped := make(chan error, 1)
	go func() { stopped <- s.stop() }()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(s.base + "/healthz")
		if err != nil {
			break // the listener is closed
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("the API still takes new connections a minute after the stop")
		}
	}
	select {
	case err := <-stopped:
		t.Fatalf("the service returned (%v) with a request in flight", err)
	default:
	}
	io.WriteString(writeBody, ` "name": "purchase"}`)
	writeBody.Close()
	if resp := <-answered; resp == nil || resp.StatusCode != http.StatusAccepted {
		t.Errorf("request in flight answered %v, want 202", resp)
	}

	// The API is done; the worker still waits for the send.
	select {
	case err := <-stopped:
		t.Fatalf("the service returned (%v) while a send was running", err)
	case <-time.After(500 * time.Millisecond):
	}
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("stop: %v", err)
	}
	var status string
	if err := s.store.DB().GetContext(t.Context(), &status, `SELECT status FROM deliveries`); err != nil || status != "sent" {
		t.Errorf("delivery after the stop: %q %v, want the send finished and recorded as sent", status, err)
	}
	var delivered bool
	if err := s.store.DB().GetContext(t.Context(), &delivered, `SELECT NOT EXISTS (SELECT 1 FROM event_deliveries WHERE event_id = 'e1')`); err != nil || !delivered ||
		!slices.Contains(s.signalledEvents(run.WorkflowID, run.RunID), "e1") {
		t.Errorf("event answered during the stop: marked delivered %v (%v), in the run's history %v; want both",
			delivered, err, s.signalledEvents(run.WorkflowID, run.RunID))
	}
}
