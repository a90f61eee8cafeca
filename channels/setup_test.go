package channels_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"journeys/channels"
	"journeys/channels/channelstest"
)

func rate(r float64) *float64 { return &r }

func TestBuild(t *testing.T) {
	fcm := channelstest.NewFCM(t)
	credentials, err := os.ReadFile(fcm.Credentials(t))
	if err != nil {
		t.Fatal(err)
	}
	good := map[channels.Channel]channels.Setup{
		channels.Push:    {Provider: "fcm", Settings: channels.Settings{Credentials: credentials, BaseURL: fcm.URL}},
		channels.Email:   {Provider: "smtp", Settings: channels.Settings{URL: "smtp://shop@mail.test:587", Password: "pw", From: "Shop <shop@journeys.test>", Rate: rate(3)}},
		channels.SMS:     {Provider: "twilio", Settings: channels.Settings{AccountSID: "AC1", AuthToken: "tok", From: "+15005550006"}},
		channels.Webhook: {Provider: "webhook", Settings: channels.Settings{URL: "https://hooks.test/in", Secret: "s", Rate: rate(0)}},
	}
	want := map[channels.Channel]float64{channels.Push: 500, channels.Email: 3, channels.SMS: 10, channels.Webhook: 0}
	for c, s := range good {
		p, err := channels.Build(c, s)
		if err != nil || p.Sender == nil || p.Name != s.Provider || p.PerSecond != want[c] {
			t.Errorf("Build(%s, %s) = %+v, %v; want a sender at %v a second", c, s.Provider, p, err, want[c])
		}
	}

	tests := []struct {
		channel     channels.Channel
		setup       channels.Setup
		wantSetting string
		wantReason  string
	}{
		{channels.Push, channels.Setup{Provider: "smtp"}, "provider", `"smtp" is not a provider of push; use fcm`},
		{channels.SMS, channels.Setup{Provider: "pigeon"}, "provider", "use kavenegar or twilio"},
		{channels.SMS, channels.Setup{Provider: "kavenegar"}, "api_key", "required for kavenegar"},
		{channels.SMS, channels.Setup{Provider: "kavenegar", Settings: channels.Settings{APIKey: "k", From: "x"}}, "from", "not a setting of kavenegar, which takes api_key, sender, base_url and rate"},
		{channels.SMS, channels.Setup{Provider: "kavenegar", Settings: channels.Settings{APIKey: "k", BaseURL: "api.kavenegar.com"}}, "base_url", "absolute http or https"},
		{channels.SMS, channels.Setup{Provider: "twilio", Settings: channels.Settings{AccountSID: "AC1", AuthToken: "t"}}, "from", "required"},
		{channels.Email, channels.Setup{Provider: "smtp", Settings: channels.Settings{URL: "smtp://mail.test"}}, "from", "required"},
		{channels.Email, channels.Setup{Provider: "smtp", Settings: channels.Settings{URL: "http://mail.test", From: "a@b.test"}}, "url", "scheme"},
		{channels.Email, channels.Setup{Provider: "smtp", Settings: channels.Settings{URL: "smtp://mail.test", From: "not an address"}}, "from", "address"},
		{channels.Email, channels.Setup{Provider: "smtp", Settings: channels.Settings{URL: "smtp://u:p@mail.test", Password: "p2", From: "a@b.test"}}, "password", "given twice"},
		{channels.Email, channels.Setup{Provider: "smtp", Settings: channels.Settings{URL: "smtp://mail.test", From: "a@b.test", Rate: rate(-1)}}, "rate", "not a number"},
		{channels.Push, channels.Setup{Provider: "fcm", Settings: channels.Settings{Credentials: json.RawMessage(`{"type":"service_account"}`)}}, "credentials", "has no project_id"},
		{channels.Push, channels.Setup{Provider: "fcm", Settings: channels.Settings{Credentials: json.RawMessage(`{"project_id":5}`)}}, "credentials", "has no project_id string"},
		{channels.Push, channels.Setup{Provider: "fcm", Settings: channels.Settings{Credentials: json.RawMessage(`[1]`)}}, "credentials", "must be the service account's JSON key"},
		{channels.Push, channels.Setup{Provider: "fcm", Settings: channels.Settings{Credentials: json.RawMessage(`{"project_id":"p","client_email":"a@p.test","private_key":"nope"}`)}}, "credentials", "is not a usable service-account key"},
		{channels.Webhook, channels.Setup{Provider: "webhook", Settings: channels.Settings{Secret: "s"}}, "url", "required"},
		{channels.Webhook, channels.Setup{Provider: "webhook", Settings: channels.Settings{URL: "ftp://x.test", Secret: "s"}}, "url", "absolute http or https"},
	}
	for _, tt := range tests {
		_, err := channels.Build(tt.channel, tt.setup)
		var se *channels.SettingError
		if !errors.As(err, &se) || se.Setting != tt.wantSetting || !strings.Contains(se.Reason, tt.wantReason) {
			t.Errorf("Build(%s, %+v) = %v; want %s: ...%s...", tt.channel, tt.setup, err, tt.wantSetting, tt.wantReason)
		}
	}
}

func TestSealSetup(t *testing.T) {
	s := newSealer(t)
	in := channels.Setup{Provider: "smtp", Settings: channels.Settings{URL: "smtp://shop:hunter2-long-password@mail.test:587", From: "shop@journeys.test", Rate: rate(5)}}
	public, sealed, err := s.SealSetup("shop", channels.Email, in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(public), "hunter2") || strings.Contains(string(sealed), "hunter2") {
		t.Errorf("the password is in plain: settings %s, sealed %q", public, sealed)
	}
	if want := `{"url":"smtp://shop@mail.test:587","from":"shop@journeys.test","rate":5}`; string(public) != want {
		t.Errorf("plain settings = %s, want %s", public, want)
	}
	out, err := s.OpenSetup("shop", channels.Email, "smtp", public, sealed)
	if err != nil {
		t.Fatal(err)
	}
	if out.Settings.Password != "hunter2-long-password" || out.Settings.URL != "smtp://shop@mail.test:587" {
		t.Errorf("opened %+v, want the password back beside the URL", out.Settings)
	}
	if _, err := channels.Build(channels.Email, out); err != nil {
		t.Errorf("the opened setup does not build: %v", err)
	}
	if _, err := s.OpenSetup("rival", channels.Email, "smtp", public, sealed); !errors.Is(err, channels.ErrUnsealed) {
		t.Errorf("another workspace opened the secrets: %v", err)
	}
	if m := out.Settings.Masked(); m.Password != "********word" || m.URL != "smtp://shop@mail.test:587" {
		t.Errorf("masked = %+v, want the password masked to its last four characters", m)
	}
	short := channels.Settings{APIKey: "short", Credentials: json.RawMessage(`{"project_id":"p1","client_email":"a@p1.test","private_key":"KEY"}`)}.Masked()
	if short.APIKey != "********" || string(short.Credentials) != `{"client_email":"a@p1.test","private_key":"********","project_id":"p1"}` {
		t.Errorf("masked = %+v %s", short, short.Credentials)
	}
}
