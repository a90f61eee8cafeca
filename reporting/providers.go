package reporting

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ChannelProvider is a workspace's own provider for one channel: the
// settings that may be shown, and the secret ones sealed by the caller
// (see channels.Sealer.SealSetup); the store never sees them in plain.
type ChannelProvider struct {
	Channel   string          `db:"channel"`
	Provider  string          `db:"provider"`
	Settings  json.RawMessage `db:"settings"`
	Sealed    []byte          `db:"sealed"`
	UpdatedAt time.Time       `db:"updated_at"`
}

// PutChannelProvider sets the workspace's provider for p.Channel,
// replacing the one it had, and returns it as stored.
func (s *Store) PutChannelProvider(ctx context.Context, p ChannelProvider) (ChannelProvider, error) {
	ws, err := WorkspaceOf(ctx)
	if err != nil {
		return ChannelProvider{}, err
	}
	// clock_timestamp, not now(): two PUTs in one transaction still differ,
	// and a worker caching the first builds the second.
	const q = `
	INSERT INTO channel_providers (workspace_id, channel, provider, settings, sealed, updated_at)
	VALUES ($1, $2, $3, $4, $5, clock_timestamp())
	ON CONFLICT (workspace_id, channel) DO UPDATE SET
		provider = EXCLUDED.provider, settings = EXCLUDED.settings,
		sealed = EXCLUDED.sealed, updated_at = EXCLUDED.updated_at
	RETURNING channel, provider, settings, sealed, updated_at`
	var out ChannelProvider
	if err := s.db.GetContext(ctx, &out, q, ws, p.Channel, p.Provider, []byte(p.Settings), p.Sealed); err != nil {
		return ChannelProvider{}, fmt.Errorf("put channel provider: %w", translate(err))
	}
	return out, nil
}

// ChannelProvider returns the workspace's own provider for channel, or
// ErrNotFound when it uses the environment's.
func (s *Store) ChannelProvider(ctx context.Context, channel string) (ChannelProvider, error) {
	ws, err := WorkspaceOf(ctx)
	if err != nil {
		return ChannelProvider{}, err
	}
	const q = `
	SELECT channel, provider, settings, sealed, updated_at
	FROM channel_providers WHERE workspace_id = $1 AND channel = $2`
	var out ChannelProvider
	err = s.db.GetContext(ctx, &out, q, ws, channel)
	if errors.Is(err, sql.ErrNoRows) {
		return ChannelProvider{}, ErrNotFound
	}
	if err != nil {
		return ChannelProvider{}, fmt.Errorf("get channel provider: %w", err)
	}
	return out, nil
}

// ChannelProviders lists the workspace's own providers by channel.
func (s *Store) ChannelProviders(ctx context.Context) ([]ChannelProvider, error) {
	ws, err := WorkspaceOf(ctx)
	if err != nil {
		return nil, err
	}
	const q = `
	SELECT channel, provider, settings, sealed, updated_at
	FROM channel_providers WHERE workspace_id = $1 ORDER BY channel`
	out := []ChannelProvider{}
	if err := s.db.SelectContext(ctx, &out, q, ws); err != nil {
		return nil, fmt.Errorf("list channel providers: %w", err)
	}
	return out, nil
}

// DeleteChannelProvider drops the workspace's own provider for channel, so
// that it uses the environment's again; ErrNotFound when it had none.
func (s *Store) DeleteChannelProvider(ctx context.Context, channel string) error {
	ws, err := WorkspaceOf(ctx)
	if err != nil {
		return err
	}
	const q = `DELETE FROM channel_providers WHERE workspace_id = $1 AND channel = $2`
	res, err := s.db.ExecContext(ctx, q, ws, channel)
	if err != nil {
		return fmt.Errorf("delete channel provider: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// AnyChannelProviderAllWorkspaces reports whether any workspace keeps its
// own provider, which then needs the key that seals their secrets.
func (s *Store) AnyChannelProviderAllWorkspaces(ctx context.Context) (bool, error) {
	var ok bool
	if err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM channel_providers)`); err != nil {
		return false, fmt.Errorf("look for channel providers: %w", err)
	}
	return ok, nil
}
