package reporting

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Workspace is one app the service serves: its users, journeys, templates
// and runs are its own. Workspaces and their keys are the back office's:
// the methods here name the workspace they act on instead of reading it
// from the context.
type Workspace struct {
	ID   string `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
	// Timezone is the app's own, an IANA name such as Asia/Tehran.
	Timezone string `db:"timezone" json:"timezone"`
	// PhoneRegion is the region local phone numbers are read in, such as
	// IR; empty reads only numbers in international form.
	PhoneRegion string    `db:"phone_region" json:"phone_region"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
}

// APIKey is a workspace's API key as the store keeps it: its hash, never
// the key.
type APIKey struct {
	ID        string     `db:"id" json:"id"`
	Workspace string     `db:"workspace_id" json:"workspace_id"`
	Name      string     `db:"name" json:"name"`
	Hash      []byte     `db:"hash" json:"-"`
	CreatedAt time.Time  `db:"created_at" json:"created_at"`
	RevokedAt *time.Time `db:"revoked_at" json:"revoked_at,omitempty"`
}

const (
	workspaceColumns = `id, name, timezone, phone_region, created_at`
	apiKeyColumns    = `id, workspace_id, name, hash, created_at, revoked_at`
)

// CreateWorkspace stores a new workspace with its first API key, in one
// transaction; an existing id is ErrDuplicate.
func (s *Store) CreateWorkspace(ctx context.Context, w Workspace, key APIKey) (Workspace, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Workspace{}, fmt.Errorf("create workspace: %w", err)
	}
	defer tx.Rollback()
	const q = `
	INSERT INTO workspaces (id, name, timezone, phone_region) VALUES ($1, $2, $3, $4)
	RETURNING ` + workspaceColumns
	var out Workspace
	if err := tx.GetContext(ctx, &out, q, w.ID, w.Name, w.Timezone, w.PhoneRegion); err != nil {
		return Workspace{}, fmt.Errorf("create workspace: %w", translate(err))
	}
	key.Workspace = out.ID
	if _, err := insertKey(ctx, tx, key); err != nil {
		return Workspace{}, err
	}
	if err := tx.Commit(); err != nil {
		return Workspace{}, fmt.Errorf("create workspace: %w", err)
	}
	return out, nil
}

// WorkspaceByID returns the workspace with the given id.
func (s *Store) WorkspaceByID(ctx context.Context, id string) (Workspace, error) {
	const q = `SELECT ` + workspaceColumns + ` FROM workspaces WHERE id = $1`
	var w Workspace
	if err := s.db.GetContext(ctx, &w, q, id); err != nil {
		return Workspace{}, fmt.Errorf("get workspace: %w", translate(err))
	}
	return w, nil
}

// Workspaces lists every workspace by id.
func (s *Store) Workspaces(ctx context.Context) ([]Workspace, error) {
	const q = `SELECT ` + workspaceColumns + ` FROM workspaces ORDER BY id`
	ws := []Workspace{}
	if err := s.db.SelectContext(ctx, &ws, q); err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	return ws, nil
}

// CreateAPIKey stores a new key of key.Workspace; a workspace that does
// not exist is ErrNotFound.
func (s *Store) CreateAPIKey(ctx context.Context, key APIKey) (APIKey, error) {
	if _, err := s.WorkspaceByID(ctx, key.Workspace); err != nil {
		return APIKey{}, err
	}
	return insertKey(ctx, s.db, key)
}

func insertKey(ctx context.Context, db sqlx.QueryerContext, key APIKey) (APIKey, error) {
	const q = `INSERT INTO api_keys (id, workspace_id, name, hash) VALUES ($1, $2, $3, $4) RETURNING ` + apiKeyColumns
	var out APIKey
	if err := sqlx.GetContext(ctx, db, &out, q, key.ID, key.Workspace, key.Name, key.Hash); err != nil {
		return APIKey{}, fmt.Errorf("insert api key: %w", translate(err))
	}
	return out, nil
}

// APIKeys lists the keys of a workspace, revoked ones included, oldest
// first.
func (s *Store) APIKeys(ctx context.Context, workspace string) ([]APIKey, error) {
	if _, err := s.WorkspaceByID(ctx, workspace); err != nil {
		return nil, err
	}
	const q = `SELECT ` + apiKeyColumns + ` FROM api_keys WHERE workspace_id = $1 ORDER BY created_at, id`
	keys := []APIKey{}
	if err := s.db.SelectContext(ctx, &keys, q, workspace); err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return keys, nil
}

// RevokeAPIKey refuses the key from now on; revoking it again changes
// nothing. A key the workspace does not have is ErrNotFound.
func (s *Store) RevokeAPIKey(ctx context.Context, workspace, id string) (APIKey, error) {
	const q = `
	UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
	WHERE workspace_id = $1 AND id = $2
	RETURNING ` + apiKeyColumns
	var out APIKey
	if err := s.db.GetContext(ctx, &out, q, workspace, id); err != nil {
		return APIKey{}, fmt.Errorf("revoke api key: %w", translate(err))
	}
	return out, nil
}

// WorkspaceOfKey returns the workspace of the key whose hash is given;
// ErrNotFound when no key has it or the key is revoked. It is how a
// request learns its workspace, so it is made outside any.
func (s *Store) WorkspaceOfKey(ctx context.Context, hash []byte) (string, error) {
	const q = `SELECT workspace_id FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`
	var ws string
	if err := s.db.GetContext(ctx, &ws, q, hash); err != nil {
		return "", fmt.Errorf("look up api key: %w", translate(err))
	}
	return ws, nil
}
