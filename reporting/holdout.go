package reporting

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
)

// MaxHoldoutPercent is the largest control group a journey may keep.
const MaxHoldoutPercent = 50

// InHoldout reports whether a user's enrollment in a journey belongs to the
// journey's control group: the user's bucket, a hash of the journey and
// user ids taken mod 100, is below percent. The answer depends on nothing
// else, so a user who enters the journey again stays in the same group.
// Other workspaces' users with the same ids fall in groups of their own;
// the default workspace keeps the hash it had, and so its groups.
func InHoldout(workspace, journeyID, userID string, percent int) bool {
	if percent <= 0 {
		return false
	}
	key := journeyID + "\x00" + userID
	if workspace != DefaultWorkspace {
		key = workspace + "\x00" + key
	}
	sum := sha256.Sum256([]byte(key))
	return int(binary.BigEndian.Uint64(sum[:8])%100) < percent
}

// z95 is the standard normal quantile of a two-sided 95% interval.
const z95 = 1.959963984540054

// Group is one arm of a holdout comparison.
type Group struct {
	Enrolled       int     `json:"enrolled"`
	Converted      int     `json:"converted"`
	ConversionRate float64 `json:"conversion_rate"`
	Revenue        float64 `json:"revenue"`
}

// Holdout compares the runs that received the journey (treatment) with the
// control group that only waited.
type Holdout struct {
	// Percent is the journey's holdout_percent now; earlier enrollments
	// may have been split under another.
	Percent   int   `json:"percent"`
	Treatment Group `json:"treatment"`
	Control   Group `json:"control"`
	// Lift is the treatment's against the control's; its relative lift is
	// null while the control has no conversions, the rest until both
	// groups have enrollments.
	Lift
	Method string `json:"ci_method"`
}

// Lift compares a group's conversion rate with a baseline group's.
type Lift struct {
	// AbsoluteLift is the group's conversion rate minus the baseline's.
	AbsoluteLift *float64 `json:"absolute_lift"`
	// RelativeLift is AbsoluteLift over the baseline's rate.
	RelativeLift *float64 `json:"relative_lift"`
	// CILow and CIHigh bound AbsoluteLift with 95% confidence (Newcombe's
	// hybrid score interval).
	CILow  *float64 `json:"ci_low"`
	CIHigh *float64 `json:"ci_high"`
	// Significant is true when the interval excludes zero.
	Significant bool `json:"significant"`
}

// compare fills in the rates, lifts and interval from the groups' counts.
func (h *Holdout) compare() {
	h.Method = "newcombe-wilson"
	t, c := &h.Treatment, &h.Control
	t.ConversionRate, c.ConversionRate = rate(t.Converted, t.Enrolled), rate(c.Converted, c.Enrolled)
	h.Lift = lift(*t, *c)
}

// lift compares g with base; all null while either has no enrollments, and
// the relative lift while base has no conversions.
func lift(g, base Group) Lift {
	var l Lift
	if g.Enrolled == 0 || base.Enrolled == 0 {
		return l
	}
	gr, br := rate(g.Converted, g.Enrolled), rate(base.Converted, base.Enrolled)
	diff := gr - br
	l.AbsoluteLift = &diff
	if base.Converted > 0 {
		rel := diff / br
		l.RelativeLift = &rel
	}
	lo, hi := newcombe(g.Converted, g.Enrolled, base.Converted, base.Enrolled)
	l.CILow, l.CIHigh = &lo, &hi
	l.Significant = lo > 0 || hi < 0
	return l
}

// newcombe returns the 95% confidence interval of p1 - p2, where p1 = x1/n1
// and p2 = x2/n2, by Newcombe's hybrid score method (method 10 of Newcombe,
// "Interval estimation for the difference between independent
// proportions", Statistics in Medicine 1998): it combines the Wilson score
// intervals of the two proportions. Unlike the Wald interval it stays
// inside [-1, 1] and keeps its coverage for small groups and for rates
// near 0 or 1, which is where holdout groups live. n1 and n2 must be
// positive.
func newcombe(x1, n1, x2, n2 int) (lo, hi float64) {
	p1, p2 := float64(x1)/float64(n1), float64(x2)/float64(n2)
	l1, u1 := wilson(x1, n1)
	l2, u2 := wilson(x2, n2)
	d := p1 - p2
	return d - math.Hypot(p1-l1, u2-p2), d + math.Hypot(u1-p1, p2-l2)
}

// wilson returns the 95% Wilson score interval of the proportion x/n.
func wilson(x, n int) (lo, hi float64) {
	p, nf := float64(x)/float64(n), float64(n)
	z2 := z95 * z95
	d := 1 + z2/nf
	center := (p + z2/(2*nf)) / d
	half := z95 / d * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return math.Max(0, center-half), math.Min(1, center+half)
}

func rate(x, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(x) / float64(n)
}
