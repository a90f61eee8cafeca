package api

import (
	"encoding/json"
	"fmt"
	"testing"

	"journeys/reporting"
	"journeys/workflows"
)

// TestFlowChartLayout lays out a flow with a branch, a link that skips a
// column and a loop: each node stands right of the furthest node leading
// to it, the loop runs below, no boxes overlap, and links carry the runs
// of the way they stand for.
func TestFlowChartLayout(t *testing.T) {
	config := `{"start": "watch", "nodes": {
		"watch": {"type": "wait_for_event", "event": "checkout_started", "timeout": "1h", "next": "done", "on_timeout": "gold"},
		"gold":  {"type": "condition", "expr": "user.attributes.tier == \"gold\"", "then": "push", "else": "tag"},
		"tag":   {"type": "update_profile", "set": {"x": 1}, "next": "push"},
		"push":  {"type": "send", "channel": "push", "template": "cart_offer", "next": "again"},
		"again": {"type": "wait", "duration": "1h", "next": "gold"},
		"done":  {"type": "exit", "reason": "پایان"}}}`
	g, err := workflows.ReadFlowGraph(json.RawMessage(config))
	if err != nil {
		t.Fatal(err)
	}
	nodes := []reporting.Node{
		{ID: "watch", Branches: map[string]int{"event": 3, "timeout": 7}, Next: map[string]int{"done": 3, "gold": 7}},
		{ID: "gold", Branches: map[string]int{"then": 9, "else": 5}, Next: map[string]int{"push": 9, "tag": 5}},
		{ID: "again", Next: map[string]int{"gold": 7}},
	}
	ch := newFlowChart(g, nodes)

	col := map[string]int{}
	for _, b := range ch.Boxes {
		col[b.ID] = (b.X - graphMargin) / colW
	}
	if got, want := fmt.Sprint(col), "map[again:4 done:1 gold:1 push:3 tag:2 watch:0]"; got != want {
		t.Errorf("columns %s, want %s", got, want)
	}
	runs := map[string]string{}
	for _, l := range ch.Links {
		runs[l.From+">"+l.To] = fmt.Sprintf("%s %d loop=%v", l.Way, l.Runs, l.Loop)
		if l.Loop && l.LY < ch.Boxes[0].Y+boxH {
			t.Errorf("loop %s>%s labelled at y %d, above the boxes' bottom", l.From, l.To, l.LY)
		}
	}
	for link, want := range map[string]string{"watch>done": "event 3 loop=false", "watch>gold": "timeout 7 loop=false",
		"gold>tag": "else 5 loop=false", "again>gold": "next 7 loop=true", "tag>push": "next 0 loop=false"} {
		if runs[link] != want {
			t.Errorf("link %s = %q, want %q", link, runs[link], want)
		}
	}
	for i, a := range ch.Boxes {
		for _, b := range ch.Boxes[i+1:] {
			if a.X < b.X+boxW && b.X < a.X+boxW && a.Y < b.Y+boxH && b.Y < a.Y+boxH {
				t.Errorf("boxes %s (%d,%d) and %s (%d,%d) overlap", a.ID, a.X, a.Y, b.ID, b.X, b.Y)
			}
		}
		if a.X+boxW > ch.W || a.Y+boxH > ch.H {
			t.Errorf("box %s at (%d,%d) outside the %dx%d chart", a.ID, a.X, a.Y, ch.W, ch.H)
		}
	}
	for _, b := range ch.Boxes {
		if b.ID == "done" && (b.LabelDir != "rtl" || b.Label != "پایان") {
			t.Errorf("done's label %q %s, want پایان right to left", b.Label, b.LabelDir)
		}
	}
}
