package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"journeys/channels"
	"journeys/metrics"
)

// dev runs everything in one process for a laptop: an embedded Temporal
// server persisting under the data folder, its UI, migrations, the worker
// and the API.
func dev(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer) error {
	if !embeddedTemporal {
		_, err := startDevTemporal(cfg.TemporalAddress, cfg.UIAddr, cfg.DataDir, cfg.Namespace, log)
		return err
	}
	if cfg.APIKey == "" {
		cfg.APIKey = "dev"
		log.Warn("JOURNEYS_API_KEY is not set; the default workspace accepts the key \"dev\"")
	}
	if cfg.AdminKey == "" {
		cfg.AdminKey = "dev-admin"
		log.Warn("JOURNEYS_ADMIN_KEY is not set; the admin routes accept the key \"dev-admin\"")
	}
	cfg.Role = "all"
	if cfg.TemporalUIURL == "" {
		cfg.TemporalUIURL = "http://" + cfg.UIAddr
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + cfg.HTTPAddr
	}
	if cfg.OfferSecret == "" {
		secret, path, err := devOfferSecret(cfg.DataDir)
		if err != nil {
			return err
		}
		cfg.OfferSecret = secret
		log.Info("JOURNEYS_OFFER_SECRET is not set; discount codes are derived with the secret generated for this data folder", "file", path)
	}
	if cfg.SecretKey == "" {
		key, path, err := devSecretKey(cfg.DataDir)
		if err != nil {
			return err
		}
		cfg.SecretKey = key
		log.Info("JOURNEYS_SECRET_KEY is not set; workspaces' provider secrets are sealed with the key generated for this data folder", "file", path)
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
	cfg.Metrics = metrics.New()
	defer cfg.Metrics.Close()
	cfg.Temporal.MetricsHandler = cfg.Metrics.Temporal()
	c, err := dialTemporal(ctx, cfg.Temporal, log)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := registerSearchAttributes(ctx, c, cfg.Namespace); err != nil {
		return err
	}

	return runService(ctx, cfg, store, c, senders, log, func(apiAddr string) {
		fmt.Fprintf(stdout, "journeys dev is running\n")
		fmt.Fprintf(stdout, "  API:          http://%s  (workspace default: Authorization: Bearer %s)\n", apiAddr, cfg.APIKey)
		fmt.Fprintf(stdout, "  Admin:        http://%s/v1/workspaces  (Authorization: Bearer %s)\n", apiAddr, cfg.AdminKey)
		fmt.Fprintf(stdout, "  Dashboard:    http://%s/  (log in with a workspace's API key)\n", apiAddr)
		fmt.Fprintf(stdout, "  Temporal UI:  http://%s/namespaces/%s/workflows\n", cfg.UIAddr, cfg.Namespace)
		fmt.Fprintf(stdout, "  Temporal:     %s (namespace %s, data in %s)\n", cfg.TemporalAddress, cfg.Namespace, cfg.DataDir)
	})
}

// runTemporal runs the embedded Temporal server and its UI alone until ctx
// is done: the Temporal of `journeys serve` processes on one machine, kept
// in the SQLite file under the data folder, so that it comes back with its
// runs after any stop, a SIGKILL included.
func runTemporal(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer) error {
	t, err := startDevTemporal(cfg.TemporalAddress, cfg.UIAddr, cfg.DataDir, cfg.Namespace, log)
	if err != nil {
		return err
	}
	defer t.Stop()
	fmt.Fprintf(stdout, "journeys temporal is running\n")
	fmt.Fprintf(stdout, "  Temporal:     %s (namespace %s, data in %s)\n", cfg.TemporalAddress, cfg.Namespace, cfg.DataDir)
	fmt.Fprintf(stdout, "  Temporal UI:  http://%s/namespaces/%s/workflows\n", cfg.UIAddr, cfg.Namespace)
	<-ctx.Done()
	return nil
}

// devOfferSecret returns the offer secret of the data folder.
func devOfferSecret(dataDir string) (secret, path string, err error) {
	return devSecret(dataDir, "offer-secret", func() string { return rand.Text() + rand.Text() })
}

// devSecretKey returns the key that seals provider secrets in the data
// folder's database, in base64.
func devSecretKey(dataDir string) (key, path string, err error) {
	return devSecret(dataDir, "secret-key", func() string {
		b := make([]byte, channels.KeySize)
		rand.Read(b)
		return base64.StdEncoding.EncodeToString(b)
	})
}

// devSecret returns the secret kept in the data folder under name,
// generating it with gen on first use. It lives beside the runs and rows it
// keys, so that a run's discount code stays the same across restarts and
// sealed provider secrets still open, and it is random, so that it cannot
// be worked out from the source.
func devSecret(dataDir, name string, gen func() string) (secret, path string, err error) {
	path = filepath.Join(dataDir, name)
	if b, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(b)) > 0 {
		return string(bytes.TrimSpace(b)), path, nil
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", "", fmt.Errorf("JOURNEYS_DATA_DIR: %w", err)
	}
	secret = gen()
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("JOURNEYS_DATA_DIR: keep the %s: %w", name, err)
	}
	return secret, path, nil
}
