package main

import (
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"journeys/metrics"
)

// scrape reads GET /metrics at addr as Prometheus does.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	var p expfmt.TextParser
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET /metrics is not Prometheus text: %v", err)
	}
	return families
}

// sample is the value of the series of family with labels: a counter's
// or gauge's value, a histogram's count; -1 when there is none.
func sample(families map[string]*dto.MetricFamily, family string, labels ...string) float64 {
	f := families[family]
	if f == nil {
		return -1
	}
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			match = match && have[labels[i]] == labels[i+1]
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

// TestMetricsAfterARun runs journeys end to end and scrapes /metrics on
// its own listener: each family the service exports is there with the
// counts the run produced, and so are the Temporal SDK's.
func TestMetricsAfterARun(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := startStack(t, func(c *config) { c.Metrics, c.MetricsAddr = metrics.New(), addr })

	// A send window that opens an hour from now defers every send.
	now := time.Now().UTC()
	window := map[string]any{"days": []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "start": now.Add(time.Hour).Format("15:04"), "end": now.Add(2 * time.Hour).Format("15:04")}
	s.mustCall("POST", "/v1/journeys", cartJourney("m", nil), 201, nil)
	s.mustCall("POST", "/v1/journeys", longJourney("long", nil), 201, nil)
	s.mustCall("POST", "/v1/journeys", cartJourney("later", map[string]any{"send_window": window}), 201, nil)
	s.mustCall("PUT", "/v1/users/buyer", map[string]any{"email": "b@example.com", "push_token": "tok-b"}, 200, nil)
	s.mustCall("PUT", "/v1/users/noemail", map[string]any{"push_token": "tok-n"}, 200, nil)
	s.mustCall("POST", "/v1/journeys/m/enrollments", map[string]string{"user_id": "noemail"}, 202, nil)
	s.mustCall("POST", "/v1/journeys/m/enrollments", map[string]string{"user_id": "noemail"}, 200, nil)
	s.mustCall("POST", "/v1/journeys/long/enrollments", map[string]string{"user_id": "buyer"}, 202, nil)
	s.mustCall("POST", "/v1/journeys/later/enrollments", map[string]string{"user_id": "noemail"}, 202, nil)
	s.mustCall("POST", "/v1/journeys/nope/enrollments", map[string]string{"user_id": "buyer"}, 404, nil)
	s.event("p1", "buyer", "purchase")
	if !s.event("p1", "buyer", "purchase").Duplicate {
		t.Error("the second p1 is not a duplicate")
	}
	s.waitFor("long", "buyer", ended)
	s.waitFor("m", "noemail", ended) // push sent, email skipped, exited
	s.waitFor("later", "noemail", func(e enrollment) bool { return slices.Contains(e.story(), "deferred:push") })

	// Counts the API makes are exact; those activities make count again
	// when an activity is retried (a loaded machine times some out), so
	// they are at least the runs' counts.
	want := []struct {
		family string
		labels []string
		value  float64
	}{
		{"journeys_http_request_duration_seconds", []string{"method", "POST", "route", "/v1/journeys/:id/enrollments", "status", "202"}, 3},
		{"journeys_http_request_duration_seconds", []string{"method", "POST", "route", "/v1/journeys/:id/enrollments", "status", "200"}, 1},
		{"journeys_http_request_duration_seconds", []string{"method", "POST", "route", "/v1/journeys/:id/enrollments", "status", "404"}, 1},
		{"journeys_http_request_duration_seconds", []string{"method", "POST", "route", "/v1/events", "status", "202"}, 2},
		{"journeys_enrollments_total", []string{"journey", "m", "outcome", "enrolled"}, 1},
		{"journeys_enrollments_total", []string{"journey", "m", "outcome", "already_enrolled"}, 1},
		{"journeys_enrollments_total", []string{"journey", "long", "outcome", "enrolled"}, 1},
		{"journeys_runs_ended_total", []string{"journey", "long", "status", "converted"}, 1},
		{"journeys_runs_ended_total", []string{"journey", "m", "status", "exited"}, 1},
		{"journeys_sends_total", []string{"channel", "push", "provider", "console", "outcome", "sent"}, 1},
		{"journeys_provider_call_duration_seconds", []string{"channel", "push", "provider", "console"}, 1},
		{"journeys_sends_not_sent_total", []string{"kind", "skipped", "reason", "no email contact"}, 1},
		{"journeys_sends_not_sent_total", []string{"kind", "deferred", "reason", "send_window"}, 1},
		{"journeys_events_ingested_total", []string{"outcome", "stored"}, 1},
		{"journeys_events_ingested_total", []string{"outcome", "duplicate"}, 1},
	}
	// The SDK's metrics reach the registry once a second.
	sdk := []string{"temporal_workflow_task_schedule_to_start_latency_seconds", "temporal_activity_execution_latency_seconds",
		"temporal_worker_task_slots_available", "temporal_request_total", "temporal_request_latency_seconds"}
	var families map[string]*dto.MetricFamily
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		families = scrape(t, addr)
		missing := slices.ContainsFunc(sdk, func(name string) bool { return families[name] == nil })
		if !missing || time.Now().After(deadline) {
			break
		}
	}
	for _, w := range want {
		got := sample(families, w.family, w.labels...)
		byActivity := strings.HasPrefix(w.family, "journeys_runs_") || strings.HasPrefix(w.family, "journeys_sends") || strings.HasPrefix(w.family, "journeys_provider")
		if got != w.value && !(byActivity && got > w.value) {
			t.Errorf("%s%v = %v, want %v", w.family, w.labels, got, w.value)
		}
	}
	for _, name := range sdk {
		if got := sample(families, name); got <= 0 {
			t.Errorf("%s = %v, want the SDK's metric with a value", name, got)
		}
	}
	if t.Failed() {
		var names []string
		for name := range families {
			names = append(names, name)
		}
		slices.Sort(names)
		t.Logf("families: %s", strings.Join(names, " "))
	}
}
