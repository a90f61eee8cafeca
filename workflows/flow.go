package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"journeys/workflows/journey"
)

// FlowConfig is a journey the panel builds as a graph of steps: a run
// starts at Start and goes from node to node until an exit node, the goal,
// an exit event or a removal ends it. A node's id is its step id: the
// timeline, the report's funnel, the sends' idempotency keys and the
// JourneyStep search attribute name the node.
type FlowConfig struct {
	// Start is the id of the first node.
	Start string `json:"start"`
	// Offer is the discount send nodes carry when they say "offer": true.
	Offer journey.Offer `json:"offer"`
	// Nodes are the steps, by id.
	Nodes FlowNodes `json:"nodes"`
}

// FlowNodes are the nodes of a flow, by id.
type FlowNodes map[string]FlowNode

// Node types.
const (
	NodeWait          = "wait"
	NodeWaitForEvent  = "wait_for_event"
	NodeCondition     = "condition"
	NodeSplit         = "split"
	NodeSend          = "send"
	NodeUpdateProfile = "update_profile"
	NodeExit          = "exit"
)

// FlowNode is one step of a flow. Type decides which of the other
// settings it takes (see FlowNodeFields).
type FlowNode struct {
	Type string `json:"type"`
	// Duration or Until is how long a wait node waits for the goal: a
	// duration, or until a time of day on the user's clock.
	Duration *journey.Duration `json:"duration,omitempty"`
	Until    journey.TimeOfDay `json:"until,omitempty"`
	// Event, Match, Timeout and OnTimeout are a wait_for_event node: the
	// event it waits for, the entry event's property that must match,
	// how long it waits, and where a run goes when the event did not come.
	Event     string            `json:"event,omitempty"`
	Match     string            `json:"match,omitempty"`
	Timeout   *journey.Duration `json:"timeout,omitempty"`
	OnTimeout string            `json:"on_timeout,omitempty"`
	// Expr, Then and Else are a condition node: a CEL expression over user,
	// event and journey, and where runs it holds and does not hold for go.
	Expr journey.Condition `json:"expr,omitempty"`
	Then string            `json:"then,omitempty"`
	Else string            `json:"else,omitempty"`
	// Arms are a split node's weighted arms; a user always takes the same.
	Arms []FlowArm `json:"arms,omitempty"`
	// Message is what a send node sends; its step id is the node's.
	*journey.Message
	// Set is the attributes an update_profile node sets on the profile.
	Set map[string]any `json:"set,omitempty"`
	// Reason is why an exit node ends the run.
	Reason string `json:"reason,omitempty"`
	// Next is the node that comes after a wait, a send, a profile update,
	// or an awaited event that came.
	Next string `json:"next,omitempty"`
}

// FlowArm is one arm of a split node: its name, its share of users, and
// the node its users go to.
type FlowArm struct {
	journey.Arm
	Next string `json:"next"`
}

// Defaults fills in the journey's offer.
func (c *FlowConfig) Defaults() { c.Offer.Defaults() }

// Pinned says a run keeps the flow it started with: a change to the graph
// reaches only the runs that start after it.
func (c *FlowConfig) Pinned() bool { return true }

// Events lists the events wait_for_event nodes wait for, sorted.
func (c *FlowConfig) Events() []string {
	var out []string
	for _, n := range c.Nodes {
		if n.Type == NodeWaitForEvent {
			out = append(out, n.Event)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Variants names each split node's arms, by node id.
func (c *FlowConfig) Variants() map[string][]string {
	var out map[string][]string // nil without splits, as for types without variants
	for id, n := range c.Nodes {
		if n.Type == NodeSplit {
			if out == nil {
				out = map[string][]string{}
			}
			out[id] = journey.ArmNames(n.Arms)
		}
	}
	return out
}

// FirstWait is the start node's wait when it waits a duration.
func (c *FlowConfig) FirstWait() time.Duration {
	if n := c.Nodes[c.Start]; n.Type == NodeWait && n.Duration != nil {
		return n.Duration.Duration
	}
	return 0
}

// MaxFlowSteps bounds the nodes one run goes through, so that a flow
// looping through waits for ever still ends.
const MaxFlowSteps = 1000

// StepLimitReason is the exit reason of a run that reached MaxFlowSteps.
var StepLimitReason = fmt.Sprintf("step_limit: went through %d steps without reaching an exit", MaxFlowSteps)

// Flow runs a flow: from the start node, each node does its step and
// names the next, until an exit node, the goal, an exit event or a
// removal ends the run.
func Flow(ctx workflow.Context, in journey.Input) (journey.Result, error) {
	j, cfg, err := journey.Start[FlowConfig](ctx, in)
	if err != nil {
		return journey.Result{}, err
	}
	// Runs started before flows logged their path walk it unlogged.
	logged := j.Changed(flowPathChange)
	id := cfg.Start
	for steps := 0; !j.Done(); steps++ {
		n, ok := cfg.Nodes[id]
		switch {
		case steps == MaxFlowSteps:
			return j.Exit(StepLimitReason)
		case !ok:
			return journey.Result{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("the flow has no node %q", id), "InvalidConfig", nil)
		}
		if logged {
			j.Enter(id, n.Type)
		}
		if n.Type == NodeExit {
			return j.Exit(n.Reason)
		}
		next, way := n.step(j, id, cfg.Offer)
		if logged && way != "" {
			j.Took(id, way)
		}
		id = next
	}
	return j.Ended()
}

// flowPathChange is the change id of flows logging the nodes a run enters
// and the way it leaves the branching ones.
const flowPathChange = "flow-path-log"

// Ways a run leaves a node that can branch, as Took records them.
const (
	WayThen    = "then"
	WayElse    = "else"
	WayEvent   = "event"
	WayTimeout = "timeout"
)

// step does what node id does for the run and returns the next node, and
// for a node that branches, the way the run took.
func (n FlowNode) step(j *journey.Run, id string, offer journey.Offer) (next, way string) {
	switch n.Type {
	case NodeWait:
		if n.Until != "" {
			j.WaitUntilLocal(n.Until)
		} else {
			j.WaitForGoal(n.Duration.Duration)
		}
		return n.Next, ""
	case NodeWaitForEvent:
		var match []string
		if n.Match != "" {
			match = []string{n.Match}
		}
		if _, ok := j.WaitForEvent(n.Event, n.Timeout.Duration, match...); ok {
			return n.Next, WayEvent
		}
		return n.OnTimeout, WayTimeout
	case NodeCondition:
		if j.Check(n.Expr) {
			return n.Then, WayThen
		}
		return n.Else, WayElse
	case NodeSplit:
		return journey.Variant(j, id, n.Arms).Next, ""
	case NodeSend:
		m := *n.Message
		m.ID = id
		j.Send(m, offer)
		return n.Next, ""
	case NodeUpdateProfile:
		j.UpdateProfile(id, n.Set)
		return n.Next, ""
	}
	return "", ""
}
