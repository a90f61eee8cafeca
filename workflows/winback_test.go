package workflows_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"journeys/reporting"
	"journeys/workflows"
	"journeys/workflows/journey"
	"journeys/workflows/journey/kittest"
)

// defaultDiscounts are the winback type's default arms.
var defaultDiscounts = []workflows.WinbackDiscount{
	{Arm: journey.Arm{Name: "ten", Weight: 1}, Percent: 10, VIPPercent: 20},
	{Arm: journey.Arm{Name: "fifteen", Weight: 1}, Percent: 15, VIPPercent: 25},
}

// userInArm returns the id of a user the journey j1 puts in arm.
func userInArm(t *testing.T, arm string) string {
	t.Helper()
	for i := range 1000 {
		id := fmt.Sprintf("lapsed-%d", i)
		if journey.Assign(journey.Input{JourneyID: "j1", UserID: id}, "discount", defaultDiscounts).Name == arm {
			return id
		}
	}
	t.Fatalf("no user falls in arm %s", arm)
	return ""
}

// lapsed is a winback run of a lapsed user of the given tier in the given
// arm, starting at 10:00 UTC, inside the default send window.
func lapsed(t *testing.T, tier, arm string, script ...kittest.At) kittest.Journey {
	u := sara
	u.ID = userInArm(t, arm)
	u.Attributes = json.RawMessage(fmt.Sprintf(`{"first_name":"Sara","tier":%q}`, tier))
	return kittest.Journey{Type: "winback", Profile: u, Store: namedTemplates(u), Script: script,
		StartAt: time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)}
}

func TestWinback(t *testing.T) {
	tests := []struct {
		tier, arm   string
		script      []kittest.At
		wantStatus  string
		wantStory   []string
		wantPercent int
		wantTier    string
	}{
		{"gold", "ten", nil, "exited",
			[]string{"enrolled", "variant:discount", "profile_updated:tier", "sent:winback-vip", "sent:reminder", "exited"}, 20, "vip"},
		{"gold", "fifteen", nil, "exited",
			[]string{"enrolled", "variant:discount", "profile_updated:tier", "sent:winback-vip", "sent:reminder", "exited"}, 25, "vip"},
		{"silver", "ten", nil, "exited",
			[]string{"enrolled", "variant:discount", "profile_updated:tier", "sent:winback", "sent:reminder", "exited"}, 10, "regular"},
		{"silver", "fifteen", nil, "exited",
			[]string{"enrolled", "variant:discount", "profile_updated:tier", "sent:winback", "sent:reminder", "exited"}, 15, "regular"},
		{"gold", "fifteen", []kittest.At{kittest.Event(day, "purchase", map[string]any{"revenue": 80.0})}, "converted",
			[]string{"enrolled", "variant:discount", "profile_updated:tier", "sent:winback-vip", "converted:winback-vip"}, 25, "vip"},
		{"silver", "ten", []kittest.At{kittest.Event(4*day, "purchase", nil)}, "converted",
			[]string{"enrolled", "variant:discount", "profile_updated:tier", "sent:winback", "sent:reminder", "converted:reminder"}, 10, "regular"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s %s", tt.tier, tt.arm, tt.wantStatus), func(t *testing.T) {
			out := lapsed(t, tt.tier, tt.arm, tt.script...).Run(t)
			if out.Result.Status != tt.wantStatus {
				t.Errorf("status = %q, want %q", out.Result.Status, tt.wantStatus)
			}
			if got := out.Store.Story(); !slices.Equal(got, tt.wantStory) {
				t.Errorf("story = %v, want %v", got, tt.wantStory)
			}
			if got := out.Store.Entries()[1].Detail; got != tt.arm {
				t.Errorf("variant entry says %q, want %s", got, tt.arm)
			}
			if want := []string{"discount=" + tt.arm}; !slices.Equal(out.State.Variants, want) {
				t.Errorf("state variants = %v, want %v", out.State.Variants, want)
			}
			for _, m := range out.Outbox.Messages() {
				if want := fmt.Sprintf("%d%% off with %s", tt.wantPercent, m.Data["offer_code"]); m.Data["offer_code"] == "" || !strings.HasSuffix(m.Body, want) {
					t.Errorf("%s message %q, want it to end %q", m.Channel, m.Body, want)
				}
			}
			var attrs map[string]any
			_ = json.Unmarshal(out.Store.Profile(out.Outbox.Messages()[0].UserID).Attributes, &attrs)
			if attrs["winback_tier"] != tt.wantTier || attrs["tier"] != tt.tier {
				t.Errorf("profile attributes = %v, want winback_tier %s beside the rest", attrs, tt.wantTier)
			}
		})
	}
}

func TestWinbackSendsInsideTheWindow(t *testing.T) {
	// Enrolled at 23:00 in Tehran: the offer waits for 09:00 there, and
	// the reminder, due three days later at 09:00 plus jitter, goes at once.
	tehran, _ := time.LoadLocation("Asia/Tehran")
	j := lapsed(t, "silver", "ten")
	j.Profile.Timezone = "Asia/Tehran"
	j.Store = namedTemplates(j.Profile)
	j.StartAt = time.Date(2026, 11, 3, 23, 0, 0, 0, tehran)
	inspected := 0
	j.Script = []kittest.At{
		kittest.Inspect(9*time.Hour+59*time.Minute, func(s journey.State, details string, err error) {
			inspected++
			if err != nil || len(s.Sends) != 0 || !strings.Contains(details, "deferred by the send_window until 2026-11-04T05:30:00Z") {
				t.Errorf("at 08:59: sends %v, details %q; want the offer deferred to 09:00 Tehran time", s.Sends, details)
			}
		}),
	}

	out := j.Run(t)

	if got, want := out.Store.Story(), []string{"enrolled", "variant:discount", "profile_updated:tier", "deferred:winback", "sent:winback", "sent:reminder", "exited"}; !slices.Equal(got, want) {
		t.Errorf("story = %v, want %v", got, want)
	}
	if inspected != 1 || len(out.Outbox.Messages()) != 2 {
		t.Errorf("inspected %d times, sent %d messages; want 1 and 2", inspected, len(out.Outbox.Messages()))
	}
	if got := out.Store.Entries()[3].Detail; got != "send_window: until 2026-11-04T05:30:00Z" {
		t.Errorf("deferral = %q, want until 09:00 Tehran time", got)
	}

	// A journey's own window wins over the type's.
	own := lapsed(t, "silver", "ten")
	own.Input.SendWindow = &reporting.SendWindow{Days: []string{"sat"}, Start: "10:00", End: "12:00"}
	out = own.Run(t) // a Tuesday: the offer waits for Saturday
	if e := out.Store.Entries()[3]; e.Kind != reporting.KindDeferred || e.Detail != "send_window: until 2026-11-07T10:00:00Z" {
		t.Errorf("entry = %s %q, want the offer deferred to Saturday 10:00", e.Kind, e.Detail)
	}
}

func TestWinbackConfig(t *testing.T) {
	tests := []struct {
		config    string
		wantField string
	}{
		{`{}`, ""},
		{`{"vip":"user.attributes.orders > 10","discounts":[{"name":"a","weight":1,"percent":5,"vip_percent":5},{"name":"b","weight":0,"percent":0,"vip_percent":50}]}`, ""},
		{`{"vip":"false"}`, ""},
		{`{"vip":"user.attributes.tier =="}`, "vip"},
		{`{"vip":"user.attributes.tier"}`, ""},
		{`{"vip":"1 + 1"}`, "vip"},
		{`{"discounts":[{"name":"a","weight":1,"percent":5,"vip_percent":10}]}`, "discounts"},
		{`{"discounts":[{"name":"a","weight":1,"percent":5,"vip_percent":10},{"name":"a","weight":1,"percent":5,"vip_percent":10}]}`, "discounts[1].name"},
		{`{"discounts":[{"name":"a","weight":1,"percent":-5,"vip_percent":10},{"name":"b","weight":1,"percent":5,"vip_percent":10}]}`, "discounts[0].percent"},
		{`{"discounts":[{"name":"a","weight":1,"percent":5,"vip_percent":101},{"name":"b","weight":1,"percent":5,"vip_percent":10}]}`, "discounts[0].vip_percent"},
		{`{"message":{"channel":"fax"}}`, "message.channel"},
		{`{"vip_message":{"id":"winback"}}`, "vip_message.id"},
		{`{"reminder":{"after":"0s"}}`, "reminder.after"},
		{`{"reminder":{"after":"48h","channel":"sms","template":"last_call"}}`, ""},
		{`{"final_wait":"forever"}`, "final_wait"},
		{`{"offer":{"code_prefix":"back-"}}`, "offer.code_prefix"},
	}
	typ, _ := workflows.Lookup("winback")
	for _, tt := range tests {
		_, err := typ.Config(json.RawMessage(tt.config))
		checkConfigError(t, tt.config, err, tt.wantField)
	}
	raw, _ := typ.Config(nil)
	plan := typ.Plan(raw)
	if w := plan.SendWindow; w == nil || w.Start != "09:00" || w.End != "21:00" || len(w.Days) != 7 || len(plan.Events) != 0 {
		t.Errorf("plan = %+v, want a daily 09:00 to 21:00 window and no events", plan)
	}
}
