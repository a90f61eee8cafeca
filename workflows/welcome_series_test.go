package workflows_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"journeys/reporting"
	"journeys/workflows"
	"journeys/workflows/journey"
	"journeys/workflows/journey/kittest"
)

// welcome is a welcome-series run of sara, entered on her sign-up, with
// the default plan.
func welcome(script ...kittest.At) kittest.Journey {
	j := kittest.Journey{Type: "welcome_series", Profile: sara, Script: script}
	j.Input.Trigger = &journey.Event{EventID: "signup-1", Name: "signed_up"}
	return j
}

func TestWelcomeSeries(t *testing.T) {
	tests := []struct {
		name        string
		script      []kittest.At
		wantStatus  string
		wantStory   []string
		wantElapsed time.Duration
	}{
		{"activated: tips, then a week to buy", []kittest.At{kittest.Event(5*time.Hour, "activated", nil)}, "exited",
			[]string{"enrolled", "sent:welcome", "sent:tips", "exited"}, 5*time.Hour + 7*day},
		{"not activated: a reminder with the offer", nil, "exited",
			[]string{"enrolled", "sent:welcome", "sent:reminder", "exited"}, 3*day + 7*day},
		{"activated too late: the reminder", []kittest.At{kittest.Event(4*day, "activated", nil)}, "exited",
			[]string{"enrolled", "sent:welcome", "sent:reminder", "exited"}, 3*day + 7*day},
		{"another event is not activation", []kittest.At{kittest.Event(time.Hour, "page_view", nil)}, "exited",
			[]string{"enrolled", "sent:welcome", "sent:reminder", "exited"}, 3*day + 7*day},
		{"bought after the tips", []kittest.At{kittest.Event(time.Hour, "activated", nil), kittest.Event(2*day, "purchase", nil)}, "converted",
			[]string{"enrolled", "sent:welcome", "sent:tips", "converted:tips"}, 2 * day},
		{"bought before activating", []kittest.At{kittest.Event(10*time.Hour, "purchase", nil)}, "converted",
			[]string{"enrolled", "sent:welcome", "converted:welcome"}, 10 * time.Hour},
		{"bought after the reminder", []kittest.At{kittest.Event(5*day, "purchase", nil)}, "converted",
			[]string{"enrolled", "sent:welcome", "sent:reminder", "converted:reminder"}, 5 * day},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := welcome(tt.script...).Run(t)
			if out.Result.Status != tt.wantStatus {
				t.Errorf("status = %q, want %q", out.Result.Status, tt.wantStatus)
			}
			if got := out.Store.Story(); !slices.Equal(got, tt.wantStory) {
				t.Errorf("story = %v, want %v", got, tt.wantStory)
			}
			// Waits carry up to 1% of jitter.
			if d := out.Elapsed - tt.wantElapsed; d < 0 || d > tt.wantElapsed/100+time.Minute {
				t.Errorf("ended after %s, want %s", out.Elapsed, tt.wantElapsed)
			}
		})
	}
}

func TestWelcomeSeriesOffersOnlyInTheReminder(t *testing.T) {
	for _, tt := range []struct {
		name   string
		script []kittest.At
		second string
		code   bool
	}{
		{"activated", []kittest.At{kittest.Event(time.Hour, "activated", nil)}, "welcome_tips", false},
		{"not activated", nil, "welcome_reminder", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			j := welcome(tt.script...)
			j.Store = namedTemplates(sara)
			out := j.Run(t)
			sent := out.Outbox.Messages()
			if len(sent) != 2 {
				t.Fatalf("sent %d messages, want 2", len(sent))
			}
			if sent[0].Body != "welcome: no offer" || sent[0].Channel != "email" || sent[0].Data["offer_code"] != "" {
				t.Errorf("first message = %q on %s with code %q, want the welcome by email without a code", sent[0].Body, sent[0].Channel, sent[0].Data["offer_code"])
			}
			code := sent[1].Data["offer_code"]
			want := tt.second + ": no offer"
			if tt.code {
				want = tt.second + ": 10% off with " + code
			}
			if sent[1].Body != want || (code != "") != tt.code || (tt.code && !strings.HasPrefix(code, "WELCOME-")) {
				t.Errorf("second message = %q with code %q, want %q", sent[1].Body, code, want)
			}
		})
	}
}

func TestWelcomeSeriesActivationEventIsRouted(t *testing.T) {
	typ, _ := workflows.Lookup("welcome_series")
	raw, err := typ.Config(json.RawMessage(`{"activation_event":"first_lesson","activation_wait":"24h"}`))
	if err != nil {
		t.Fatal(err)
	}
	plan := typ.Plan(raw)
	if !slices.Equal(plan.Events, []string{"first_lesson"}) || plan.FirstWait != 0 || plan.SendWindow != nil {
		t.Errorf("plan = %+v, want it to listen for first_lesson, start at once, at any hour", plan)
	}
	if want := []string{"welcome", "welcome_reminder", "welcome_tips"}; !slices.Equal(plan.Templates, want) {
		t.Errorf("templates = %v, want %v", plan.Templates, want)
	}

	j := welcome(kittest.Event(2*time.Hour, "first_lesson", nil))
	j.Config = `{"activation_event":"first_lesson","activation_wait":"24h"}`
	if got, want := j.Run(t).Store.Story(), []string{"enrolled", "sent:welcome", "sent:tips", "exited"}; !slices.Equal(got, want) {
		t.Errorf("story = %v, want %v", got, want)
	}
}

func TestWelcomeSeriesConfig(t *testing.T) {
	tests := []struct {
		config    string
		wantField string
	}{
		{`{}`, ""},
		{`{"welcome":{"template":"hello","channel":"push"},"tips":{"id":"tips-push","channel":"push","template":"t"}}`, ""},
		{`{"reminder":{"offer":false}}`, ""},
		{`{"reminder":{"offer":{"discount_percent":30}}}`, ""},
		{`{"welcome":{"channel":"fax"}}`, "welcome.channel"},
		{`{"tips":{"id":"welcome"}}`, "welcome.id"},
		{`{"reminder":{"condition":"user.attributes.plan =="}}`, "reminder.condition"},
		{`{"reminder":{"offer":{"discount_percent":130}}}`, "reminder.offer.discount_percent"},
		{`{"activation_event":" activated"}`, "activation_event"},
		{`{"activation_wait":"0s"}`, "activation_wait"},
		{`{"activation_wait":"soon"}`, "activation_wait"},
		{`{"final_wait":"-1h"}`, "final_wait"},
		{`{"offer":{"code_prefix":"hi"}}`, "offer.code_prefix"},
		{`{"goal":"purchase"}`, "goal"},
	}
	typ, _ := workflows.Lookup("welcome_series")
	for _, tt := range tests {
		_, err := typ.Config(json.RawMessage(tt.config))
		checkConfigError(t, tt.config, err, tt.wantField)
	}
}

// namedTemplates is a store whose templates say their id and the offer,
// or that there is none.
func namedTemplates(users ...reporting.User) *kittest.Store {
	s := kittest.NewStore(users...)
	s.TemplateFn = func(id string, _ []string) (reporting.Template, error) {
		return reporting.Template{ID: id, Locale: "en", Title: id,
			Body: id + ": {{with .Offer.Code}}{{$.Offer.DiscountPercent}}% off with {{.}}{{else}}no offer{{end}}"}, nil
	}
	return s
}

// checkConfigError checks that err names wantField, or is nil when
// wantField is empty.
func checkConfigError(t *testing.T, config string, err error, wantField string) {
	t.Helper()
	var cerr *journey.ConfigError
	switch {
	case wantField == "" && err != nil:
		t.Errorf("%s: unexpected error %v", config, err)
	case wantField != "" && !errors.As(err, &cerr):
		t.Errorf("%s: err = %v, want a ConfigError", config, err)
	case wantField != "" && cerr.Field != wantField:
		t.Errorf("%s: field = %q, want %q (%v)", config, cerr.Field, wantField, err)
	}
}
