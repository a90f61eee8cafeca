package journey

import (
	"journeys/activities"
	"journeys/reporting"
)

// Enter records that the run reached node id of a journey drawn as a
// graph (a flow), as a step of its own, with what the node is (its type).
// The log then holds the path each run took, from which reports count the
// runs that reached each node and the way they went from node to node.
// Entering a node changes nothing else of the run: its steps are numbered
// and timed as in a journey type written in Go. The entries Enter and Took
// write number the nodes entered instead (1 for the first), so the path
// reads in order however the steps inside the nodes are numbered.
func (j *Run) Enter(id, what string) {
	if j.drain(); j.end != nil {
		return
	}
	j.nodes++
	j.record(j.node(id, reporting.KindNode, what))
}

// Took records which way the run left node id, the node it entered last:
// a condition's "then" or "else", a wait for an event that came ("event")
// or did not ("timeout"). A run that is ending took no way.
func (j *Run) Took(id, way string) {
	if j.drain(); j.end != nil {
		return
	}
	j.record(j.node(id, reporting.KindBranch, way))
}

// node is the log entry of the node the run entered last.
func (j *Run) node(id, kind, detail string) activities.RecordInput {
	rec := j.entry(id, kind, "", "", detail)
	rec.Step = j.nodes
	return rec
}
