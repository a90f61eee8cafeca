package reporting

import (
	"context"
	"errors"
)

// DefaultWorkspace holds what a deployment had before it served several
// apps, and what runs started then belong to.
const DefaultWorkspace = "default"

// ErrNoWorkspace is a store call made outside any workspace: a bug in the
// caller, refused rather than guessed.
var ErrNoWorkspace = errors.New("no workspace in context")

type workspaceKey struct{}

// WithWorkspace returns ctx scoped to the workspace id: every store call made
// with it reads and writes that workspace's rows only.
func WithWorkspace(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, workspaceKey{}, id)
}

// WorkspaceOf returns the workspace ctx is scoped to, and ErrNoWorkspace when
// it is not scoped to one.
func WorkspaceOf(ctx context.Context) (string, error) {
	id, _ := ctx.Value(workspaceKey{}).(string)
	if id == "" {
		return "", ErrNoWorkspace
	}
	return id, nil
}
