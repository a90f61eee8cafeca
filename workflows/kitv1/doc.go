// Package kitv1 is the first journey kit, kept as it was for the runs that
// started on it (journey.Input.Kit below journey.Kit2): it gives their
// histories back command for command, which the replay test checks. New
// runs start on the journey kit (workflows/journey). Delete this package
// once no run of it is open: in the Temporal UI, the cart-abandonment runs
// still Running that were started before the journey kit shipped.
package kitv1

import (
	"go.temporal.io/sdk/workflow"

	"journeys/workflows/journey"
)

// The first kit speaks the journey kit's wire formats: the same input,
// signals, query and search attributes.
type (
	Input         = journey.Input
	Result        = journey.Result
	EventSignal   = journey.Event
	ControlSignal = journey.ControlSignal
	State         = journey.State
	SendState     = journey.SendState
	Config        = journey.Config
	ConfigError   = journey.ConfigError
	Duration      = journey.Duration
	Offer         = journey.Offer
)

const (
	EventSignalName   = journey.EventSignalName
	ControlSignalName = journey.ControlSignalName
	StateQueryName    = journey.StateQueryName
	ControlRemove     = journey.ControlRemove
	ControlResume     = journey.ControlResume
	StepEnrolled      = journey.StepEnrolled
)

var (
	JourneyStepKey   = journey.JourneyStepKey
	JourneyStatusKey = journey.JourneyStatusKey
	Hours            = journey.Hours
)

// Workflow is the only workflow type of the first kit.
const Workflow = "CartAbandonment"

// Run runs a cart-abandonment run of the first kit, closing its enrollment
// as failed should it fail, as the first kit always did.
func Run(ctx workflow.Context, in Input) (Result, error) {
	return failOnError(CartAbandonment)(ctx, in)
}
