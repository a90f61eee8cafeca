package main

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"journeys/reporting"
)

// bigFlow is a flow of 33 nodes: five blocks of a condition between a
// push and an email, a wait and a split, one block with a loop back
// through a profile update, and an exit named in Persian.
func bigFlow() map[string]any {
	nodes := map[string]any{"done": map[string]any{"type": "exit", "reason": "پایان مسیر"}}
	const blocks = 5
	for k := range blocks {
		next := fmt.Sprintf("c%d", k+1)
		if k == blocks-1 {
			next = "done"
		}
		id := func(p string) string { return fmt.Sprintf("%s%d", p, k) }
		nodes[id("c")] = map[string]any{"type": "condition", "expr": `user.attributes.tier == "gold"`, "then": id("a"), "else": id("b")}
		nodes[id("a")] = map[string]any{"type": "send", "channel": "push", "template": "cart_offer", "offer": true, "next": id("w")}
		nodes[id("b")] = map[string]any{"type": "send", "channel": "email", "template": "cart_offer", "offer": true, "next": id("w")}
		nodes[id("w")] = map[string]any{"type": "wait", "duration": "1s", "next": id("s")}
		other := id("u")
		if k == 2 {
			other = "l2"
			nodes["l2"] = map[string]any{"type": "condition", "expr": `has(user.attributes.looped)`, "then": next, "else": "u2"}
			nodes["u2"] = map[string]any{"type": "update_profile", "set": map[string]any{"looped": true}, "next": "r2"}
			nodes["r2"] = map[string]any{"type": "wait", "duration": "1s", "next": "l2"}
		} else {
			nodes[id("u")] = map[string]any{"type": "update_profile", "set": map[string]any{"block": k}, "next": next}
		}
		nodes[id("s")] = map[string]any{"type": "split", "arms": []map[string]any{
			{"name": "x", "weight": 1, "next": next}, {"name": "y", "weight": 1, "next": other}}}
	}
	return map[string]any{"start": "c0", "nodes": nodes}
}

// flowPage is what the test reads off the flow graph.
type flowPage struct {
	Title, Direction string
	Scripts          int
	Width, Drawn     float64
	Nodes            []struct {
		ID, Reached, Dir string
		Font             float64
		Box              [4]float64
		Texts            [][4]float64
	}
	Links []struct{ From, To, Way, Runs string }
}

const readFlow = `(() => {
	const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
	const h1 = document.querySelector('h1'), svg = document.querySelector('#flow');
	return {
		title: h1.textContent.trim(), direction: getComputedStyle(h1).direction, scripts: document.scripts.length,
		width: Number(svg.getAttribute('width')), drawn: svg.getBoundingClientRect().width,
		nodes: [...svg.querySelectorAll('g.node')].map(g => ({
			id: g.dataset.id, reached: g.dataset.reached, box: box(g.querySelector('rect')),
			dir: getComputedStyle(g.querySelector('.nlabel')).direction,
			font: parseFloat(getComputedStyle(g.querySelector('.nlabel')).fontSize),
			texts: [...g.querySelectorAll('text')].map(box),
		})),
		links: [...svg.querySelectorAll('g.link')].map(g => ({from: g.dataset.from, to: g.dataset.to, way: g.dataset.way, runs: g.dataset.runs})),
	};
})()`

// TestFlowGraphDashboard draws a 33-node flow with a Persian name after
// eight runs went through it, in headless Chromium: every node and link
// carries the report's counts, no two boxes overlap, every line of text
// stays inside its box at a legible size (the graph scrolls rather than
// shrinks), and Persian reads right to left. The screenshot is kept.
func TestFlowGraphDashboard(t *testing.T) {
	browser := chromium(t)
	s := startStack(t)
	const name = "مسیر بزرگ — ۳۳ گره"
	s.mustCall("POST", "/v1/journeys", map[string]any{"id": "big", "name": name, "type": "flow", "goal_event": "purchase",
		"config": bigFlow()}, 201, nil)
	for i := range 8 {
		u := fmt.Sprintf("g%d", i)
		s.mustCall("PUT", "/v1/users/"+u, map[string]any{"email": u + "@example.com", "push_token": "tok-" + u,
			"attributes": map[string]string{"tier": map[bool]string{true: "gold", false: "silver"}[i%3 == 0]}}, 200, nil)
		s.mustCall("POST", "/v1/journeys/big/enrollments", map[string]string{"user_id": u}, 202, nil)
	}
	for i := range 8 {
		s.waitFlow("big", fmt.Sprintf("g%d", i), func(r flowRun) bool { return r.Status != "active" })
	}
	var r reporting.Report
	s.mustCall("GET", "/v1/journeys/big/report", nil, 200, &r)
	if len(r.Nodes) != 33 || r.Nodes[0].Reached != 8 {
		t.Fatalf("report nodes %+v, want 33 with 8 runs at the start", r.Nodes)
	}

	ctx := browse(t, browser, s, "/journeys/big")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("flow"))); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[flowPage](readFlow))
	if err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID("flow-card")))
	if err != nil {
		t.Fatal(err)
	}
	keepScreenshot(t, "dashboard-flow-card.png", "the flow graph as the page shows it", png)
	// The whole graph, for a person to look at: the frame that scrolls it
	// lets it out, in a window as wide as the graph.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(got.Width)+200, 1000),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.flowwrap').style.overflow = 'visible'`)); err != nil {
		t.Fatal(err)
	}
	if png, err = chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID("flow"))); err != nil {
		t.Fatal(err)
	}
	keepScreenshot(t, "dashboard-flow.png", "the whole flow graph", png)

	if got.Title != name || got.Direction != "rtl" || got.Scripts != 0 {
		t.Errorf("page titled %q (%s) with %d scripts, want %q right to left, no script", got.Title, got.Direction, got.Scripts, name)
	}
	if got.Drawn < got.Width-1 {
		t.Errorf("graph drawn %.0f px wide for %.0f: it must scroll, not shrink its text", got.Drawn, got.Width)
	}
	reached := map[string]string{}
	nodes := map[string]reporting.Node{}
	for _, n := range r.Nodes {
		reached[n.ID], nodes[n.ID] = fmt.Sprint(n.Reached), n
	}
	if len(got.Nodes) != 33 {
		t.Errorf("%d nodes drawn, want 33", len(got.Nodes))
	}
	inside := func(in, out [4]float64) bool {
		return in[0] >= out[0]-1 && in[1] >= out[1]-1 && in[2] <= out[2]+1 && in[3] <= out[3]+1
	}
	for i, n := range got.Nodes {
		if n.Reached != reached[n.ID] {
			t.Errorf("node %s shows %s reached, the report %s", n.ID, n.Reached, reached[n.ID])
		}
		if n.Font < 11 {
			t.Errorf("node %s: labels at %.1f px, want 11 or more", n.ID, n.Font)
		}
		for _, text := range n.Texts {
			if !inside(text, n.Box) {
				t.Errorf("node %s: text at %v outside its box %v", n.ID, text, n.Box)
			}
		}
		for _, m := range got.Nodes[i+1:] {
			if n.Box[0] < m.Box[2] && m.Box[0] < n.Box[2] && n.Box[1] < m.Box[3] && m.Box[1] < n.Box[3] {
				t.Errorf("nodes %s %v and %s %v overlap", n.ID, n.Box, m.ID, m.Box)
			}
		}
		if want := map[bool]string{true: "rtl", false: "ltr"}[n.ID == "done"]; n.Dir != want {
			t.Errorf("node %s: label %s, want %s", n.ID, n.Dir, want)
		}
	}
	for _, l := range got.Links {
		from := nodes[l.From]
		want := from.Next[l.To]
		if l.Way != "next" {
			want = from.Branches[l.Way]
		}
		if l.Runs != fmt.Sprint(want) {
			t.Errorf("link %s -%s-> %s shows %s runs, the report %d", l.From, l.Way, l.To, l.Runs, want)
		}
	}
	if loop := nodes["r2"].Next["l2"]; loop == 0 {
		t.Errorf("no run went round the loop r2 → l2: %+v", nodes["r2"])
	}
}
