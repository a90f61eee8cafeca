package journey_test

import (
	"errors"
	"testing"

	"journeys/channels"
	"journeys/workflows/journey"
)

func TestMessageFill(t *testing.T) {
	on := &journey.TouchOffer{Journey: true}
	def := journey.Message{ID: "reminder", Channel: channels.Push, Fallback: channels.Email, Template: "remind", Offer: on}
	tests := []struct {
		name  string
		given journey.Message
		want  journey.Message
	}{
		{"left out", journey.Message{}, def},
		{"another template", journey.Message{Template: "nudge"},
			journey.Message{ID: "reminder", Channel: channels.Push, Fallback: channels.Email, Template: "nudge", Offer: on}},
		// A channel of its own keeps no fallback that might be the channel.
		{"another channel", journey.Message{Channel: channels.Email},
			journey.Message{ID: "reminder", Channel: channels.Email, Template: "remind", Offer: on}},
		{"no offer", journey.Message{Offer: &journey.TouchOffer{}},
			journey.Message{ID: "reminder", Channel: channels.Push, Fallback: channels.Email, Template: "remind", Offer: &journey.TouchOffer{}}},
	}
	for _, tt := range tests {
		m := tt.given
		m.Fill(def)
		if m.ID != tt.want.ID || m.Channel != tt.want.Channel || m.Fallback != tt.want.Fallback || m.Template != tt.want.Template || *m.Offer != *tt.want.Offer {
			t.Errorf("%s: filled %+v, want %+v", tt.name, m, tt.want)
		}
	}
}

func TestCheckMessages(t *testing.T) {
	ok := journey.Message{ID: "a", Channel: channels.Push, Template: "t"}
	for _, tt := range []struct {
		ms        map[string]journey.Message
		wantField string
	}{
		{map[string]journey.Message{"first": ok, "second": {ID: "b", Channel: channels.SMS, Template: "t"}}, ""},
		{map[string]journey.Message{"first": ok, "second": ok}, "second.id"},
		{map[string]journey.Message{"b": {ID: "b", Channel: "fax", Template: "t"}, "a": {ID: "a", Channel: channels.Push}}, "a.template"},
	} {
		checkField(t, journey.CheckMessages(tt.ms), tt.wantField)
	}
}

func TestConfigChecks(t *testing.T) {
	first := journey.Errorf("a", "first")
	if err := journey.FirstError(nil, first, journey.Errorf("b", "second")); err != first {
		t.Errorf("FirstError = %v, want the first error", err)
	}
	if err := journey.FirstError(nil, nil); err != nil {
		t.Errorf("FirstError of nothing = %v", err)
	}
	for name, wantErr := range map[string]bool{"activated": false, "": true, " activated": true, string(make([]byte, 101)): true} {
		if err := journey.CheckEvent("event", name); (err != nil) != wantErr {
			t.Errorf("CheckEvent(%q) = %v, want an error: %v", name, err, wantErr)
		}
	}
	for v, wantErr := range map[int]bool{0: false, 100: false, -1: true, 101: true} {
		if err := journey.Percent("p", v); (err != nil) != wantErr {
			t.Errorf("Percent(%d) = %v, want an error: %v", v, err, wantErr)
		}
	}
	ten := 10
	o := journey.Offer{DiscountPercent: &ten, CodePrefix: "X"}
	if got := o.WithDiscount(25).Values().DiscountPercent; got != 25 || *o.DiscountPercent != 10 {
		t.Errorf("WithDiscount(25) = %d and the original %d, want 25 and 10 untouched", got, *o.DiscountPercent)
	}
}

// pricedArm is an arm that checks what it does.
type pricedArm struct {
	journey.Arm
	Percent int
}

func (a pricedArm) Check(field string) error { return journey.Percent(field+".percent", a.Percent) }

func TestCheckArmsChecksWhatArmsDo(t *testing.T) {
	arms := []pricedArm{{journey.Arm{Name: "a", Weight: 1}, 10}, {journey.Arm{Name: "b", Weight: 1}, 120}}
	checkField(t, journey.CheckArms("arms", arms), "arms[1].percent")
	arms[1].Percent = 20
	checkField(t, journey.CheckArms("arms", arms), "")
}

// checkField checks that err is a ConfigError naming want, or nil when
// want is empty.
func checkField(t *testing.T, err error, want string) {
	t.Helper()
	var cerr *journey.ConfigError
	switch {
	case want == "" && err != nil:
		t.Errorf("unexpected error %v", err)
	case want != "" && (!errors.As(err, &cerr) || cerr.Field != want):
		t.Errorf("err = %v, want one naming %s", err, want)
	}
}
