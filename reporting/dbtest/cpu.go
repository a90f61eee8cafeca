package dbtest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// CPUTicks is the machine's CPU time since boot (/proc/stat), busy and in
// all: read before and after, it counts what a benchmark cost Postgres
// along with everything else that ran.
type CPUTicks struct{ Busy, Total float64 }

// MsPerTick is the length of /proc/stat's ticks (USER_HZ, 100 a second on
// Linux).
const MsPerTick = 10

// ReadCPU reads the machine's CPU time since boot.
func ReadCPU() (t CPUTicks, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return t, fmt.Errorf("the machine's CPU time: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	// cpu user nice system idle iowait irq softirq steal guest guest_nice;
	// guest time is counted in user time already.
	fields := strings.Fields(line)
	for i, f := range fields[1:min(9, len(fields))] {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return t, fmt.Errorf("the machine's CPU time: %q: %w", line, err)
		}
		t.Total += v
		if i != 3 && i != 4 {
			t.Busy += v
		}
	}
	return t, nil
}
