package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"journeys/activities"
	"journeys/channels"
	"journeys/metrics"
)

// measured wraps every sender so that each call to a provider is counted
// by channel, provider and outcome, with how long it took.
func measured(senders map[channels.Channel]activities.Sender, m *metrics.Metrics) map[channels.Channel]activities.Sender {
	if m == nil {
		return senders
	}
	out := make(map[channels.Channel]activities.Sender, len(senders))
	for c, s := range senders {
		out[c] = measuredSender{channel: c, next: s, metrics: m}
	}
	return out
}

// measuredSender counts the calls of one channel's sender.
type measuredSender struct {
	channel channels.Channel
	next    activities.Sender
	metrics *metrics.Metrics
}

// Send delivers m and counts the call. The provider is the one that
// answered, as its receipt or error names it.
func (s measuredSender) Send(ctx context.Context, msg channels.Message) (channels.Receipt, error) {
	start := time.Now()
	r, err := s.next.Send(ctx, msg)
	provider, outcome := r.Provider, "sent"
	var perm *channels.PermanentError
	var temp *channels.TemporaryError
	switch {
	case errors.As(err, &perm):
		provider, outcome = perm.Provider, "refused"
	case errors.As(err, &temp):
		provider, outcome = temp.Provider, "failed"
	case err != nil:
		outcome = "failed"
	}
	if provider == "" {
		provider = "unknown"
	}
	s.metrics.ProviderCall(string(s.channel), provider, outcome, time.Since(start))
	return r, err
}

// serveMetrics serves GET /metrics on addr, apart from the API so that it
// can stay inside the cluster, until the returned stop is called.
func serveMetrics(addr string, m *metrics.Metrics) (stop func(), err error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("JOURNEYS_METRICS_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	return func() { srv.Close() }, nil
}
