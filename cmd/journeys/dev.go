package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

// dev runs everything in one process for a laptop: an embedded Temporal
// server persisting under the data folder, its UI, migrations, the worker
// and the API.
func dev(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer) error {
	if cfg.APIKey == "" {
		cfg.APIKey = "dev"
		log.Warn("JOURNEYS_API_KEY is not set; the API accepts the key \"dev\"")
	}
	cfg.Role = "all"
	if cfg.TemporalUIURL == "" {
		cfg.TemporalUIURL = "http://" + cfg.UIAddr
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + cfg.HTTPAddr
	}
	senders, err := newSenders(cfg.Channels, log)
	if err != nil {
		return err
	}

	store, err := openMigrated(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer store.Close()

	t, err := startDevTemporal(cfg.TemporalAddress, cfg.UIAddr, cfg.DataDir, cfg.Namespace, log)
	if err != nil {
		return err
	}
	defer t.Stop()
	c, err := dialTemporal(ctx, cfg.TemporalAddress, cfg.Namespace, log)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := registerSearchAttributes(ctx, c, cfg.Namespace); err != nil {
		return err
	}

	return runService(ctx, cfg, store, c, senders, log, func(apiAddr string) {
		fmt.Fprintf(stdout, "journeys dev is running\n")
		fmt.Fprintf(stdout, "  API:          http://%s  (Authorization: Bearer %s)\n", apiAddr, cfg.APIKey)
		fmt.Fprintf(stdout, "  Dashboard:    http://%s/  (log in with the API key)\n", apiAddr)
		fmt.Fprintf(stdout, "  Temporal UI:  http://%s/namespaces/%s/workflows\n", cfg.UIAddr, cfg.Namespace)
		fmt.Fprintf(stdout, "  Temporal:     %s (namespace %s, data in %s)\n", cfg.TemporalAddress, cfg.Namespace, cfg.DataDir)
	})
}
