package activities

import (
	"context"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"journeys/reporting"
)

// workspaceHeader is the Temporal header that carries a run's workspace.
const workspaceHeader = "journeys-workspace"

// WorkspacePropagator carries the workspace from the context that starts
// or signals a run into the run, and from the run into every activity and
// local activity it calls, so that each activity reads and writes the
// run's workspace only. Journey types need not know about it. The Temporal
// client of the API and of the worker must both have it.
type WorkspacePropagator struct{}

var _ workflow.ContextPropagator = WorkspacePropagator{}

type workflowWorkspaceKey struct{}

// RunWorkspace is the workspace a run belongs to, from the workspace its
// start named: runs started before workspaces name none and are the
// default workspace's. This is the one place that says so.
func RunWorkspace(named string) string {
	if named == "" {
		return reporting.DefaultWorkspace
	}
	return named
}

// Inject writes the workspace of a client call's ctx into its header.
func (WorkspacePropagator) Inject(ctx context.Context, w workflow.HeaderWriter) error {
	ws, err := reporting.WorkspaceOf(ctx)
	if err != nil {
		return nil // a call outside any workspace, such as the sweep's start
	}
	return writeWorkspace(w, ws)
}

// Extract scopes an activity's ctx to the workspace of its run.
func (WorkspacePropagator) Extract(ctx context.Context, r workflow.HeaderReader) (context.Context, error) {
	ws, err := readWorkspace(r)
	if err != nil {
		return nil, err
	}
	return reporting.WithWorkspace(ctx, RunWorkspace(ws)), nil
}

// InjectFromWorkflow writes the run's workspace into the header of what it
// calls: activities, local activities, a continue-as-new.
func (WorkspacePropagator) InjectFromWorkflow(ctx workflow.Context, w workflow.HeaderWriter) error {
	ws, _ := ctx.Value(workflowWorkspaceKey{}).(string)
	if ws == "" {
		return nil
	}
	return writeWorkspace(w, ws)
}

// ExtractToWorkflow keeps the workspace of a run's start header in its
// context.
func (WorkspacePropagator) ExtractToWorkflow(ctx workflow.Context, r workflow.HeaderReader) (workflow.Context, error) {
	ws, err := readWorkspace(r)
	if err != nil || ws == "" {
		return ctx, err
	}
	return workflow.WithValue(ctx, workflowWorkspaceKey{}, ws), nil
}

func writeWorkspace(w workflow.HeaderWriter, ws string) error {
	p, err := converter.GetDefaultDataConverter().ToPayload(ws)
	if err != nil {
		return err
	}
	w.Set(workspaceHeader, p)
	return nil
}

// readWorkspace returns the workspace a header names, "" when none.
func readWorkspace(r workflow.HeaderReader) (string, error) {
	p, ok := r.Get(workspaceHeader)
	if !ok {
		return "", nil
	}
	var ws string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &ws); err != nil {
		return "", err
	}
	return ws, nil
}
