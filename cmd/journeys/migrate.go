package main

import (
	"context"
	"fmt"
	"log/slog"

	"journeys/reporting"
)

// migrate creates the database if it is missing, applies migrations and
// registers the journey search attributes on the Temporal namespace.
func migrate(ctx context.Context, cfg config, log *slog.Logger) error {
	store, err := openMigrated(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer store.Close()
	c, err := dialTemporal(ctx, cfg.Temporal, log)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := registerSearchAttributes(ctx, c, cfg.Namespace); err != nil {
		return fmt.Errorf("TEMPORAL_NAMESPACE %s: %w", cfg.Namespace, err)
	}
	log.Info("migrated", "database", "ok", "search_attributes", "ok")
	return nil
}

// openMigrated opens the database at url, creating and migrating it first.
func openMigrated(ctx context.Context, url string) (*reporting.Store, error) {
	if err := reporting.CreateDatabase(ctx, url); err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	store, err := reporting.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	return store, nil
}
