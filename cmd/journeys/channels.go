package main

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"

	"journeys/activities"
	"journeys/channels"
)

// channelConfig is how messages leave the service: the provider settings
// of each channel, from the JOURNEYS_* variables in settings.
type channelConfig struct {
	FCMCredentials, FCMBaseURL, FCMRate                          string
	SMTPURL, SMTPFrom, SMTPRate                                  string
	SMSProvider, SMSRate                                         string
	KavenegarAPIKey, KavenegarSender, KavenegarBaseURL           string
	TwilioAccountSID, TwilioAuthToken, TwilioFrom, TwilioBaseURL string
	WebhookURL, WebhookSecret, WebhookRate                       string
}

// channelSettings are the variables of channelConfig, each with its flag.
var channelSettings = []setting{
	{"JOURNEYS_FCM_CREDENTIALS", "fcm-credentials", "", "push: path of the FCM service-account JSON key", func(c *config) *string { return &c.Channels.FCMCredentials }, "dev serve"},
	{"JOURNEYS_FCM_BASE_URL", "fcm-base-url", "", "push: the FCM API root (default https://fcm.googleapis.com)", func(c *config) *string { return &c.Channels.FCMBaseURL }, "dev serve"},
	{"JOURNEYS_FCM_RATE", "fcm-rate", "", fmt.Sprintf("push: messages a second (default %g)", channels.DefaultRates["fcm"]), func(c *config) *string { return &c.Channels.FCMRate }, "dev serve"},
	{"JOURNEYS_SMTP_URL", "smtp-url", "", "email: the SMTP server, smtp://user:pass@host:587", func(c *config) *string { return &c.Channels.SMTPURL }, "dev serve"},
	{"JOURNEYS_SMTP_FROM", "smtp-from", "", "email: the sender, such as \"Shop <noreply@shop.example>\"", func(c *config) *string { return &c.Channels.SMTPFrom }, "dev serve"},
	{"JOURNEYS_SMTP_RATE", "smtp-rate", "", fmt.Sprintf("email: messages a second (default %g)", channels.DefaultRates["smtp"]), func(c *config) *string { return &c.Channels.SMTPRate }, "dev serve"},
	{"JOURNEYS_SMS_PROVIDER", "sms-provider", "", "sms: kavenegar or twilio", func(c *config) *string { return &c.Channels.SMSProvider }, "dev serve"},
	{"JOURNEYS_SMS_RATE", "sms-rate", "", fmt.Sprintf("sms: messages a second (default %g)", channels.DefaultRates["kavenegar"]), func(c *config) *string { return &c.Channels.SMSRate }, "dev serve"},
	{"JOURNEYS_KAVENEGAR_API_KEY", "kavenegar-api-key", "", "sms: the Kavenegar API key", func(c *config) *string { return &c.Channels.KavenegarAPIKey }, "dev serve"},
	{"JOURNEYS_KAVENEGAR_SENDER", "kavenegar-sender", "", "sms: the Kavenegar sending line (default: the account's)", func(c *config) *string { return &c.Channels.KavenegarSender }, "dev serve"},
	{"JOURNEYS_KAVENEGAR_BASE_URL", "kavenegar-base-url", "", "sms: the Kavenegar API root (default https://api.kavenegar.com)", func(c *config) *string { return &c.Channels.KavenegarBaseURL }, "dev serve"},
	{"JOURNEYS_TWILIO_ACCOUNT_SID", "twilio-account-sid", "", "sms: the Twilio account SID", func(c *config) *string { return &c.Channels.TwilioAccountSID }, "dev serve"},
	{"JOURNEYS_TWILIO_AUTH_TOKEN", "twilio-auth-token", "", "sms: the Twilio auth token", func(c *config) *string { return &c.Channels.TwilioAuthToken }, "dev serve"},
	{"JOURNEYS_TWILIO_FROM", "twilio-from", "", "sms: the Twilio number (E.164) or messaging service SID (MG...)", func(c *config) *string { return &c.Channels.TwilioFrom }, "dev serve"},
	{"JOURNEYS_TWILIO_BASE_URL", "twilio-base-url", "", "sms: the Twilio API root (default https://api.twilio.com)", func(c *config) *string { return &c.Channels.TwilioBaseURL }, "dev serve"},
	{"JOURNEYS_WEBHOOK_URL", "webhook-url", "", "webhook: the URL every webhook message is POSTed to", func(c *config) *string { return &c.Channels.WebhookURL }, "dev serve"},
	{"JOURNEYS_WEBHOOK_SECRET", "webhook-secret", "", "webhook: the key of the X-Journeys-Signature HMAC", func(c *config) *string { return &c.Channels.WebhookSecret }, "dev serve"},
	{"JOURNEYS_WEBHOOK_RATE", "webhook-rate", "", fmt.Sprintf("webhook: messages a second (default %g)", channels.DefaultRates["webhook"]), func(c *config) *string { return &c.Channels.WebhookRate }, "dev serve"},
}

// envVars names, for each provider, the variable of each of its settings
// (see channels.Settings), so that an error names what to fix.
var envVars = map[string]map[string]string{
	"fcm":       {"credentials": "JOURNEYS_FCM_CREDENTIALS", "base_url": "JOURNEYS_FCM_BASE_URL", "rate": "JOURNEYS_FCM_RATE"},
	"smtp":      {"url": "JOURNEYS_SMTP_URL", "password": "JOURNEYS_SMTP_URL", "from": "JOURNEYS_SMTP_FROM", "rate": "JOURNEYS_SMTP_RATE"},
	"kavenegar": {"api_key": "JOURNEYS_KAVENEGAR_API_KEY", "sender": "JOURNEYS_KAVENEGAR_SENDER", "base_url": "JOURNEYS_KAVENEGAR_BASE_URL", "rate": "JOURNEYS_SMS_RATE"},
	"twilio":    {"account_sid": "JOURNEYS_TWILIO_ACCOUNT_SID", "auth_token": "JOURNEYS_TWILIO_AUTH_TOKEN", "from": "JOURNEYS_TWILIO_FROM", "base_url": "JOURNEYS_TWILIO_BASE_URL", "rate": "JOURNEYS_SMS_RATE"},
	"webhook":   {"url": "JOURNEYS_WEBHOOK_URL", "secret": "JOURNEYS_WEBHOOK_SECRET", "rate": "JOURNEYS_WEBHOOK_RATE"},
}

// providerVars name the variable that picks or turns on each channel's
// provider.
var providerVars = map[channels.Channel]string{
	channels.Push:    "JOURNEYS_FCM_CREDENTIALS",
	channels.Email:   "JOURNEYS_SMTP_URL",
	channels.SMS:     "JOURNEYS_SMS_PROVIDER",
	channels.Webhook: "JOURNEYS_WEBHOOK_URL",
}

// hints say what turns each channel's provider on.
var hints = map[channels.Channel]string{
	channels.Push:    "JOURNEYS_FCM_CREDENTIALS",
	channels.Email:   "JOURNEYS_SMTP_URL and JOURNEYS_SMTP_FROM",
	channels.SMS:     "JOURNEYS_SMS_PROVIDER",
	channels.Webhook: "JOURNEYS_WEBHOOK_URL and JOURNEYS_WEBHOOK_SECRET",
}

// envProviders builds the deployment's provider of every channel that has
// one, with the rules workspaces' own providers are held to
// (channels.Build). An error names the variable to fix.
func envProviders(cfg channelConfig) (map[channels.Channel]channels.Provider, error) {
	out := map[channels.Channel]channels.Provider{}
	for _, c := range channels.All {
		s, err := envSetup(c, cfg)
		if err != nil || s == nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		p, err := channels.Build(c, *s)
		var se *channels.SettingError
		if errors.As(err, &se) {
			name := envVars[s.Provider][se.Setting]
			if se.Setting == "provider" {
				name = providerVars[c]
			}
			return nil, fmt.Errorf("%s: %s", name, se.Reason)
		}
		if err != nil {
			return nil, err
		}
		out[c] = p
	}
	return out, nil
}

// newSenders builds the sender of every channel from cfg: its provider,
// held to a rate, or the console for a channel with no provider. It logs
// which channel uses what. An error names the variable to fix.
func newSenders(cfg channelConfig, log *slog.Logger) (map[channels.Channel]activities.Sender, error) {
	providers, err := envProviders(cfg)
	if err != nil {
		return nil, err
	}
	out := map[channels.Channel]activities.Sender{}
	for _, c := range channels.All {
		p, ok := providers[c]
		if !ok {
			out[c] = &channels.Console{Log: log.With("sender", "console")}
			log.Warn("channel has no provider: its messages are only logged", "channel", c, "sender", "console", "configure", hints[c])
			continue
		}
		out[c] = channels.Limit(p.Sender, p.PerSecond, max(int(p.PerSecond), 1))
		log.Info("channel ready", "channel", c, "sender", p.Name, "rate_per_second", p.PerSecond)
	}
	return out, nil
}

// sendRates returns the quota of each channel's provider, in messages a
// second: JOURNEYS_*_RATE or the provider's default, 0 (no limit) for a
// channel on the console. Temporal holds each channel's send queue to it
// across all workers (see newWorkerWith).
func sendRates(cfg channelConfig) (map[channels.Channel]float64, error) {
	providers, err := envProviders(cfg)
	if err != nil {
		return nil, err
	}
	out := map[channels.Channel]float64{}
	for c, p := range providers {
		out[c] = max(p.PerSecond, 0)
	}
	return out, nil
}

// envSetup reads channel c's provider settings from cfg: nil when the
// variable that turns the provider on is not set.
func envSetup(c channels.Channel, cfg channelConfig) (*channels.Setup, error) {
	var s channels.Setup
	var r string
	switch c {
	case channels.Push:
		if cfg.FCMCredentials == "" {
			return nil, unusedWithout("JOURNEYS_FCM_CREDENTIALS", map[string]string{"JOURNEYS_FCM_BASE_URL": cfg.FCMBaseURL, "JOURNEYS_FCM_RATE": cfg.FCMRate})
		}
		key, err := os.ReadFile(cfg.FCMCredentials)
		if err != nil {
			return nil, fmt.Errorf("JOURNEYS_FCM_CREDENTIALS: %w", err)
		}
		s, r = channels.Setup{Provider: "fcm", Settings: channels.Settings{Credentials: key, BaseURL: cfg.FCMBaseURL}}, cfg.FCMRate
	case channels.Email:
		if cfg.SMTPURL == "" {
			return nil, unusedWithout("JOURNEYS_SMTP_URL", map[string]string{"JOURNEYS_SMTP_FROM": cfg.SMTPFrom, "JOURNEYS_SMTP_RATE": cfg.SMTPRate})
		}
		s, r = channels.Setup{Provider: "smtp", Settings: channels.Settings{URL: cfg.SMTPURL, From: cfg.SMTPFrom}}, cfg.SMTPRate
	case channels.SMS:
		kavenegar := map[string]string{"JOURNEYS_KAVENEGAR_API_KEY": cfg.KavenegarAPIKey, "JOURNEYS_KAVENEGAR_SENDER": cfg.KavenegarSender, "JOURNEYS_KAVENEGAR_BASE_URL": cfg.KavenegarBaseURL}
		twilio := map[string]string{"JOURNEYS_TWILIO_ACCOUNT_SID": cfg.TwilioAccountSID, "JOURNEYS_TWILIO_AUTH_TOKEN": cfg.TwilioAuthToken, "JOURNEYS_TWILIO_FROM": cfg.TwilioFrom, "JOURNEYS_TWILIO_BASE_URL": cfg.TwilioBaseURL}
		s, r = channels.Setup{Provider: cfg.SMSProvider}, cfg.SMSRate
		switch cfg.SMSProvider {
		case "":
			return nil, unusedWithout("JOURNEYS_SMS_PROVIDER", kavenegar, twilio, map[string]string{"JOURNEYS_SMS_RATE": cfg.SMSRate})
		case "kavenegar":
			s.Settings = channels.Settings{APIKey: cfg.KavenegarAPIKey, Sender: cfg.KavenegarSender, BaseURL: cfg.KavenegarBaseURL}
		case "twilio":
			s.Settings = channels.Settings{AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken, From: cfg.TwilioFrom, BaseURL: cfg.TwilioBaseURL}
		}
	case channels.Webhook:
		if cfg.WebhookURL == "" && cfg.WebhookSecret == "" {
			return nil, unusedWithout("JOURNEYS_WEBHOOK_URL", map[string]string{"JOURNEYS_WEBHOOK_RATE": cfg.WebhookRate})
		}
		s, r = channels.Setup{Provider: "webhook", Settings: channels.Settings{URL: cfg.WebhookURL, Secret: cfg.WebhookSecret}}, cfg.WebhookRate
	}
	if r != "" {
		perSec, err := strconv.ParseFloat(r, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a number of messages a second (0 for no limit)", cmp.Or(envVars[s.Provider]["rate"], "JOURNEYS_SMS_RATE"), r)
		}
		s.Settings.Rate = &perSec
	}
	return &s, nil
}

// unusedWithout is the error for settings given while the variable that
// turns their provider on is not: nil when none of them is set.
func unusedWithout(main string, groups ...map[string]string) error {
	for _, vars := range groups {
		for _, name := range slices.Sorted(maps.Keys(vars)) {
			if vars[name] != "" {
				return fmt.Errorf("%s: required when %s is set", main, name)
			}
		}
	}
	return nil
}

// envProviderNames names the deployment's provider of each channel that has
// one, for workspaces to see which they use.
func envProviderNames(cfg channelConfig) map[channels.Channel]string {
	out := map[channels.Channel]string{}
	for _, c := range channels.All {
		if s, err := envSetup(c, cfg); err == nil && s != nil {
			out[c] = s.Provider
		}
	}
	return out
}

// newSealer returns the sealer of workspaces' provider secrets, nil when no
// key is set.
func newSealer(key string) (*channels.Sealer, error) {
	if key == "" {
		return nil, nil
	}
	b, err := channels.ParseKey(key)
	if err != nil {
		return nil, fmt.Errorf("JOURNEYS_SECRET_KEY: %w", err)
	}
	s, err := channels.NewSealer(b)
	if err != nil {
		return nil, fmt.Errorf("JOURNEYS_SECRET_KEY: %w", err)
	}
	return s, nil
}
