package reporting

import (
	"context"
	"errors"
	"fmt"
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

// scope returns the workspace of ctx for the store call op, or
// ErrNoWorkspace wrapped with op when ctx names none.
func scope(ctx context.Context, op string) (string, error) {
	ws, err := WorkspaceOf(ctx)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	return ws, nil
}
