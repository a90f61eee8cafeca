package api_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"journeys/api"
	"journeys/channels"
	"journeys/channels/channelstest"
	"journeys/reporting"
)

type channelBody struct {
	Channel   string
	Provider  string
	Source    string
	Settings  map[string]any
	UpdatedAt string `json:"updated_at"`
}

func withSealer(t testing.TB) func(*api.Config) {
	sealer, err := channels.NewSealer(bytes.Repeat([]byte{9}, channels.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return func(c *api.Config) {
		c.Sealer = sealer
		c.EnvProviders = map[channels.Channel]string{channels.Push: "fcm", channels.Email: "smtp"}
	}
}

func TestChannelsAPI(t *testing.T) {
	h := newHarness(t, withSealer(t))
	var all struct{ Channels []channelBody }
	h.mustCall("GET", "/v1/channels", nil, 200, &all)
	if got := fmtChannels(all.Channels); got != "push:fcm:env email:smtp:env sms:console:env webhook:console:env" {
		t.Errorf("GET /v1/channels before any PUT = %s", got)
	}

	var put channelBody
	h.mustCall("PUT", "/v1/channels/sms", map[string]any{"provider": "kavenegar", "settings": map[string]any{
		"api_key": "kv-0123456789-secret-ABCD", "sender": "10004346", "rate": 3}}, 200, &put)
	if put.Provider != "kavenegar" || put.Source != "workspace" || put.Settings["api_key"] != "********ABCD" ||
		put.Settings["sender"] != "10004346" || put.Settings["rate"] != 3.0 || put.UpdatedAt == "" {
		t.Errorf("PUT sms = %+v, want kavenegar with its key masked", put)
	}
	fcm := channelstest.NewFCM(t)
	key, err := os.ReadFile(fcm.Credentials(t))
	if err != nil {
		t.Fatal(err)
	}
	// The key file's text as a string is taken as the JSON it holds.
	h.mustCall("PUT", "/v1/channels/push", map[string]any{"provider": "fcm", "settings": map[string]any{"credentials": string(key)}}, 200, &put)
	if creds, _ := put.Settings["credentials"].(map[string]any); creds["project_id"] != "test-project" || creds["private_key"] != "********" {
		t.Errorf("PUT push = %+v, want the project shown and the private key masked", put.Settings)
	}
	h.mustCall("PUT", "/v1/channels/email", map[string]any{"provider": "smtp", "settings": map[string]any{
		"url": "smtps://shop:mail-password-1234@mail.test", "from": "Shop <shop@journeys.test>"}}, 200, &put)
	if put.Settings["url"] != "smtps://shop@mail.test" || put.Settings["password"] != "********1234" {
		t.Errorf("PUT email = %+v, want the password out of the url, masked", put.Settings)
	}

	h.mustCall("GET", "/v1/channels", nil, 200, &all)
	if got := fmtChannels(all.Channels); got != "push:fcm:workspace email:smtp:workspace sms:kavenegar:workspace webhook:console:env" {
		t.Errorf("GET /v1/channels after the PUTs = %s", got)
	}
	var one channelBody
	h.mustCall("GET", "/v1/channels/sms", nil, 200, &one)
	if one.Settings["api_key"] != "********ABCD" {
		t.Errorf("GET sms = %+v", one)
	}

	// No secret is stored in plain, nor answered whole.
	var dump string
	if err := h.store.DB().Get(&dump, `SELECT string_agg(t::text, ' ') FROM channel_providers t`); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"kv-0123456789-secret", "mail-password", "PRIVATE KEY"} {
		if strings.Contains(dump, secret) {
			t.Errorf("channel_providers holds %q in plain", secret)
		}
	}

	h.mustCall("DELETE", "/v1/channels/sms", nil, 200, &one)
	if one.Provider != "console" || one.Source != "env" {
		t.Errorf("DELETE sms = %+v, want the environment's again", one)
	}
	h.mustCall("DELETE", "/v1/channels/sms", nil, 200, nil)
	if _, err := h.store.ChannelProvider(reporting.WithWorkspace(context.Background(), reporting.DefaultWorkspace), "sms"); err == nil {
		t.Error("the sms provider is still stored")
	}
}

func TestChannelsAPIRefuses(t *testing.T) {
	h := newHarness(t, withSealer(t))
	tests := []struct {
		path   string
		body   string
		status int
		want   string
	}{
		{"/v1/channels/fax", `{"provider":"smtp"}`, 404, `no channel "fax"`},
		{"/v1/channels/push", `{"provider":"smtp"}`, 400, `provider: "smtp" is not a provider of push; use fcm`},
		{"/v1/channels/sms", `{"provider":"kavenegar","settings":{}}`, 400, "settings.api_key: required for kavenegar"},
		{"/v1/channels/sms", `{"provider":"kavenegar","settings":{"api_key":"k","url":"https://x.test"}}`, 400, "settings.url: not a setting of kavenegar"},
		{"/v1/channels/sms", `{"provider":"twilio","settings":{"account_sid":"AC1","auth_token":"t","from":"+1500","rate":-2}}`, 400, "settings.rate: -2 is not a number"},
		{"/v1/channels/sms", `{"provider":"twilio","settings":{"account_sid":"AC1","auth_token":"t","from":"+1500","rate":"fast"}}`, 400, "settings.rate must be a number, not a string"},
		{"/v1/channels/email", `{"provider":"smtp","settings":{"url":"smtp://mail.test","from":"nobody"}}`, 400, "settings.from:"},
		{"/v1/channels/email", `{"provider":"smtp","settings":{"url":"smtp://mail.test","from":"a@b.test","port":25}}`, 400, `unknown field "port"`},
		{"/v1/channels/webhook", `{"provider":"webhook","settings":{"url":"hooks.test","secret":"s"}}`, 400, "settings.url: want an absolute http or https url"},
		{"/v1/channels/webhook", `{"provider":"webhook","settings":{"url":"https://hooks.test/` + strings.Repeat("a", 2100) + `","secret":"s"}}`, 400, "settings.url is 2119 characters long; the limit is 2048"},
		{"/v1/channels/push", `{"provider":"fcm","settings":{"credentials":{"type":"service_account"}}}`, 400, "settings.credentials: has no project_id"},
		{"/v1/channels/push", `{"provider":"fcm","settings":{"credentials":"not json"}}`, 400, "settings.credentials:"},
		{"/v1/channels/push", `[]`, 400, "must be a JSON object"},
	}
	before := h.snapshot()
	for _, tt := range tests {
		var out struct{ Error api.Error }
		got := h.call("PUT", tt.path, tt.body, &out)
		if got != tt.status || !strings.Contains(out.Error.Message, tt.want) {
			t.Errorf("PUT %s %.80s = %d %q, want %d saying %q", tt.path, tt.body, got, out.Error.Message, tt.status, tt.want)
		}
	}
	if h.snapshot() != before {
		t.Error("a refused PUT stored something")
	}

	// Without a key to seal with, nothing is stored and the answer says why.
	bare := newHarness(t)
	var out struct{ Error api.Error }
	got := bare.call("PUT", "/v1/channels/webhook", `{"provider":"webhook","settings":{"url":"https://hooks.test","secret":"s"}}`, &out)
	if got != 503 || !strings.Contains(out.Error.Message, "JOURNEYS_SECRET_KEY") {
		t.Errorf("PUT without a sealing key = %d %q, want 503 naming JOURNEYS_SECRET_KEY", got, out.Error.Message)
	}
}

func fmtChannels(cs []channelBody) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Channel+":"+c.Provider+":"+c.Source)
	}
	return strings.Join(out, " ")
}
