package activities

import (
	"context"
	"strings"
	"time"

	"journeys/reporting"
)

// RecordInput is one entry for a run's reporting log.
type RecordInput struct {
	EnrollmentID int64
	JourneyID    string
	UserID       string
	// Step numbers the entry in the run's log; StepID names the journey's
	// step it is about ("" for runs of the first kit, and for the run's
	// start and end).
	Step     int
	StepID   string
	Kind     string
	Channel  string
	Template string
	Detail   string
	// Version is the journey config version the run follows.
	Version int
	// Revenue is the goal's revenue, on conversions.
	Revenue *float64
	// At is when it happened; zero means now.
	At time.Time
}

func (in RecordInput) entry() reporting.Entry {
	at := in.At
	if at.IsZero() {
		at = time.Now()
	}
	return reporting.Entry{
		EnrollmentID: in.EnrollmentID, JourneyID: in.JourneyID, UserID: in.UserID,
		Step: in.Step, StepID: in.StepID, Kind: in.Kind, Channel: in.Channel, Template: in.Template,
		Detail: in.Detail, Version: in.Version, Revenue: in.Revenue, At: at.UTC(),
	}
}

// Record appends an entry to the reporting log, once however often it runs.
// Deferred and skipped touches are counted by reason (the detail up to
// its first colon: "send_window", not the time it waits until); a retry of
// a recorded entry counts again, which metrics can bear.
func (a *Activities) Record(ctx context.Context, in RecordInput) error {
	if err := a.Store.Record(ctx, in.entry()); err != nil {
		return err
	}
	if in.Kind == reporting.KindDeferred || in.Kind == reporting.KindSkipped {
		reason, _, _ := strings.Cut(in.Detail, ":")
		a.Metrics.NotSent(in.Kind, reason)
	}
	return nil
}

// FinishInput closes an enrollment.
type FinishInput struct {
	RecordInput
	// Status is the enrollment's final status: converted, exited or failed.
	Status string
}

// Finish closes the enrollment with its final status and logs why.
func (a *Activities) Finish(ctx context.Context, in FinishInput) error {
	if err := a.Store.EndEnrollment(ctx, in.EnrollmentID, in.Status, in.entry()); err != nil {
		return err
	}
	a.Metrics.RunEnded(in.JourneyID, in.Status)
	return nil
}
