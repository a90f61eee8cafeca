package main

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/mail"
	"net/url"
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
	{"JOURNEYS_FCM_RATE", "fcm-rate", "", fmt.Sprintf("push: messages a second (default %d)", defaultFCMRate), func(c *config) *string { return &c.Channels.FCMRate }, "dev serve"},
	{"JOURNEYS_SMTP_URL", "smtp-url", "", "email: the SMTP server, smtp://user:pass@host:587", func(c *config) *string { return &c.Channels.SMTPURL }, "dev serve"},
	{"JOURNEYS_SMTP_FROM", "smtp-from", "", "email: the sender, such as \"Shop <noreply@shop.example>\"", func(c *config) *string { return &c.Channels.SMTPFrom }, "dev serve"},
	{"JOURNEYS_SMTP_RATE", "smtp-rate", "", fmt.Sprintf("email: messages a second (default %d)", defaultSMTPRate), func(c *config) *string { return &c.Channels.SMTPRate }, "dev serve"},
	{"JOURNEYS_SMS_PROVIDER", "sms-provider", "", "sms: kavenegar or twilio", func(c *config) *string { return &c.Channels.SMSProvider }, "dev serve"},
	{"JOURNEYS_SMS_RATE", "sms-rate", "", fmt.Sprintf("sms: messages a second (default %d)", defaultSMSRate), func(c *config) *string { return &c.Channels.SMSRate }, "dev serve"},
	{"JOURNEYS_KAVENEGAR_API_KEY", "kavenegar-api-key", "", "sms: the Kavenegar API key", func(c *config) *string { return &c.Channels.KavenegarAPIKey }, "dev serve"},
	{"JOURNEYS_KAVENEGAR_SENDER", "kavenegar-sender", "", "sms: the Kavenegar sending line (default: the account's)", func(c *config) *string { return &c.Channels.KavenegarSender }, "dev serve"},
	{"JOURNEYS_KAVENEGAR_BASE_URL", "kavenegar-base-url", "", "sms: the Kavenegar API root (default https://api.kavenegar.com)", func(c *config) *string { return &c.Channels.KavenegarBaseURL }, "dev serve"},
	{"JOURNEYS_TWILIO_ACCOUNT_SID", "twilio-account-sid", "", "sms: the Twilio account SID", func(c *config) *string { return &c.Channels.TwilioAccountSID }, "dev serve"},
	{"JOURNEYS_TWILIO_AUTH_TOKEN", "twilio-auth-token", "", "sms: the Twilio auth token", func(c *config) *string { return &c.Channels.TwilioAuthToken }, "dev serve"},
	{"JOURNEYS_TWILIO_FROM", "twilio-from", "", "sms: the Twilio number (E.164) or messaging service SID (MG...)", func(c *config) *string { return &c.Channels.TwilioFrom }, "dev serve"},
	{"JOURNEYS_TWILIO_BASE_URL", "twilio-base-url", "", "sms: the Twilio API root (default https://api.twilio.com)", func(c *config) *string { return &c.Channels.TwilioBaseURL }, "dev serve"},
	{"JOURNEYS_WEBHOOK_URL", "webhook-url", "", "webhook: the URL every webhook message is POSTed to", func(c *config) *string { return &c.Channels.WebhookURL }, "dev serve"},
	{"JOURNEYS_WEBHOOK_SECRET", "webhook-secret", "", "webhook: the key of the X-Journeys-Signature HMAC", func(c *config) *string { return &c.Channels.WebhookSecret }, "dev serve"},
	{"JOURNEYS_WEBHOOK_RATE", "webhook-rate", "", fmt.Sprintf("webhook: messages a second (default %d)", defaultWebhookRate), func(c *config) *string { return &c.Channels.WebhookRate }, "dev serve"},
}

// provider is a channel's configured sender and the rate it is held to.
type provider struct {
	name    string
	sender  channels.Sender
	perSec  float64
	rateVar string
}

// Default rates, in messages a second, each provider is held to; a burst of
// due timers waits for the token bucket instead of tripping the provider's
// quota. FCM allows 600,000 messages a minute per project; SMTP relays
// commonly throttle around 10 to 15 a second; Kavenegar and Twilio answer
// bursts with 451 or 429 (and Twilio queues beyond the sending number's own
// rate); a webhook receiver is the team's own service.
const (
	defaultFCMRate     = 500
	defaultSMTPRate    = 10
	defaultSMSRate     = 10
	defaultWebhookRate = 50
)

// newSenders builds the sender of every channel from cfg: its provider,
// held to a rate, or the console for a channel with no provider. It logs
// which channel uses what. An error names the variable to fix.
func newSenders(cfg channelConfig, log *slog.Logger) (map[channels.Channel]activities.Sender, error) {
	build := map[channels.Channel]func(channelConfig) (*provider, error){
		channels.Push:    pushProvider,
		channels.Email:   emailProvider,
		channels.SMS:     smsProvider,
		channels.Webhook: webhookProvider,
	}
	hints := map[channels.Channel]string{
		channels.Push:    "JOURNEYS_FCM_CREDENTIALS",
		channels.Email:   "JOURNEYS_SMTP_URL and JOURNEYS_SMTP_FROM",
		channels.SMS:     "JOURNEYS_SMS_PROVIDER",
		channels.Webhook: "JOURNEYS_WEBHOOK_URL and JOURNEYS_WEBHOOK_SECRET",
	}
	out := map[channels.Channel]activities.Sender{}
	for _, c := range channels.All {
		p, err := build[c](cfg)
		if err != nil {
			return nil, err
		}
		if p == nil {
			out[c] = &channels.Console{Log: log.With("sender", "console")}
			log.Warn("channel has no provider: its messages are only logged", "channel", c, "sender", "console", "configure", hints[c])
			continue
		}
		out[c] = channels.Limit(p.sender, p.perSec, max(int(p.perSec), 1))
		log.Info("channel ready", "channel", c, "sender", p.name, "rate_per_second", p.perSec)
	}
	return out, nil
}

func pushProvider(c channelConfig) (*provider, error) {
	if c.FCMCredentials == "" {
		return nil, unusedWithout("JOURNEYS_FCM_CREDENTIALS", map[string]string{"JOURNEYS_FCM_BASE_URL": c.FCMBaseURL, "JOURNEYS_FCM_RATE": c.FCMRate})
	}
	if err := checkBaseURL("JOURNEYS_FCM_BASE_URL", c.FCMBaseURL); err != nil {
		return nil, err
	}
	f, err := channels.NewFCM(channels.FCMConfig{CredentialsFile: c.FCMCredentials, BaseURL: c.FCMBaseURL})
	if err != nil {
		return nil, fmt.Errorf("JOURNEYS_FCM_CREDENTIALS: %w", err)
	}
	return withRate(&provider{name: "fcm", sender: f, rateVar: "JOURNEYS_FCM_RATE"}, c.FCMRate, defaultFCMRate)
}

func emailProvider(c channelConfig) (*provider, error) {
	if c.SMTPURL == "" {
		return nil, unusedWithout("JOURNEYS_SMTP_URL", map[string]string{"JOURNEYS_SMTP_FROM": c.SMTPFrom, "JOURNEYS_SMTP_RATE": c.SMTPRate})
	}
	if c.SMTPFrom == "" {
		return nil, errors.New("JOURNEYS_SMTP_FROM: required with JOURNEYS_SMTP_URL, such as \"Shop <noreply@shop.example>\"")
	}
	if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
		return nil, fmt.Errorf("JOURNEYS_SMTP_FROM: %w", err)
	}
	s, err := channels.NewSMTP(channels.SMTPConfig{URL: c.SMTPURL, From: c.SMTPFrom})
	if err != nil {
		return nil, fmt.Errorf("JOURNEYS_SMTP_URL: %w", err)
	}
	return withRate(&provider{name: "smtp", sender: s, rateVar: "JOURNEYS_SMTP_RATE"}, c.SMTPRate, defaultSMTPRate)
}

func smsProvider(c channelConfig) (*provider, error) {
	kavenegar := map[string]string{"JOURNEYS_KAVENEGAR_API_KEY": c.KavenegarAPIKey, "JOURNEYS_KAVENEGAR_SENDER": c.KavenegarSender, "JOURNEYS_KAVENEGAR_BASE_URL": c.KavenegarBaseURL}
	twilio := map[string]string{"JOURNEYS_TWILIO_ACCOUNT_SID": c.TwilioAccountSID, "JOURNEYS_TWILIO_AUTH_TOKEN": c.TwilioAuthToken, "JOURNEYS_TWILIO_FROM": c.TwilioFrom, "JOURNEYS_TWILIO_BASE_URL": c.TwilioBaseURL}
	p := &provider{name: c.SMSProvider, rateVar: "JOURNEYS_SMS_RATE"}
	switch c.SMSProvider {
	case "":
		return nil, unusedWithout("JOURNEYS_SMS_PROVIDER", kavenegar, twilio, map[string]string{"JOURNEYS_SMS_RATE": c.SMSRate})
	case "kavenegar":
		if err := required(kavenegar, "JOURNEYS_KAVENEGAR_API_KEY"); err != nil {
			return nil, err
		}
		if err := checkBaseURL("JOURNEYS_KAVENEGAR_BASE_URL", c.KavenegarBaseURL); err != nil {
			return nil, err
		}
		k, err := channels.NewKavenegar(channels.KavenegarConfig{APIKey: c.KavenegarAPIKey, Sender: c.KavenegarSender, BaseURL: c.KavenegarBaseURL})
		if err != nil {
			return nil, fmt.Errorf("JOURNEYS_KAVENEGAR_API_KEY: %w", err)
		}
		p.sender = k
	case "twilio":
		if err := required(twilio, "JOURNEYS_TWILIO_ACCOUNT_SID", "JOURNEYS_TWILIO_AUTH_TOKEN", "JOURNEYS_TWILIO_FROM"); err != nil {
			return nil, err
		}
		if err := checkBaseURL("JOURNEYS_TWILIO_BASE_URL", c.TwilioBaseURL); err != nil {
			return nil, err
		}
		t, err := channels.NewTwilio(channels.TwilioConfig{AccountSID: c.TwilioAccountSID, AuthToken: c.TwilioAuthToken, From: c.TwilioFrom, BaseURL: c.TwilioBaseURL})
		if err != nil {
			return nil, fmt.Errorf("JOURNEYS_TWILIO_ACCOUNT_SID: %w", err)
		}
		p.sender = t
	default:
		return nil, fmt.Errorf("JOURNEYS_SMS_PROVIDER: %q is not kavenegar or twilio", c.SMSProvider)
	}
	return withRate(p, c.SMSRate, defaultSMSRate)
}

func webhookProvider(c channelConfig) (*provider, error) {
	vars := map[string]string{"JOURNEYS_WEBHOOK_URL": c.WebhookURL, "JOURNEYS_WEBHOOK_SECRET": c.WebhookSecret}
	if c.WebhookURL == "" && c.WebhookSecret == "" {
		return nil, unusedWithout("JOURNEYS_WEBHOOK_URL", map[string]string{"JOURNEYS_WEBHOOK_RATE": c.WebhookRate})
	}
	if err := required(vars, "JOURNEYS_WEBHOOK_URL", "JOURNEYS_WEBHOOK_SECRET"); err != nil {
		return nil, err
	}
	if err := checkBaseURL("JOURNEYS_WEBHOOK_URL", c.WebhookURL); err != nil {
		return nil, err
	}
	h, err := channels.NewHook(channels.HookConfig{URL: c.WebhookURL, Secret: c.WebhookSecret})
	if err != nil {
		return nil, fmt.Errorf("JOURNEYS_WEBHOOK_SECRET: %w", err)
	}
	return withRate(&provider{name: "webhook", sender: h, rateVar: "JOURNEYS_WEBHOOK_RATE"}, c.WebhookRate, defaultWebhookRate)
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

// required names the first of names that vars leaves empty.
func required(vars map[string]string, names ...string) error {
	for _, n := range names {
		if vars[n] == "" {
			return fmt.Errorf("%s: required for this provider", n)
		}
	}
	return nil
}

// checkBaseURL checks a provider URL variable, which may be empty.
func checkBaseURL(name, v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: want an absolute http or https URL", name)
	}
	return nil
}

// withRate sets p's rate from the variable's value, or def when it is empty.
func withRate(p *provider, v string, def float64) (*provider, error) {
	p.perSec = def
	if v == "" {
		return p, nil
	}
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || r < 0 {
		return nil, fmt.Errorf("%s: %q is not a number of messages a second (0 for no limit)", p.rateVar, v)
	}
	p.perSec = r
	return p, nil
}
