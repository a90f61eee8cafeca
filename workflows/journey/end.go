package journey

import (
	"encoding/json"
	"fmt"
	"hash/fnv"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"journeys/activities"
	"journeys/reporting"
)

// Converted ends the run as a conversion. The conversion is attributed to
// the last send when the goal came within the journey's conversion window
// after it.
func (j *Run) Converted() (Result, error) {
	rec := j.entry("", reporting.KindConverted, "", "", j.in.GoalEvent)
	rec.Step = 0
	if j.end == nil || j.end.goal == nil {
		return j.finish(reporting.StatusConverted, rec)
	}
	goal := j.end.goal
	rec.Detail = fmt.Sprintf("%s (event %s)", goal.Name, goal.EventID)
	rec.Revenue = revenue(goal.Properties)
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
		rec.Step, rec.StepID, rec.Channel = last.step, last.stepID, last.channel
	}
	return j.finish(reporting.StatusConverted, rec)
}

// Exit ends the run without a conversion, for the given reason, unless a
// goal, an exit event or a removal ended it first.
func (j *Run) Exit(reason string) (Result, error) {
	if j.converted() {
		return j.Converted()
	}
	status := reporting.StatusExited
	if j.end != nil {
		status, reason = j.end.status, j.end.detail
	}
	rec := j.entry("", reporting.KindExited, "", "", reason)
	return j.finish(status, rec)
}

// Ended returns how a run that is Done ends: Converted or Exit.
func (j *Run) Ended() (Result, error) { return j.Exit("") }

func (j *Run) finish(status string, rec activities.RecordInput) (Result, error) {
	j.state.Status = status
	if err := finish(j.ctx, status, rec); err != nil {
		return Result{}, err
	}
	j.upsert(JourneyStatusKey.ValueSet(status))
	j.describe(fmt.Sprintf("%s: %s", status, rec.Detail))
	return Result{Status: status, Reason: rec.Detail}, nil
}

// finish closes the enrollment in the reporting store with its final
// status and the entry that says why.
func finish(ctx workflow.Context, status string, rec activities.RecordInput) error {
	ctx = workflow.WithLocalActivityOptions(ctx, bookkeeping("record "+rec.Kind))
	return workflow.ExecuteLocalActivity(ctx, a.Finish, activities.FinishInput{Status: status, RecordInput: rec}).Get(ctx, nil)
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

// upsert updates the run's search attributes. A failure only makes the run
// harder to find, so it does not stop the journey.
func (j *Run) upsert(updates ...temporal.SearchAttributeUpdate) {
	_ = workflow.UpsertTypedSearchAttributes(j.ctx, updates...)
}

// describe sets what the Temporal UI shows as the run's current details.
func (j *Run) describe(now string) {
	workflow.SetCurrentDetails(j.ctx, j.state.Details(now))
}

// errGone is why a run started by a wake-up signal ends: the enrollment's
// own run had gone from Temporal.
var errGone = temporal.NewNonRetryableApplicationError("the run had gone from Temporal when a signal came for it", "RunGone", nil)

// Workflow is the shape of a journey type's workflow.
type Workflow func(workflow.Context, Input) (Result, error)

// FailOnError closes the enrollment as failed when a journey returns an
// error, so that the reporting store never keeps a dead run active. A run
// started by a wake-up signal (Input.Wake) fails at once, sending nothing.
func FailOnError(run Workflow) Workflow {
	return func(ctx workflow.Context, in Input) (Result, error) {
		res, err := Result{}, errGone
		if !in.Wake {
			res, err = run(ctx, in)
		}
		if err == nil || temporal.IsCanceledError(err) {
			return res, err
		}
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		_ = workflow.UpsertTypedSearchAttributes(dctx, JourneyStatusKey.ValueSet(reporting.StatusFailed))
		rec := activities.RecordInput{
			EnrollmentID: in.EnrollmentID, JourneyID: in.JourneyID, UserID: in.UserID,
			Kind: reporting.KindFailed, Detail: Cause(err), Version: in.Version,
		}
		if ferr := finish(dctx, reporting.StatusFailed, rec); ferr != nil {
			workflow.GetLogger(ctx).Error("close failed enrollment", "error", ferr)
		}
		return Result{Status: reporting.StatusFailed, Reason: Cause(err)}, err
	}
}

// stableHash hashes parts into a number that is the same on every machine
// and replay.
func stableHash(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}
