// Package metrics is what the service tells Prometheus: the Temporal
// SDK's worker and client metrics and the service's own, on one registry
// served at /metrics. A nil *Metrics records nothing, so parts built
// without one (tests, tools) need no checks.
package metrics

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// Metrics holds the registry and the service's metric families.
type Metrics struct {
	registry        *prometheus.Registry
	requests        *prometheus.HistogramVec
	enrollments     *prometheus.CounterVec
	runsEnded       *prometheus.CounterVec
	sends           *prometheus.CounterVec
	providerLatency *prometheus.HistogramVec
	notSent         *prometheus.CounterVec
	events          *prometheus.CounterVec
	deliveries      *prometheus.CounterVec
	scope           io.Closer
	temporal        client.MetricsHandler
}

// New returns the service's metrics on a registry of their own, with the
// Go runtime's and the process's.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		registry: r,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "journeys_http_request_duration_seconds",
			Help: "API requests by route (the route pattern, not the path) and status, and how long they took.",
		}, []string{"method", "route", "status"}),
		enrollments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeys_enrollments_total",
			Help: "Enrollment attempts by journey and outcome: enrolled, already_enrolled, not_eligible, not_active or error.",
		}, []string{"journey", "outcome"}),
		runsEnded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeys_runs_ended_total",
			Help: "Runs that ended, by journey and status: converted, exited or failed.",
		}, []string{"journey", "status"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeys_sends_total",
			Help: "Calls to providers by channel, provider and outcome: sent, refused (permanent) or failed (retried).",
		}, []string{"channel", "provider", "outcome"}),
		providerLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "journeys_provider_call_duration_seconds",
			Help: "How long a provider took to answer, rate-limit waits included, by channel and provider.",
		}, []string{"channel", "provider"}),
		notSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeys_sends_not_sent_total",
			Help: "Touches not sent when due, by kind (deferred, skipped) and reason (send_window, holdout, no email contact, ...).",
		}, []string{"kind", "reason"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeys_events_ingested_total",
			Help: "Events received, by outcome: stored, or duplicate (an event_id already stored).",
		}, []string{"outcome"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "journeys_events_delivered_total",
			Help: "Stored events brought to their runs, by outcome: delivered after the answer, left_to_sweep (queue full, stopping or Temporal refused), redelivered by the sweep, or given_up by it once a day old.",
		}, []string{"outcome"}),
	}
	r.MustRegister(m.requests, m.enrollments, m.runsEnded, m.sends, m.providerLatency, m.notSent, m.events, m.deliveries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	// The SDK's metrics go through tally, its Prometheus integration
	// (go.temporal.io/sdk/contrib/tally), into the same registry, named as
	// every Temporal SDK names them (temporal_workflow_task_schedule_to_start_latency_seconds, ...).
	reporter := tallyprom.NewReporter(tallyprom.Options{Registerer: r, DefaultTimerType: tallyprom.HistogramTimerType})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, time.Second)
	m.scope = closer
	m.temporal = sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope))
	return m
}

// Temporal is the handler to give the Temporal client (client.Options
// MetricsHandler), for the SDK's worker and client metrics.
func (m *Metrics) Temporal() client.MetricsHandler {
	if m == nil {
		return nil
	}
	return m.temporal
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Close reports the SDK metrics still buffered and stops the reporting.
func (m *Metrics) Close() error {
	if m == nil {
		return nil
	}
	return m.scope.Close()
}

// Request counts an API request to route with its status and duration.
func (m *Metrics) Request(method, route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Observe(d.Seconds())
}

// Enrolled counts an enrollment attempt into journey.
func (m *Metrics) Enrolled(journey, outcome string) {
	if m == nil {
		return
	}
	m.enrollments.WithLabelValues(journey, outcome).Inc()
}

// RunEnded counts a run of journey that ended with status.
func (m *Metrics) RunEnded(journey, status string) {
	if m == nil {
		return
	}
	m.runsEnded.WithLabelValues(journey, status).Inc()
}

// ProviderCall counts a call to a provider and how long it took.
func (m *Metrics) ProviderCall(channel, provider, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.sends.WithLabelValues(channel, provider, outcome).Inc()
	m.providerLatency.WithLabelValues(channel, provider).Observe(d.Seconds())
}

// NotSent counts a touch deferred or skipped for reason.
func (m *Metrics) NotSent(kind, reason string) {
	if m == nil {
		return
	}
	m.notSent.WithLabelValues(kind, reason).Inc()
}

// EventIngested counts an event received.
func (m *Metrics) EventIngested(outcome string) {
	if m == nil {
		return
	}
	m.events.WithLabelValues(outcome).Inc()
}

// EventsDelivered counts n stored events brought to their runs, or left to
// the sweep.
func (m *Metrics) EventsDelivered(outcome string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.deliveries.WithLabelValues(outcome).Add(float64(n))
}
