package journey

import (
	"encoding/json"
	"strings"
	"time"
)

// Duration is a wait in a journey config, written as a Go duration string
// such as "24h" or "90m".
type Duration struct {
	time.Duration
	// set says the config gave a value, so that defaults leave it alone.
	set bool
	// invalid keeps text that did not parse, so that validation can name
	// the field it came from.
	invalid string
}

// JSONSchema describes a duration as configs write it.
func (Duration) JSONSchema() map[string]any {
	return map[string]any{"type": "string", "pattern": durationPattern, "examples": []any{"24h", "90m", "0s"}}
}

// durationPattern matches the Go duration strings a config may give: no
// sign, one or more numbers each with its unit.
const durationPattern = `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`

// Hours returns a Duration of n hours.
func Hours(n int) Duration { return Duration{Duration: time.Duration(n) * time.Hour, set: true} }

// IsSet reports whether the config gave the duration.
func (d Duration) IsSet() bool { return d.set }

// MarshalJSON writes the duration as a string in its shortest form: "24h",
// "1h30m", "90s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(Short(d.Duration))
}

// Short writes d as Go does, without the zero units: "24h", "1h30m", "90s".
func Short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// UnmarshalJSON reads a duration string. Text that is not a duration is
// kept and reported by check.
func (d *Duration) UnmarshalJSON(b []byte) error {
	d.set = true
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		d.invalid = string(b)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		d.invalid = s
		return nil
	}
	*d = Duration{Duration: v, set: true}
	return nil
}

// Check reports a duration that did not parse or is not positive.
func (d Duration) Check(field string) error {
	if err := d.parsed(field); err != nil {
		return err
	}
	if d.Duration <= 0 {
		return Errorf(field, "must be a positive duration such as \"24h\"")
	}
	return nil
}

// CheckWait reports a wait that did not parse or is negative; "0s" means
// at once.
func (d Duration) CheckWait(field string) error {
	if err := d.parsed(field); err != nil {
		return err
	}
	if d.Duration < 0 {
		return Errorf(field, "must not be negative; write \"0s\" for at once or a wait such as \"24h\"")
	}
	return nil
}

func (d Duration) parsed(field string) error {
	if d.invalid != "" {
		return Errorf(field, "%q is not a duration; write it like \"24h\" or \"90m\"", d.invalid)
	}
	return nil
}
