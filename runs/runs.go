// Package runs is the client side of journey runs: enrolling users, which
// starts their runs, bringing events (after their answers, see Deliveries)
// and removals to the runs, and starting the sweep of runs Temporal
// closed. The API, entry events and background jobs all go through it;
// the runs themselves, deterministic code, are in workflows.
package runs

import (
	"context"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"

	"journeys/metrics"
	"journeys/reporting"
)

// Temporal is the part of the Temporal client that starts, signals and
// waits for runs.
type Temporal interface {
	ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error)
	SignalWithStartWorkflow(ctx context.Context, workflowID, signalName string, signalArg any, options client.StartWorkflowOptions, workflow any, workflowArgs ...any) (client.WorkflowRun, error)
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg any) error
	GetWorkflow(ctx context.Context, workflowID, runID string) client.WorkflowRun
}

// Store is the part of the reporting store runs use.
type Store interface {
	// Enrolling.
	ClaimEnrollment(ctx context.Context, c reporting.Claim) (reporting.Claimed, bool, error)
	SetEnrollmentRun(ctx context.Context, id int64, runID string, firstStepAt *time.Time) error
	RemoveEnrollment(ctx context.Context, e reporting.Enrollment, reason string) error
	// Events.
	IngestEvent(ctx context.Context, e reporting.Event, redeliverAfter time.Duration) (reporting.Routed, error)
	EventsDelivered(ctx context.Context, keys []reporting.EventKey) error
	ClaimUndeliveredEvents(ctx context.Context, lease, maxLease time.Duration, limit int) ([]reporting.UndeliveredEvent, error)
	EventNotDelivered(ctx context.Context, k reporting.EventKey, reason string, giveUp bool) error
	ActiveEnrollmentsForEvent(ctx context.Context, ev reporting.Event) ([]reporting.Enrollment, error)
	Entries(ctx context.Context, eventID string) (map[string]reporting.EntryOutcome, error)
	RecordEntry(ctx context.Context, eventID, journeyID, userID, outcome, reason string) error
}

// Reconciler ends an active enrollment whose run Temporal has closed,
// reporting whether the run is over (see activities.Reconciler).
type Reconciler interface {
	Reconcile(ctx context.Context, e reporting.Enrollment) (bool, error)
}

// Service enrolls users into journeys and brings events and removals to
// their runs.
type Service struct {
	Store    Store
	Temporal Temporal
	// Reconciler checks the run of an active enrollment before the user is
	// told they are enrolled already, and ends the enrollments of runs an
	// event finds gone; nil trusts the store.
	Reconciler Reconciler
	// Metrics counts enrollments and events; nil counts nothing.
	Metrics *metrics.Metrics
	// Log takes the failures that are left to the sweep; nil is
	// slog.Default().
	Log *slog.Logger
	// Deliveries, when set, brings events to their runs after Ingest
	// returns; nil brings them before.
	Deliveries *Deliveries
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}
