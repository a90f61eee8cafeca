package workflows

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"journeys/workflows/journey"
)

// MaxFlowNodes bounds the nodes of a flow.
const MaxFlowNodes = 200

// maxFlowText bounds event names, match properties and exit reasons, as
// event names are bounded everywhere else.
const maxFlowText = 100

// Validate reports the first thing in the flow that cannot run, naming the
// node and field (nodes.push1.next): a node that is not right for its
// type, a link to a node that does not exist, a node no run can reach,
// and a loop a run would go round without ever waiting.
func (c *FlowConfig) Validate() error {
	switch {
	case len(c.Nodes) == 0:
		return journey.Errorf("nodes", "must hold at least one node, such as {\"wait1\": {\"type\": \"wait\", \"duration\": \"24h\", \"next\": \"push1\"}}")
	case len(c.Nodes) > MaxFlowNodes:
		return journey.Errorf("nodes", "has %d nodes; a flow holds at most %d", len(c.Nodes), MaxFlowNodes)
	case c.Start == "":
		return journey.Errorf("start", "is required: the id of the first node")
	}
	if _, ok := c.Nodes[c.Start]; !ok {
		return journey.Errorf("start", "%q is not a node of this flow", c.Start)
	}
	for _, id := range c.ids() {
		if err := c.checkNode(id); err != nil {
			return err
		}
	}
	if err := c.checkReachable(); err != nil {
		return err
	}
	if err := c.checkLoops(); err != nil {
		return err
	}
	return c.Offer.Check("offer")
}

// ids returns the node ids, sorted, so that validation reports the same
// error every time.
func (c *FlowConfig) ids() []string { return slices.Sorted(maps.Keys(c.Nodes)) }

// edge is a link from a node to the next: the setting that holds it, and
// the node it names.
type edge struct {
	field, to string
}

// edges returns the node's links, in the order its settings are written.
func (n FlowNode) edges() []edge {
	switch n.Type {
	case NodeWait, NodeSend, NodeUpdateProfile:
		return []edge{{"next", n.Next}}
	case NodeWaitForEvent:
		return []edge{{"next", n.Next}, {"on_timeout", n.OnTimeout}}
	case NodeCondition:
		return []edge{{"then", n.Then}, {"else", n.Else}}
	case NodeSplit:
		out := make([]edge, len(n.Arms))
		for i, arm := range n.Arms {
			out[i] = edge{fmt.Sprintf("arms[%d].next", i), arm.Next}
		}
		return out
	}
	return nil
}

// waits reports whether the node waits: a loop through it pauses.
func (n FlowNode) waits() bool { return n.Type == NodeWait || n.Type == NodeWaitForEvent }

// checkNode reports the first setting of node id that cannot run.
func (c *FlowConfig) checkNode(id string) error {
	field := "nodes." + id
	if err := journey.CheckStepID(field, id); err != nil {
		return err
	}
	n := c.Nodes[id]
	if err := n.Check(field); err != nil {
		return err
	}
	for _, e := range n.edges() {
		switch _, ok := c.Nodes[e.to]; {
		case e.to == "":
			return journey.Errorf(field+"."+e.field, "is required: the id of the node that comes next")
		case !ok:
			return journey.Errorf(field+"."+e.field, "%q is not a node of this flow", e.to)
		}
	}
	return nil
}

// Check reports the first setting of the node at field that its type
// cannot run with; its links are checked with the flow.
func (n FlowNode) Check(field string) error {
	switch n.Type {
	case NodeWait:
		switch {
		case n.Duration != nil && n.Until != "":
			return journey.Errorf(field+".until", "a wait takes duration or until, not both")
		case n.Duration != nil:
			return n.Duration.Check(field + ".duration")
		case n.Until != "":
			return n.Until.Check(field + ".until")
		}
		return journey.Errorf(field, "a wait needs duration (such as \"24h\") or until (a time of day such as \"09:30\")")
	case NodeWaitForEvent:
		if err := checkText(field+".event", n.Event, true); err != nil {
			return err
		}
		if err := checkText(field+".match", n.Match, false); err != nil {
			return err
		}
		if n.Timeout == nil {
			return journey.Errorf(field+".timeout", "is required: how long to wait for %s, such as \"48h\"", n.Event)
		}
		return n.Timeout.Check(field + ".timeout")
	case NodeCondition:
		if n.Expr == "" {
			return journey.Errorf(field+".expr", "is required: a CEL condition such as user.attributes.tier == \"gold\"")
		}
		return n.Expr.Check(field + ".expr")
	case NodeSplit:
		return journey.CheckArms(field+".arms", n.Arms)
	case NodeSend:
		if n.Message == nil {
			return journey.Errorf(field+".channel", "is required: one of push, email, sms, webhook")
		}
		return n.Message.Check(field)
	case NodeUpdateProfile:
		if len(n.Set) == 0 {
			return journey.Errorf(field+".set", "must set at least one attribute, such as {\"winback_tier\": \"vip\"}")
		}
		for _, name := range slices.Sorted(maps.Keys(n.Set)) {
			if name == "" || name != strings.TrimSpace(name) || len(name) > maxFlowText {
				return journey.Errorf(field+".set", "attribute names must be 1 to %d characters without surrounding spaces, not %q", maxFlowText, name)
			}
		}
		return nil
	case NodeExit:
		return checkText(field+".reason", n.Reason, true)
	}
	return journey.Errorf(field+".type", "%q is not a node type; use one of %s", n.Type, strings.Join(FlowNodeTypes(), ", "))
}

// checkText reports a name at field that is missing (when required), too
// long or has surrounding spaces.
func checkText(field, s string, required bool) error {
	switch {
	case s == "" && required:
		return journey.Errorf(field, "is required")
	case s != strings.TrimSpace(s) || len(s) > maxFlowText:
		return journey.Errorf(field, "%q must have no surrounding spaces and at most %d characters", s, maxFlowText)
	}
	return nil
}

// checkReachable reports the first node no run can reach from the start.
func (c *FlowConfig) checkReachable() error {
	reached := c.reachable()
	for _, id := range c.ids() {
		if !reached[id] {
			return journey.Errorf("nodes."+id, "is not reachable from start %q: link it from another node or remove it", c.Start)
		}
	}
	return nil
}

// checkLoops reports a loop with no wait on it, which a run would go round
// without pause (until the step limit ends it): the link that closes it.
func (c *FlowConfig) checkLoops() error {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(id string) error
	visit = func(id string) error {
		state[id] = onPath
		path = append(path, id)
		for _, e := range c.Nodes[id].edges() {
			if c.Nodes[e.to].waits() {
				continue
			}
			switch state[e.to] {
			case onPath:
				loop := append(slices.Clone(path[slices.Index(path, e.to):]), e.to)
				return journey.Errorf("nodes."+id+"."+e.field, "closes the loop %s, which has no wait on it: add a wait or wait_for_event node to the loop",
					strings.Join(loop, " → "))
			case unseen:
				if err := visit(e.to); err != nil {
					return err
				}
			}
		}
		path = path[:len(path)-1]
		state[id] = done
		return nil
	}
	for _, id := range c.ids() {
		if state[id] == unseen && !c.Nodes[id].waits() {
			if err := visit(id); err != nil {
				return err
			}
		}
	}
	return nil
}
