package channels_test

import (
	"strings"
	"testing"

	"journeys/channels"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		raw, region, want string
	}{
		{"09121234567", "IR", "+989121234567"},
		{"0912 123 4567", "ir", "+989121234567"},
		{"9121234567", "IR", "+989121234567"},
		{"+989121234567", "IR", "+989121234567"},
		{"+98 912 123 4567", "", "+989121234567"},
		{"00989121234567", "IR", "+989121234567"},
		{"۰۹۱۲۱۲۳۴۵۶۷", "IR", "+989121234567"}, // Persian digits, as people type them
		{"(415) 555-2671", "US", "+14155552671"},
		{"+44 20 7946 0958", "US", "+442079460958"},
		{"+15005550006", "", "+15005550006"},
	}
	for _, tt := range tests {
		got, err := channels.NormalizePhone(tt.raw, tt.region)
		if err != nil || got != tt.want {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q", tt.raw, tt.region, got, err, tt.want)
		}
	}
	for _, tt := range []struct{ raw, region, want string }{
		{"09121234567", "", "international form"},
		{"hello", "IR", "not a phone number"},
		{"+999 1234567", "", "no country code"},
		{"0912", "IR", "length"},
		{"+98912123456789012", "", "length"},
	} {
		if got, err := channels.NormalizePhone(tt.raw, tt.region); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want an error saying %q", tt.raw, tt.region, got, err, tt.want)
		}
	}
	if !channels.KnownRegion("ir") || channels.KnownRegion("XX") {
		t.Error("KnownRegion: want IR known and XX not")
	}
}
