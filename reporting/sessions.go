package reporting

import (
	"context"
	"fmt"
	"time"
)

// CreateSession stores a dashboard session of the workspace of ctx under
// the hash of its token until expires, and drops the sessions that have
// expired meanwhile.
func (s *Store) CreateSession(ctx context.Context, tokenHash []byte, expires time.Time) error {
	ws, err := scope(ctx, "create session")
	if err != nil {
		return err
	}
	const q = `
	WITH expired AS (DELETE FROM sessions WHERE expires_at <= now())
	INSERT INTO sessions (token_hash, expires_at, workspace_id) VALUES ($1, $2, $3)`
	if _, err := s.db.ExecContext(ctx, q, tokenHash, expires, ws); err != nil {
		return fmt.Errorf("create session: %w", translate(err))
	}
	return nil
}

// SessionWorkspace returns the workspace of the session with the token
// hash: the one whose key opened it. A session that does not exist or has
// expired is ErrNotFound. The token names the workspace, so this lookup is
// the one session call made outside any.
func (s *Store) SessionWorkspace(ctx context.Context, tokenHash []byte) (string, error) {
	const q = `SELECT workspace_id FROM sessions WHERE token_hash = $1 AND expires_at > now()`
	var ws string
	if err := s.db.GetContext(ctx, &ws, q, tokenHash); err != nil {
		return "", fmt.Errorf("look up session: %w", translate(err))
	}
	return ws, nil
}

// DeleteSession ends the session with the token hash; ending one that does
// not exist is not an error.
func (s *Store) DeleteSession(ctx context.Context, tokenHash []byte) error {
	const q = `DELETE FROM sessions WHERE token_hash = $1`
	if _, err := s.db.ExecContext(ctx, q, tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
