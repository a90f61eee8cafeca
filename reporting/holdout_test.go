package reporting

import (
	"fmt"
	"math"
	"testing"
)

func TestInHoldout(t *testing.T) {
	for _, percent := range []int{0, 10, 50} {
		held := 0
		for i := range 10000 {
			user := fmt.Sprintf("u%d", i)
			got := InHoldout(DefaultWorkspace, "cart", user, percent)
			if got != InHoldout(DefaultWorkspace, "cart", user, percent) {
				t.Fatalf("InHoldout(cart, %s, %d) is not stable", user, percent)
			}
			if got {
				held++
			}
		}
		// 10,000 draws: the share lands within 1.5 points of the percent.
		if share := float64(held) / 100; math.Abs(share-float64(percent)) > 1.5 {
			t.Errorf("percent %d: %.2f%% of users held out", percent, share)
		}
	}
	// A larger percent only adds users: the group of 10% is inside the one of 20%.
	for i := range 1000 {
		user := fmt.Sprintf("u%d", i)
		if InHoldout(DefaultWorkspace, "cart", user, 10) && !InHoldout(DefaultWorkspace, "cart", user, 20) {
			t.Fatalf("%s is held out at 10%% but not at 20%%", user)
		}
	}
	// The journey matters: the same users split differently in another one.
	same := 0
	for i := range 1000 {
		user := fmt.Sprintf("u%d", i)
		if InHoldout(DefaultWorkspace, "cart", user, 50) == InHoldout(DefaultWorkspace, "browse", user, 50) {
			same++
		}
	}
	if same > 600 {
		t.Errorf("%d of 1000 users fall in the same group of two journeys; want about half", same)
	}
}

// TestNewcombe checks the interval against the worked examples of
// Newcombe (1998), table II, method 10.
func TestNewcombe(t *testing.T) {
	tests := []struct {
		x1, n1, x2, n2 int
		lo, hi         float64
	}{
		{56, 70, 48, 80, 0.0524, 0.3339},
		{9, 10, 3, 10, 0.1705, 0.8090},
		{5, 56, 0, 29, -0.0381, 0.1926},
		{0, 10, 0, 20, -0.1611, 0.2775},
		{0, 10, 0, 10, -0.2775, 0.2775},
		{10, 10, 0, 20, 0.6791, 1.0000},
		{10, 10, 0, 10, 0.6075, 1.0000},
	}
	for _, tt := range tests {
		lo, hi := newcombe(tt.x1, tt.n1, tt.x2, tt.n2)
		if math.Abs(lo-tt.lo) > 5e-5 || math.Abs(hi-tt.hi) > 5e-5 {
			t.Errorf("newcombe(%d/%d - %d/%d) = [%.4f, %.4f], want [%.4f, %.4f]",
				tt.x1, tt.n1, tt.x2, tt.n2, lo, hi, tt.lo, tt.hi)
		}
	}
}

func TestHoldoutCompare(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name               string
		treatment, control Group
		abs, rel, lo, hi   *float64
		significant        bool
	}{
		{
			name:      "treatment converts more",
			treatment: Group{Enrolled: 80, Converted: 48}, control: Group{Enrolled: 70, Converted: 28},
			abs: f(0.2), rel: f(0.5), lo: f(0.0397), hi: f(0.3465), significant: true,
		},
		{
			name:      "no difference",
			treatment: Group{Enrolled: 10, Converted: 0}, control: Group{Enrolled: 10, Converted: 0},
			abs: f(0), lo: f(-0.2775), hi: f(0.2775),
		},
		{
			name:      "no control yet",
			treatment: Group{Enrolled: 10, Converted: 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := Holdout{Treatment: tt.treatment, Control: tt.control}
			h.compare()
			for _, c := range []struct {
				name      string
				got, want *float64
			}{{"absolute lift", h.AbsoluteLift, tt.abs}, {"relative lift", h.RelativeLift, tt.rel}, {"ci low", h.CILow, tt.lo}, {"ci high", h.CIHigh, tt.hi}} {
				switch {
				case (c.got == nil) != (c.want == nil):
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				case c.got != nil && math.Abs(*c.got-*c.want) > 5e-5:
					t.Errorf("%s = %.4f, want %.4f", c.name, *c.got, *c.want)
				}
			}
			if h.Significant != tt.significant {
				t.Errorf("significant = %v, want %v", h.Significant, tt.significant)
			}
		})
	}
}
