package kitv1

import (
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"journeys/activities"
	"journeys/channels"
	"journeys/reporting"
)

// Converted ends the run as a conversion. The conversion is attributed to
// the last send when the goal came within the journey's conversion window
// after it.
func (j *Journey) Converted() (Result, error) {
	if j.end == nil || j.end.goal == nil {
		return j.finish(reporting.StatusConverted, activities.RecordInput{Kind: reporting.KindConverted, Detail: j.in.GoalEvent})
	}
	goal := j.end.goal
	rec := activities.RecordInput{
		Kind:    reporting.KindConverted,
		Detail:  fmt.Sprintf("%s (event %s)", goal.Name, goal.EventID),
		Revenue: revenue(goal.Properties),
	}
	at := goal.OccurredAt
	if at.IsZero() {
		at = workflow.Now(j.ctx)
	}
	switch last := j.lastSend; {
	case last == nil:
		rec.Detail += " before any send"
	case j.in.ConversionWindow > 0 && at.Sub(last.at) > j.in.ConversionWindow:
		rec.Detail += fmt.Sprintf(" after the %s conversion window", j.in.ConversionWindow)
	default:
		rec.Step, rec.Channel = last.step, string(last.channel)
	}
	return j.finish(reporting.StatusConverted, rec)
}

// Exit ends the run without a conversion, for the given reason, unless an
// exit event or a removal ended it first.
func (j *Journey) Exit(reason string) (Result, error) {
	if j.converted() {
		return j.Converted()
	}
	status := reporting.StatusExited
	if j.end != nil {
		status, reason = j.end.status, j.end.detail
	}
	return j.finish(status, activities.RecordInput{Kind: reporting.KindExited, Detail: reason, Step: j.step})
}

func (j *Journey) finish(status string, rec activities.RecordInput) (Result, error) {
	j.state.Status = status
	j.upsert(JourneyStatusKey.ValueSet(status))
	rec.Version = j.version
	if err := finish(j.ctx, j.in, status, rec); err != nil {
		return Result{}, err
	}
	j.describe(fmt.Sprintf("%s: %s", status, rec.Detail))
	return Result{Status: status, Reason: rec.Detail}, nil
}

// finish closes the enrollment in the reporting store.
func finish(ctx workflow.Context, in Input, status string, rec activities.RecordInput) error {
	ctx = workflow.WithActivityOptions(ctx, recordOptions(rec.Kind))
	rec.EnrollmentID, rec.JourneyID, rec.UserID, rec.At = in.EnrollmentID, in.JourneyID, in.UserID, workflow.Now(ctx)
	return workflow.ExecuteActivity(ctx, a.Finish, activities.FinishInput{Status: status, RecordInput: rec}).Get(ctx, nil)
}

// revenue reads a goal event's revenue property, when it is a number.
func revenue(props map[string]any) *float64 {
	switch v := props["revenue"].(type) {
	case float64:
		return &v
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return &f
		}
	}
	return nil
}

// record appends to the run's reporting log. The activity retries until
// Postgres takes it, so an outage delays the run rather than losing a line.
func (j *Journey) record(kind string, channel channels.Channel, template, detail string, at time.Time) {
	if at.IsZero() {
		at = workflow.Now(j.ctx)
	}
	ctx := workflow.WithActivityOptions(j.ctx, recordOptions(kind))
	in := activities.RecordInput{
		EnrollmentID: j.in.EnrollmentID, JourneyID: j.in.JourneyID, UserID: j.in.UserID,
		Step: j.step, Kind: kind, Channel: string(channel), Template: template, Detail: detail,
		Version: j.version, At: at,
	}
	_ = workflow.ExecuteActivity(ctx, a.Record, in).Get(ctx, nil)
}

func recordOptions(kind string) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		Summary:             "record " + kind,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: time.Minute},
	}
}

// upsert updates the run's search attributes. A failure only makes the run
// harder to find, so it does not stop the journey.
func (j *Journey) upsert(updates ...temporal.SearchAttributeUpdate) {
	_ = workflow.UpsertTypedSearchAttributes(j.ctx, updates...)
}

// describe sets what the Temporal UI shows as the run's current details.
func (j *Journey) describe(now string) {
	workflow.SetCurrentDetails(j.ctx, j.state.Details(now))
}

// failOnError closes the enrollment as failed when a journey returns an
// error, so that the reporting store never keeps a dead run active.
func failOnError(run func(workflow.Context, Input) (Result, error)) func(workflow.Context, Input) (Result, error) {
	return func(ctx workflow.Context, in Input) (Result, error) {
		res, err := run(ctx, in)
		if err == nil || temporal.IsCanceledError(err) {
			return res, err
		}
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		_ = workflow.UpsertTypedSearchAttributes(dctx, JourneyStatusKey.ValueSet(reporting.StatusFailed))
		rec := activities.RecordInput{Kind: reporting.KindFailed, Detail: cause(err), Version: in.Version}
		if ferr := finish(dctx, in, reporting.StatusFailed, rec); ferr != nil {
			workflow.GetLogger(ctx).Error("close failed enrollment", "error", ferr)
		}
		return Result{Status: reporting.StatusFailed, Reason: cause(err)}, err
	}
}

// cause returns the innermost message of an activity error, which is what a
// person reading a timeline wants.
func cause(err error) string {
	var appErr *temporal.ApplicationError
	for err != nil {
		if e, ok := err.(*temporal.ApplicationError); ok {
			appErr = e
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			break
		}
		err = u.Unwrap()
	}
	if appErr != nil {
		return appErr.Message()
	}
	if err != nil {
		return err.Error()
	}
	return "unknown error"
}
