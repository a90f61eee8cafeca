package api

import (
	"encoding/json"
	"testing"

	"journeys/reporting"
)

func TestImportRowPhones(t *testing.T) {
	columns := []string{"user_id", "phone"}
	for _, tt := range []struct {
		phone, region, want string
	}{
		{"09121234567", "IR", "+989121234567"},
		{"+989121234567", "", "+989121234567"},
		{"09121234567", "", ""}, // no region to read it with: invalid
	} {
		row := importRow(columns, 2, []string{"u1", tt.phone}, tt.region)
		var p importProfile
		_ = json.Unmarshal(row.Profile, &p)
		if tt.want == "" && row.Outcome != reporting.EntryInvalid {
			t.Errorf("%q in %q: %+v, want the row invalid", tt.phone, tt.region, row)
		}
		if tt.want != "" && p.Phone != tt.want {
			t.Errorf("%q in %q: phone %q, want %q", tt.phone, tt.region, p.Phone, tt.want)
		}
	}
}
