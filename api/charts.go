package api

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"journeys/reporting"
)

// The dashboard's charts are drawn on the server as SVG. Each carries its
// numbers as text and as data- attributes, so that a person can read them
// and a test can check them.

// funnelBar is one row of the funnel chart; the widths are percentages of
// the widest row, the enrollments.
type funnelBar struct {
	Label             string
	Step              int // 0 for the enrolled and converted rows
	Kind              string
	Reached           int
	Sent              int
	Skipped           int
	Failed            int
	SkippedBy         map[string]int
	Width             float64
	SentW, SkippedW   float64
	FailedW, SkippedX float64
	FailedX           float64
}

// funnel lays out enrolled, each step's outcome, and converted.
func funnel(r reporting.Report) []funnelBar {
	top := r.Enrolled
	for _, st := range r.Funnel {
		top = max(top, st.Reached)
	}
	scale := func(n int) float64 {
		if top == 0 {
			return 0
		}
		return math.Round(1000*float64(n)/float64(top)) / 10
	}
	bars := []funnelBar{{Label: "Enrolled", Kind: "enrolled", Reached: r.Enrolled, Width: scale(r.Enrolled)}}
	for _, st := range r.Funnel {
		b := funnelBar{
			Label: fmt.Sprintf("Step %d · %s · %s", st.Step, st.Channel, st.Template), Step: st.Step, Kind: "step",
			Reached: st.Reached, Sent: st.Sent, Skipped: st.Skipped, Failed: st.Failed, SkippedBy: st.SkippedByReason,
			Width: scale(st.Reached), SentW: scale(st.Sent), SkippedW: scale(st.Skipped), FailedW: scale(st.Failed),
		}
		b.SkippedX = b.SentW
		b.FailedX = b.SentW + b.SkippedW
		bars = append(bars, b)
	}
	return append(bars, funnelBar{Label: "Converted", Kind: "converted", Reached: r.Converted, Width: scale(r.Converted)})
}

// seriesChart is the daily series drawn as bars, three a day.
type seriesChart struct {
	W, H, Left, Bottom float64
	Max                int
	First, Last        string
	Series             []series
	// Labels writes each bar's value over it, while there are few days.
	Labels bool
}

type series struct {
	Name string
	Bars []bar
}

// bar is one day's value of a series; Y is its top and Mid its middle.
type bar struct {
	X, Y, W, H, Mid float64
	Day             string
	Value           int
}

// dailyChart plots enrollments, sends and conversions per day.
func dailyChart(days []reporting.Day) seriesChart {
	c := seriesChart{W: 720, H: 240, Left: 40, Bottom: 210, Max: 1}
	if len(days) == 0 {
		return c
	}
	c.First, c.Last = days[0].Day, days[len(days)-1].Day
	for _, d := range days {
		c.Max = max(c.Max, d.Enrolled, d.Sent, d.Converted)
	}
	c.Labels = len(days) <= 31
	group := (c.W - c.Left - 10) / float64(len(days))
	width := min(group*0.8/3, 36)
	pad := (group - 3*width) / 2
	for k, s := range []struct {
		name  string
		value func(reporting.Day) int
	}{
		{"enrolled", func(d reporting.Day) int { return d.Enrolled }},
		{"sent", func(d reporting.Day) int { return d.Sent }},
		{"converted", func(d reporting.Day) int { return d.Converted }},
	} {
		line := series{Name: s.name}
		for i, d := range days {
			v := s.value(d)
			h := round1(float64(v) / float64(c.Max) * (c.Bottom - 20))
			x := c.Left + float64(i)*group + pad + float64(k)*width
			line.Bars = append(line.Bars, bar{
				X: round1(x), W: round1(width), Mid: round1(x + width/2),
				Y: round1(c.Bottom - h), H: h, Day: d.Day, Value: v,
			})
		}
		c.Series = append(c.Series, line)
	}
	return c
}

// holdoutView is the holdout comparison with its bars and interval laid
// out on a scale that holds both rates.
type holdoutView struct {
	reporting.Holdout
	TreatmentW, ControlW float64
	// The interval plot: zero, the lift and its bounds as percentages of
	// the plot's width, which spans at least -10 to +10 points.
	ZeroX, LiftX, LowX, HighX, CIWidth float64
}

func newHoldoutView(h *reporting.Holdout) *holdoutView {
	if h == nil {
		return nil
	}
	v := &holdoutView{Holdout: *h}
	top := max(h.Treatment.ConversionRate, h.Control.ConversionRate)
	if top > 0 {
		v.TreatmentW = round1(100 * h.Treatment.ConversionRate / top)
		v.ControlW = round1(100 * h.Control.ConversionRate / top)
	}
	if h.CILow == nil {
		return v
	}
	span := max(0.1, math.Abs(*h.CILow), math.Abs(*h.CIHigh))
	at := func(x float64) float64 { return round1(50 + 45*x/span) }
	v.ZeroX, v.LiftX, v.LowX, v.HighX = at(0), at(*h.AbsoluteLift), at(*h.CILow), at(*h.CIHigh)
	v.CIWidth = round1(v.HighX - v.LowX)
	return v
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// pct writes a rate as a percentage: 0.1234 is "12.3%".
func pct(rate float64) string { return fmt.Sprintf("%.1f%%", 100*rate) }

// signedPct writes a relative change as a signed percentage.
func signedPct(rate float64) string { return fmt.Sprintf("%+.1f%%", 100*rate) }

// pts writes a difference of rates in percentage points, with its sign.
func pts(diff float64) string { return fmt.Sprintf("%+.1f pts", 100*diff) }

// humanDuration writes seconds as days, hours and minutes.
func humanDuration(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second)).Round(time.Minute)
	days, rest := d/(24*time.Hour), d%(24*time.Hour)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, rest/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh %dm", d/time.Hour, (d%time.Hour)/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%.1fs", seconds)
}

// reasons writes counts by reason, largest first: "holdout 2, no email contact 1".
func reasons(by map[string]int) string {
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if by[a] != by[b] {
			return by[b] - by[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, by[k])
	}
	return strings.Join(parts, ", ")
}
