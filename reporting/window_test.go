package reporting_test

import (
	"strings"
	"testing"
	"time"

	"journeys/reporting"
)

func TestSendWindowNext(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	everyDay := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	day := reporting.SendWindow{Days: everyDay, Start: "09:00", End: "21:00"}
	night := reporting.SendWindow{Days: everyDay, Start: "21:00", End: "02:00"}
	weekdays := reporting.SendWindow{Days: []string{"mon", "tue", "wed", "thu", "fri"}, Start: "09:00", End: "17:00"}
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, berlin) }
	tests := []struct {
		name string
		w    reporting.SendWindow
		t    time.Time
		want time.Time
	}{
		{"open", day, at(3, 10, 12, 0), at(3, 10, 12, 0)},
		{"at the opening", day, at(3, 10, 9, 0), at(3, 10, 9, 0)},
		{"at the close", day, at(3, 10, 21, 0), at(3, 11, 9, 0)},
		{"before it opens", day, at(3, 10, 6, 30), at(3, 10, 9, 0)},
		{"across midnight, before midnight", night, at(3, 10, 23, 0), at(3, 10, 23, 0)},
		{"across midnight, after midnight", night, at(3, 11, 1, 30), at(3, 11, 1, 30)},
		{"across midnight, closed", night, at(3, 11, 3, 0), at(3, 11, 21, 0)},
		{"friday evening to monday", weekdays, at(3, 13, 18, 0), at(3, 16, 9, 0)},
		// Berlin's clocks go forward at 02:00 on 29 March 2026 and back at
		// 03:00 on 25 October 2026; 09:00 stays 09:00 on the wall.
		{"spring forward", day, at(3, 28, 22, 0), at(3, 29, 9, 0)},
		{"fall back", day, at(10, 24, 22, 0), at(10, 25, 9, 0)},
	}
	for _, tt := range tests {
		got := tt.w.Next(tt.t, berlin)
		if !got.Equal(tt.want) {
			t.Errorf("%s: Next(%s) = %s, want %s", tt.name, tt.t, got.In(berlin), tt.want)
		}
	}
	if got := day.Next(at(3, 28, 22, 0), berlin).Sub(at(3, 28, 22, 0)); got != 10*time.Hour {
		t.Errorf("the spring-forward night lasts %s, want 10h", got)
	}
}

func TestSendWindowValidate(t *testing.T) {
	for _, tt := range []struct {
		w       reporting.SendWindow
		wantErr string
	}{
		{reporting.SendWindow{Days: []string{"sat"}, Start: "09:00", End: "21:00"}, ""},
		{reporting.SendWindow{Days: nil, Start: "09:00", End: "21:00"}, "send_window.days"},
		{reporting.SendWindow{Days: []string{"saturday"}, Start: "09:00", End: "21:00"}, "send_window.days[0]"},
		{reporting.SendWindow{Days: []string{"sat"}, Start: "9am", End: "21:00"}, "send_window.start"},
		{reporting.SendWindow{Days: []string{"sat"}, Start: "09:00", End: "24:00"}, "send_window.end"},
		{reporting.SendWindow{Days: []string{"sat"}, Start: "09:00", End: "09:00"}, "send_window.end"},
	} {
		err := tt.w.Validate()
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.HasPrefix(err.Error(), tt.wantErr)) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.w, err, tt.wantErr)
		}
	}
}

func TestDaily(t *testing.T) {
	w := reporting.Daily("09:00", "21:00")
	if err := w.Validate(); err != nil || len(w.Days) != 7 {
		t.Errorf("Daily = %+v (%v), want every day", w, err)
	}
	sunday := time.Date(2026, 11, 8, 22, 0, 0, 0, time.UTC)
	if got, want := w.Next(sunday, time.UTC), time.Date(2026, 11, 9, 9, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Next(Sunday 22:00) = %s, want Monday 09:00", got)
	}
}
