package api

import (
	"cmp"
	"fmt"
	"slices"
	"unicode"
	"unicode/utf8"

	"journeys/reporting"
	"journeys/workflows"
)

// A flow is drawn as columns of boxes, left to right: a node stands one
// column right of the furthest node that leads to it (links that close a
// loop aside), so most links go to the next column and the flow reads in
// the order its runs go. Boxes keep their size whatever the flow's: a
// large flow scrolls rather than shrinking its text.
const (
	boxW, boxH   = 190, 76
	colW, rowH   = 270, 104
	graphMargin  = 24
	loopClear    = 36 // how far below the boxes a loop's link runs
	labelRunes   = 28
	parallelStep = 14
)

// flowChart is a flow laid out for the dashboard, with the report's counts.
type flowChart struct {
	W, H int
	// BoxW, BoxH and MidX are every box's size and middle.
	BoxW, BoxH, MidX int
	Boxes            []flowBox
	Links            []flowLinkView
}

// flowBox is one node's box.
type flowBox struct {
	reporting.Node
	Label, FullLabel, LabelDir string
	X, Y, CX                   int
	Start                      bool
}

// flowLinkView is one link, with the runs that took it.
type flowLinkView struct {
	From, To, Way string
	Runs          int
	Path          string
	LX, LY        int
	Loop          bool
}

// newFlowChart lays out graph g with the report's nodes.
func newFlowChart(g workflows.FlowGraph, nodes []reporting.Node) *flowChart {
	counts := map[string]reporting.Node{}
	for _, n := range nodes {
		counts[n.ID] = n
	}
	index := map[string]int{}
	for i, n := range g.Nodes {
		index[n.ID] = i
	}
	col, loops := columns(g, index)

	// Rows: each column's nodes in the order of their predecessors' rows,
	// so that links cross as little as a single pass can make them.
	byCol := map[int][]int{}
	maxCol := 0
	for i := range g.Nodes {
		byCol[col[i]] = append(byCol[col[i]], i)
		maxCol = max(maxCol, col[i])
	}
	row := make([]float64, len(g.Nodes))
	maxRows := 0
	for c := 0; c <= maxCol; c++ {
		ids := byCol[c]
		key := map[int]float64{}
		for _, i := range ids {
			sum, n := 0.0, 0
			for _, l := range g.Links {
				if from := index[l.From]; index[l.To] == i && col[from] < c {
					sum, n = sum+row[from], n+1
				}
			}
			key[i] = float64(i) / 1000 // the graph's order among equals
			if n > 0 {
				key[i] += sum / float64(n)
			}
		}
		slices.SortStableFunc(ids, func(a, b int) int { return cmp.Compare(key[a], key[b]) })
		for r, i := range ids {
			row[i] = float64(r)
		}
		maxRows = max(maxRows, len(ids))
	}

	ch := &flowChart{W: 2*graphMargin + maxCol*colW + boxW, H: 2*graphMargin + (maxRows-1)*rowH + boxH, BoxW: boxW, BoxH: boxH, MidX: boxW / 2}
	for i, n := range g.Nodes {
		// Columns with fewer nodes are centred on the tallest.
		offset := float64(maxRows-len(byCol[col[i]])) * rowH / 2
		b := flowBox{Node: counts[n.ID], X: graphMargin + col[i]*colW, Y: graphMargin + int(offset+row[i]*rowH), Start: n.ID == g.Start}
		b.ID, b.Type = n.ID, n.Type
		b.FullLabel, b.Label, b.LabelDir = n.Label, clipRunes(n.Label, labelRunes), textDir(n.Label)
		b.CX = b.X + boxW/2
		ch.Boxes = append(ch.Boxes, b)
	}
	bottom := ch.H - graphMargin
	seen := map[[2]string]int{}
	for _, l := range g.Links {
		from, to := ch.Boxes[index[l.From]], ch.Boxes[index[l.To]]
		v := flowLinkView{From: l.From, To: l.To, Way: l.Way, Runs: runsTaking(counts[l.From], l)}
		k := seen[[2]string{l.From, l.To}]
		seen[[2]string{l.From, l.To}]++
		if loops[[2]string{l.From, l.To}] || col[index[l.To]] <= col[index[l.From]] {
			// A link back runs below the boxes, from bottom to bottom.
			v.Loop = true
			y := max(from.Y, to.Y) + boxH + loopClear + k*parallelStep
			bottom = max(bottom, y+parallelStep)
			v.Path = fmt.Sprintf("M%d %d C%d %d %d %d %d %d", from.CX, from.Y+boxH, from.CX, y, to.CX, y, to.CX+6, to.Y+boxH)
			v.LX, v.LY = (from.CX+to.CX)/2, y-6
		} else {
			x1, y1 := from.X+boxW, from.Y+boxH/2+k*8
			x2, y2 := to.X, to.Y+boxH/2
			dx := (x2 - x1) / 2
			v.Path = fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, x1+dx, y1, x2-dx, y2, x2, y2)
			v.LX, v.LY = (x1+x2)/2, (y1+y2)/2-4+k*parallelStep
		}
		ch.Links = append(ch.Links, v)
	}
	ch.H = max(ch.H, bottom+graphMargin)
	return ch
}

// columns places each node one column right of the furthest node that
// leads to it, not counting the links that close a loop (which it
// returns): those found going back to a node on the current path of a
// depth-first walk from the start.
func columns(g workflows.FlowGraph, index map[string]int) ([]int, map[[2]string]bool) {
	out := map[int][]int{}
	for _, l := range g.Links {
		out[index[l.From]] = append(out[index[l.From]], index[l.To])
	}
	loops := map[[2]string]bool{}
	state := make([]int, len(g.Nodes)) // 0 unseen, 1 on the path, 2 done
	var order []int                    // reverse topological order of the rest
	var visit func(int)
	visit = func(i int) {
		state[i] = 1
		for _, j := range out[i] {
			switch state[j] {
			case 0:
				visit(j)
			case 1:
				loops[[2]string{g.Nodes[i].ID, g.Nodes[j].ID}] = true
			}
		}
		state[i] = 2
		order = append(order, i)
	}
	for i := range g.Nodes {
		if state[i] == 0 {
			visit(i)
		}
	}
	col := make([]int, len(g.Nodes))
	for k := len(order) - 1; k >= 0; k-- {
		i := order[k]
		for _, j := range out[i] {
			if !loops[[2]string{g.Nodes[i].ID, g.Nodes[j].ID}] {
				col[j] = max(col[j], col[i]+1)
			}
		}
	}
	return col, loops
}

// runsTaking counts the runs that took link l out of node n: the way it
// stands for, for a node that branches; else all that went to its target.
func runsTaking(n reporting.Node, l workflows.FlowLink) int {
	if l.Way != "next" {
		return n.Branches[l.Way]
	}
	return n.Next[l.To]
}

// clipRunes shortens s to n characters, marking the cut with an ellipsis.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// textDir is the direction of s by its first strong character: rtl for
// Arabic, Persian and Hebrew script, ltr otherwise. SVG text takes no
// dir="auto".
func textDir(s string) string {
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Arabic, unicode.Hebrew, unicode.Syriac, unicode.Thaana, unicode.Nko):
			return "rtl"
		case unicode.IsLetter(r):
			return "ltr"
		}
	}
	return "ltr"
}
