package reporting

import (
	"cmp"
	"slices"
)

// Node is what the runs of a flow did at one of its nodes.
type Node struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Reached counts the runs that entered the node; Visits the times
	// they did, more than Reached when runs loop through it.
	Reached int `json:"reached"`
	Visits  int `json:"visits"`
	// Sends are what became of a send node's sends.
	Sends
	// Branches counts the ways runs left a node that branches: a
	// condition's then and else, a wait for an event's event and timeout,
	// a split's arms.
	Branches map[string]int `json:"branches"`
	// TimedOut counts the runs whose wait for an event timed out.
	TimedOut int `json:"timed_out"`
	// ConvertedAfter counts the runs that went through the node and then
	// converted, and RevenueAfter their goal events' revenue.
	ConvertedAfter int     `json:"converted_after"`
	RevenueAfter   float64 `json:"revenue_after"`
	// Next counts the runs that went from the node to each next node, by
	// id (each time, for runs that loop).
	Next map[string]int `json:"next"`

	first int
}

// nodes lists a flow's nodes, those of refs first in their order, then
// the others the log names in the order runs met them.
func nodes(rows []stepRow, refs []NodeRef) []Node {
	byID := map[string]*Node{}
	get := func(id string) *Node {
		n, ok := byID[id]
		if !ok {
			n = &Node{ID: id, Sends: newSends(), Branches: map[string]int{}, Next: map[string]int{}, first: -1}
			byID[id] = n
		}
		return n
	}
	for i, ref := range refs {
		n := get(ref.ID)
		n.Type, n.first = ref.Type, i
	}
	isNode := map[string]bool{}
	for _, row := range rows {
		if row.Kind == KindNode {
			isNode[row.StepID] = true
		}
	}
	for _, row := range rows {
		if !isNode[row.StepID] && byID[row.StepID] == nil {
			continue // a step of a journey type written in Go
		}
		n := get(row.StepID)
		if n.count(row) {
			continue
		}
		switch row.Kind {
		case KindNode:
			n.Visits += row.N
			n.Type = cmp.Or(n.Type, row.Detail)
		case "reached":
			n.Reached += row.N
		case KindBranch, KindVariant:
			n.Branches[row.Detail] += row.N
			if row.Detail == "timeout" {
				n.TimedOut += row.N
			}
		case "converted_after":
			if row.Detail == "" {
				n.ConvertedAfter += row.N
				n.RevenueAfter = saturate(n.RevenueAfter + float64(row.Revenue))
			}
		case "edge":
			get(row.Detail).Next[row.StepID] += row.N
		}
	}
	out := make([]Node, 0, len(byID))
	for _, n := range byID {
		out = append(out, *n)
	}
	// Listed nodes keep their order; the others follow by id.
	slices.SortFunc(out, func(a, b Node) int {
		if (a.first < 0) != (b.first < 0) {
			return cmp.Compare(b.first, a.first)
		}
		return cmp.Or(cmp.Compare(a.first, b.first), cmp.Compare(a.ID, b.ID))
	})
	return out
}
