package workflows

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"journeys/workflows/journey"
)

// FlowGraph is a flow as reports and the dashboard draw it: its nodes in
// the order runs meet them, and the links between them.
type FlowGraph struct {
	Start string
	Nodes []FlowGraphNode
	Links []FlowLink
}

// FlowGraphNode is one node of a FlowGraph, with a few words on what it
// does: "24h", "push cart_offer", "checkout_started within 48h".
type FlowGraphNode struct {
	ID, Type, Label string
}

// FlowLink is a link of a flow from a node to the next, with the way runs
// take it: next, then, else, event, timeout or an arm's name, the way the
// report's node branches count.
type FlowLink struct {
	From, To, Way string
}

// ReadFlowGraph reads the graph of a flow's config, as the journey stores
// it.
func ReadFlowGraph(raw json.RawMessage) (FlowGraph, error) {
	var c FlowConfig
	if err := json.Unmarshal(raw, &c); err != nil {
		return FlowGraph{}, fmt.Errorf("read flow config: %w", err)
	}
	g := FlowGraph{Start: c.Start}
	for _, id := range c.order() {
		n := c.Nodes[id]
		g.Nodes = append(g.Nodes, FlowGraphNode{ID: id, Type: n.Type, Label: n.label()})
		for i, e := range n.edges() {
			g.Links = append(g.Links, FlowLink{From: id, To: e.to, Way: n.way(i, e)})
		}
	}
	return g, nil
}

// order lists the node ids from Start, breadth first, each node's links
// in the order it writes them; nodes no run can reach follow by id.
func (c *FlowConfig) order() []string {
	out := c.walk()
	reached := c.reachable()
	for _, id := range c.ids() {
		if !reached[id] {
			out = append(out, id)
		}
	}
	return out
}

// walk lists the nodes a run can reach from Start, breadth first.
func (c *FlowConfig) walk() []string {
	seen := map[string]bool{}
	var out []string
	for queue := []string{c.Start}; len(queue) > 0; queue = queue[1:] {
		n, ok := c.Nodes[queue[0]]
		if !ok || seen[queue[0]] {
			continue
		}
		seen[queue[0]] = true
		out = append(out, queue[0])
		for _, e := range n.edges() {
			queue = append(queue, e.to)
		}
	}
	return out
}

// reachable is the set of nodes a run can reach from Start.
func (c *FlowConfig) reachable() map[string]bool {
	out := map[string]bool{}
	for _, id := range c.walk() {
		out[id] = true
	}
	return out
}

// way names the way runs take the node's i-th link, e, as Took and
// Variant record it.
func (n FlowNode) way(i int, e edge) string {
	switch n.Type {
	case NodeCondition:
		return e.field // then, else
	case NodeWaitForEvent:
		if e.field == "on_timeout" {
			return WayTimeout
		}
		return WayEvent
	case NodeSplit:
		return n.Arms[i].Name
	}
	return "next"
}

// label says in a few words what the node does.
func (n FlowNode) label() string {
	switch n.Type {
	case NodeWait:
		if n.Until != "" {
			return "until " + string(n.Until)
		}
		return journey.Short(n.Duration.Duration)
	case NodeWaitForEvent:
		return fmt.Sprintf("%s within %s", n.Event, journey.Short(n.Timeout.Duration))
	case NodeCondition:
		return string(n.Expr)
	case NodeSplit:
		var arms []string
		for _, a := range n.Arms {
			arms = append(arms, fmt.Sprintf("%s %d", a.Name, a.Weight))
		}
		return strings.Join(arms, " / ")
	case NodeSend:
		if n.Message != nil {
			return fmt.Sprintf("%s %s", n.Channel, n.Template)
		}
	case NodeUpdateProfile:
		return strings.Join(slices.Sorted(maps.Keys(n.Set)), ", ")
	case NodeExit:
		return n.Reason
	}
	return ""
}
