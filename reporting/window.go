package reporting

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SendWindow holds a journey's sends to the hours a user is awake, in the
// user's own time zone: on Days, from Start to End ("09:00" to "21:00").
// A window whose End is before its Start crosses midnight ("21:00" to
// "02:00" is open late into the next day); its day is the day it opens.
type SendWindow struct {
	Days  []string `json:"days"`
	Start string   `json:"start"`
	End   string   `json:"end"`
}

// Value stores the window as JSON.
func (w SendWindow) Value() (driver.Value, error) { return json.Marshal(w) }

// Scan reads a window stored as JSON.
func (w *SendWindow) Scan(src any) error {
	b, ok := src.([]byte)
	if !ok {
		return errors.New("send window: not stored as JSON")
	}
	return json.Unmarshal(b, w)
}

// Daily returns a window open every day from start to end.
func Daily(start, end string) SendWindow {
	return SendWindow{Days: slices.Clone(weekdays), Start: start, End: end}
}

// weekdays are the names Days takes, in time.Weekday order.
var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Validate reports the first setting of the window that cannot run,
// naming its field.
func (w SendWindow) Validate() error {
	if len(w.Days) == 0 || len(w.Days) > 7 {
		return fmt.Errorf("send_window.days must list 1 to 7 days, such as [\"mon\", \"tue\"]")
	}
	for i, d := range w.Days {
		if !slices.Contains(weekdays, d) {
			return fmt.Errorf("send_window.days[%d] %q is not one of %s", i, d, strings.Join(weekdays, ", "))
		}
	}
	start, err := clock(w.Start)
	if err != nil {
		return fmt.Errorf("send_window.start: %w", err)
	}
	end, err := clock(w.End)
	if err != nil {
		return fmt.Errorf("send_window.end: %w", err)
	}
	if start == end {
		return fmt.Errorf("send_window.end %q is its start; the window would never open", w.End)
	}
	return nil
}

// clock reads a time of day such as "09:30" as minutes after midnight.
func clock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day such as \"09:30\"", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Next returns the first moment at or after t when the window is open in
// loc: t itself when it is open then. It handles daylight-saving changes by
// reading opening times as wall-clock times of each day in loc.
func (w SendWindow) Next(t time.Time, loc *time.Location) time.Time {
	start, err1 := clock(w.Start)
	end, err2 := clock(w.End)
	if err1 != nil || err2 != nil {
		return t
	}
	local := t.In(loc)
	// A window that crosses midnight may have opened the day before.
	for offset := -1; offset <= 8; offset++ {
		day := time.Date(local.Year(), local.Month(), local.Day()+offset, 0, 0, 0, 0, loc)
		if !slices.Contains(w.Days, weekdays[day.Weekday()]) {
			continue
		}
		open := at(day, start, loc)
		closeDay := day
		if end < start {
			closeDay = day.AddDate(0, 0, 1)
		}
		shut := at(closeDay, end, loc)
		switch {
		case !t.Before(shut):
			continue
		case !t.Before(open):
			return t
		default:
			return open
		}
	}
	return t
}

// at is the moment minutes after midnight of day, as a wall clock in loc
// reads it. A time a daylight-saving jump skips is read as the moment just
// after the jump.
func at(day time.Time, minutes int, loc *time.Location) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), minutes/60, minutes%60, 0, 0, loc)
}
