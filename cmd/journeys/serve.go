package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"journeys/activities"
	"journeys/api"
	"journeys/channels"
	"journeys/metrics"
	"journeys/reporting"
	"journeys/runs"
	"journeys/workflows/journey"
)

// serve runs the API, the worker or both against an existing Temporal
// cluster until ctx is done.
func serve(ctx context.Context, cfg config, log *slog.Logger) error {
	var senders map[channels.Channel]activities.Sender
	if cfg.Role != "api" {
		var err error
		if senders, err = newSenders(cfg.Channels, log); err != nil {
			return err
		}
	}
	store, err := reporting.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	defer store.Close()
	if cfg.SecretKey == "" {
		stored, err := store.AnyChannelProviderAllWorkspaces(ctx)
		if err != nil {
			return err
		}
		if stored {
			return errors.New("JOURNEYS_SECRET_KEY: required: workspaces keep their own channel providers, whose secrets it seals")
		}
		log.Warn("JOURNEYS_SECRET_KEY is not set: workspaces cannot set their own channel providers")
	}
	cfg.Metrics = metrics.New()
	defer cfg.Metrics.Close()
	cfg.Temporal.MetricsHandler = cfg.Metrics.Temporal()
	c, err := dialTemporal(ctx, cfg.Temporal, log)
	if err != nil {
		return err
	}
	defer c.Close()
	return runService(ctx, cfg, store, c, senders, log, nil)
}

// runService runs the roles cfg asks for; the worker sends through
// senders. ready, when set, is called with the API's address once it
// listens. When ctx is done the API stops taking requests and finishes
// those in flight, then the worker stops polling and lets its running
// activities finish, each within cfg.ShutdownTimeout.
func runService(ctx context.Context, cfg config, store *reporting.Store, c client.Client, senders map[channels.Channel]activities.Sender, log *slog.Logger, ready func(apiAddr string)) error {
	grace := cmp.Or(cfg.ShutdownTimeout, defaultShutdownTimeout)
	if cfg.MetricsAddr != "" && cfg.Metrics != nil {
		stop, err := serveMetrics(cfg.MetricsAddr, cfg.Metrics)
		if err != nil {
			return err
		}
		defer stop()
		log.Info("metrics served", "address", "http://"+cfg.MetricsAddr+"/metrics")
	}
	sealer, err := newSealer(cfg.SecretKey)
	if err != nil {
		return err
	}
	if cfg.Role == "all" || cfg.Role == "worker" {
		// Each send picks the provider of its run's workspace, over these.
		senders = activities.NewProviders(store, sealer, senders).Senders()
		acts := &activities.Activities{Store: store, Caps: store, Senders: measured(senders, cfg.Metrics), Log: log,
			OfferSecret: []byte(cfg.OfferSecret), Metrics: cfg.Metrics}
		if base := strings.TrimRight(cfg.PublicURL, "/"); base != "" {
			secret := []byte(cfg.APIKey)
			acts.Unsubscribe = func(workspace, userID string, ch channels.Channel) string {
				return base + "/unsubscribe/" + channels.UnsubscribeToken(secret, workspace, userID, ch)
			}
		} else {
			log.Warn("JOURNEYS_PUBLIC_URL is not set: emails go out without a one-click unsubscribe link")
		}
		rates, err := sendRates(cfg.Channels)
		if err != nil {
			return err
		}
		opts := workerOptions
		opts.WorkerStopTimeout = grace
		w := newWorkerWith(c, acts, newJobs(c, store, cfg.Metrics), opts, rates)
		if err := w.Start(); err != nil {
			return fmt.Errorf("start worker: %w", err)
		}
		defer func() {
			log.Info("worker stopping: no new tasks, running activities may finish", "within", grace)
			w.Stop()
		}()
		if err := runs.StartSweep(ctx, c, cfg.SweepEvery); err != nil {
			return err
		}
		log.Info("worker started", "task_queue", journey.TaskQueue)
		for _, ch := range channels.All {
			if rates[ch] > 0 {
				log.Info("sends held to the provider's rate across all workers", "channel", ch, "task_queue", journey.SendTaskQueue(ch), "rate_per_second", rates[ch])
			}
		}
	}
	if cfg.Role == "worker" {
		<-ctx.Done()
		return nil
	}

	l, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("JOURNEYS_HTTP_ADDR: %w", err)
	}
	timeouts := cfg.HTTP.orDefaults()
	apiCfg := api.Config{Store: store, Temporal: c, APIKey: cfg.APIKey, AdminKey: cfg.AdminKey, Log: log,
		TemporalUIURL: cfg.TemporalUIURL, Namespace: cfg.Namespace, UnsubscribeSecret: []byte(cfg.APIKey),
		BulkTimeout: timeouts.Bulk, Metrics: cfg.Metrics, Sealer: sealer, EnvProviders: envProviderNames(cfg.Channels)}
	// Events are answered once stored and brought to their runs after;
	// those in the queues when the API stops get the rest of the grace.
	apiCfg.Runs = api.NewRuns(apiCfg)
	apiCfg.Runs.Deliveries = runs.NewDeliveries(apiCfg.Runs, cfg.Deliveries)
	apiCfg.Runs.Deliveries.Start()
	defer func() {
		drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
		defer cancel()
		apiCfg.Runs.Deliveries.Stop(drain)
	}()
	srv := newHTTPServer(api.New(apiCfg), timeouts)
	if ready != nil {
		ready(l.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("api: %w", err)
	case <-ctx.Done():
	}
	log.Info("api stopping: no new requests, those in flight may finish", "within", grace)
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		srv.Close()
		log.Warn("api stopped with requests still in flight", "after", grace, "error", err)
	}
	return nil
}

// orDefaults returns t with the default in place of every zero.
func (t httpTimeouts) orDefaults() httpTimeouts {
	d := defaultHTTPTimeouts
	return httpTimeouts{Read: cmp.Or(t.Read, d.Read), Write: cmp.Or(t.Write, d.Write), Idle: cmp.Or(t.Idle, d.Idle), Bulk: cmp.Or(t.Bulk, d.Bulk)}
}

// newHTTPServer returns the API's server: a client that sends its request
// too slowly, takes too long over the answer or leaves its connection idle
// is cut off, so that no one can hold connections open for ever. The
// bulk routes (imports, batches) extend their own deadlines to t.Bulk.
func newHTTPServer(h http.Handler, t httpTimeouts) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: min(10*time.Second, t.Read),
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
	}
}
