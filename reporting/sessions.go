package reporting

import (
	"context"
	"fmt"
	"time"
)

// CreateSession stores a dashboard session under the hash of its token
// until expires, and drops the sessions that have expired meanwhile.
func (s *Store) CreateSession(ctx context.Context, tokenHash []byte, expires time.Time) error {
	const q = `
	WITH expired AS (DELETE FROM sessions WHERE expires_at <= now())
	INSERT INTO sessions (token_hash, expires_at) VALUES ($1, $2)`
	if _, err := s.db.ExecContext(ctx, q, tokenHash, expires); err != nil {
		return fmt.Errorf("create session: %w", translate(err))
	}
	return nil
}

// SessionActive reports whether a session with the token hash exists and
// has not expired.
func (s *Store) SessionActive(ctx context.Context, tokenHash []byte) (bool, error) {
	const q = `SELECT EXISTS (SELECT 1 FROM sessions WHERE token_hash = $1 AND expires_at > now())`
	var ok bool
	if err := s.db.GetContext(ctx, &ok, q, tokenHash); err != nil {
		return false, fmt.Errorf("look up session: %w", err)
	}
	return ok, nil
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
