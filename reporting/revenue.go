package reporting

import (
	"fmt"
	"math"
	"strconv"
)

// Revenue is numeric in the log and in the rollup, so Postgres adds it up
// exactly however large it grows, and every revenue figure of a report is
// one such sum, leaving out values that are not a number (NaN). Reading a
// sum into a report saturates at the largest finite float64 (about
// 1.8e308), so that no data already in the append-only log can make a
// report fail to compute or to encode as JSON.

// revenue is a numeric sum of revenue as a report reads it.
type revenue float64

// revenueRow is one revenue figure of a report: Of says which, "all" (the
// conversions' revenue), "group" (a holdout group's) or "send" (the
// conversions attributed to one send).
type revenueRow struct {
	Of       string  `db:"of"`
	Holdout  bool    `db:"holdout"`
	Step     int     `db:"step"`
	Channel  string  `db:"channel"`
	Template string  `db:"template"`
	Revenue  revenue `db:"revenue"`
}

// Scan reads a numeric, saturating beyond what a float64 holds.
func (r *revenue) Scan(src any) error {
	var f float64
	switch v := src.(type) {
	case nil:
	case float64:
		f = v
	case int64:
		f = float64(v)
	case []byte:
		f = parseRevenue(string(v))
	case string:
		f = parseRevenue(v)
	default:
		return fmt.Errorf("read revenue: unexpected %T", src)
	}
	*r = revenue(saturate(f))
	return nil
}

// parseRevenue reads Postgres's text of a numeric: digits, NaN, Infinity
// or -Infinity. Out of range, ParseFloat returns ±Inf.
func parseRevenue(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// saturate clamps f to the finite float64 range and turns NaN into 0.
func saturate(f float64) float64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f > math.MaxFloat64:
		return math.MaxFloat64
	case f < -math.MaxFloat64:
		return -math.MaxFloat64
	}
	return f
}
