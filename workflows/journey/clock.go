package journey

import (
	"regexp"
	"time"
)

// TimeOfDay is a wall-clock time in a journey config, written "09:30"
// (24-hour, minutes always given).
type TimeOfDay string

var timeOfDay = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// JSONSchema describes a time of day as configs write it.
func (TimeOfDay) JSONSchema() map[string]any {
	return map[string]any{"type": "string", "pattern": timeOfDay.String(), "examples": []any{"09:30", "18:00"}}
}

// parse returns the hour and minute, or ok false when t is not a time of
// day.
func (t TimeOfDay) parse() (hour, minute int, ok bool) {
	if !timeOfDay.MatchString(string(t)) {
		return 0, 0, false
	}
	s := string(t)
	return int(s[0]-'0')*10 + int(s[1]-'0'), int(s[3]-'0')*10 + int(s[4]-'0'), true
}

// Check reports a time of day at field that does not read as one.
func (t TimeOfDay) Check(field string) error {
	if _, _, ok := t.parse(); !ok {
		return Errorf(field, "%q is not a time of day; write it like \"09:30\" or \"18:00\"", string(t))
	}
	return nil
}

// Next returns the first moment after now when a clock in loc shows t:
// today's when it is still ahead, else tomorrow's. A time of day that a
// daylight-saving change skips is as long after midnight as it says
// (02:30 on a night clocks jump from 02:00 to 03:00 is 03:30). A time of
// day that is not valid is now itself.
func (t TimeOfDay) Next(now time.Time, loc *time.Location) time.Time {
	hour, minute, ok := t.parse()
	if !ok {
		return now
	}
	local := now.In(loc)
	for day := 0; ; day++ {
		at := time.Date(local.Year(), local.Month(), local.Day()+day, hour, minute, 0, 0, loc)
		if at.Hour() != hour || at.Minute() != minute {
			midnight := time.Date(local.Year(), local.Month(), local.Day()+day, 0, 0, 0, 0, loc)
			at = midnight.Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
		}
		if at.After(now) {
			return at
		}
	}
}

// Location returns the time zone a user's profile names, or UTC when it
// names none, or one this machine does not know. "Local" is UTC too: the
// worker's own zone would make a run depend on the machine it runs on.
func Location(timezone string) *time.Location {
	if timezone == "" || timezone == "Local" {
		return time.UTC
	}
	loc, err := time.LoadLocation(timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}
