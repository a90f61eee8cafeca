package channels

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/mail"
	"net/url"
	"slices"
)

// Setup is one channel's provider and its settings, whether the
// deployment's (the JOURNEYS_* variables) or a workspace's own (PUT
// /v1/channels/{channel}). Build checks and turns either into a sender, so
// both are held to the same rules.
type Setup struct {
	// Provider is fcm (push), smtp (email), kavenegar or twilio (sms), or
	// webhook (webhook).
	Provider string   `json:"provider"`
	Settings Settings `json:"settings"`
}

// Settings are every provider's settings; a provider takes only its own
// (see providerSettings). The secret ones are sealed at rest and masked
// when shown: credentials, password, api_key, auth_token and secret.
type Settings struct {
	// Credentials is FCM's service-account JSON key.
	Credentials json.RawMessage `json:"credentials,omitempty"`
	// URL is the SMTP server (smtp://user@host:587 or smtps://) or the URL
	// webhook messages are POSTed to.
	URL string `json:"url,omitempty"`
	// Password is the SMTP password, when the URL does not hold it.
	Password string `json:"password,omitempty"`
	// From is the email sender, or Twilio's number or messaging service.
	From       string `json:"from,omitempty"`
	APIKey     string `json:"api_key,omitempty"`
	Sender     string `json:"sender,omitempty"`
	AccountSID string `json:"account_sid,omitempty"`
	AuthToken  string `json:"auth_token,omitempty"`
	Secret     string `json:"secret,omitempty"`
	// BaseURL is the API root of FCM, Kavenegar or Twilio, for tests and
	// compatible services.
	BaseURL string `json:"base_url,omitempty"`
	// Rate is the messages a second the provider is held to; nil is the
	// provider's default and 0 no limit.
	Rate *float64 `json:"rate,omitempty"`
}

// SettingError is a setting that cannot be used, named as in Settings'
// JSON; cmd renames it to its JOURNEYS_* variable, the API to its field.
type SettingError struct {
	Setting string
	Reason  string
}

func (e *SettingError) Error() string { return e.Setting + ": " + e.Reason }

func bad(setting, format string, args ...any) *SettingError {
	return &SettingError{Setting: setting, Reason: fmt.Sprintf(format, args...)}
}

// Providers names the providers each channel can use.
var Providers = map[Channel][]string{
	Push:    {"fcm"},
	Email:   {"smtp"},
	SMS:     {"kavenegar", "twilio"},
	Webhook: {"webhook"},
}

// DefaultRates are the rates, in messages a second, each provider is held to; a burst of
// due timers waits for the token bucket instead of tripping the provider's
// quota. FCM allows 600,000 messages a minute per project; SMTP relays
// commonly throttle around 10 to 15 a second; Kavenegar and Twilio answer
// bursts with 451 or 429 (and Twilio queues beyond the sending number's own
// rate); a webhook receiver is the team's own service.
var DefaultRates = map[string]float64{"fcm": 500, "smtp": 10, "kavenegar": 10, "twilio": 10, "webhook": 50}

// providerSettings lists each provider's settings, the required ones
// first, then the optional ones.
var providerSettings = map[string]struct{ required, optional []string }{
	"fcm":       {[]string{"credentials"}, []string{"base_url", "rate"}},
	"smtp":      {[]string{"url", "from"}, []string{"password", "rate"}},
	"kavenegar": {[]string{"api_key"}, []string{"sender", "base_url", "rate"}},
	"twilio":    {[]string{"account_sid", "auth_token", "from"}, []string{"base_url", "rate"}},
	"webhook":   {[]string{"url", "secret"}, []string{"rate"}},
}

// set reports, for each setting, whether s gives it.
func (s Settings) set() map[string]bool {
	return map[string]bool{
		"credentials": len(s.Credentials) > 0, "url": s.URL != "", "password": s.Password != "",
		"from": s.From != "", "api_key": s.APIKey != "", "sender": s.Sender != "",
		"account_sid": s.AccountSID != "", "auth_token": s.AuthToken != "", "secret": s.Secret != "",
		"base_url": s.BaseURL != "", "rate": s.Rate != nil,
	}
}

// Provider is a built provider: its sender and the rate it is held to.
type Provider struct {
	Name      string
	Sender    Sender
	PerSecond float64
}

// Build checks s as channel c's provider and returns its sender. It makes
// no network call. An error is a *SettingError naming the setting to fix
// ("provider" for the provider itself).
func Build(c Channel, s Setup) (Provider, error) {
	if !slices.Contains(Providers[c], s.Provider) {
		return Provider{}, bad("provider", "%q is not a provider of %s; use %s", s.Provider, c, orList(Providers[c]))
	}
	if err := checkSettings(s); err != nil {
		return Provider{}, err
	}
	p := Provider{Name: s.Provider, PerSecond: DefaultRates[s.Provider]}
	if r := s.Settings.Rate; r != nil {
		if *r < 0 || math.IsNaN(*r) || math.IsInf(*r, 0) {
			return Provider{}, bad("rate", "%v is not a number of messages a second (0 for no limit)", *r)
		}
		p.PerSecond = *r
	}
	if s.Settings.BaseURL != "" {
		if err := checkURL(s.Settings.BaseURL); err != nil {
			return Provider{}, bad("base_url", "%v", err)
		}
	}
	var err error
	p.Sender, err = newSender(s.Provider, s.Settings)
	return p, err
}

// checkSettings refuses a setting of another provider and names the first
// required one missing.
func checkSettings(s Setup) error {
	own := providerSettings[s.Provider]
	given := s.Settings.set()
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if given[name] && !slices.Contains(own.required, name) && !slices.Contains(own.optional, name) {
			return bad(name, "not a setting of %s, which takes %s", s.Provider, andList(append(slices.Clone(own.required), own.optional...)))
		}
	}
	for _, name := range own.required {
		if !given[name] {
			return bad(name, "required for %s", s.Provider)
		}
	}
	return nil
}

// newSender builds the sender of a provider whose settings checkSettings
// accepted, naming the setting a constructor refuses.
func newSender(provider string, s Settings) (Sender, error) {
	switch provider {
	case "fcm":
		if err := checkCredentials(s.Credentials); err != nil {
			return nil, err
		}
		f, err := NewFCM(FCMConfig{CredentialsJSON: s.Credentials, BaseURL: s.BaseURL})
		if err != nil {
			return nil, bad("credentials", "is not a usable service-account key: %v", err)
		}
		return f, nil
	case "smtp":
		if _, err := mail.ParseAddress(s.From); err != nil {
			return nil, bad("from", "%v; want an address such as \"Shop <noreply@shop.example>\"", err)
		}
		u, err := smtpURL(s.URL, s.Password)
		if err != nil {
			return nil, err
		}
		m, err := NewSMTP(SMTPConfig{URL: u, From: s.From})
		if err != nil {
			return nil, bad("url", "%v", err)
		}
		return m, nil
	case "kavenegar":
		k, err := NewKavenegar(KavenegarConfig{APIKey: s.APIKey, Sender: s.Sender, BaseURL: s.BaseURL})
		if err != nil {
			return nil, bad("api_key", "%v", err)
		}
		return k, nil
	case "twilio":
		t, err := NewTwilio(TwilioConfig{AccountSID: s.AccountSID, AuthToken: s.AuthToken, From: s.From, BaseURL: s.BaseURL})
		if err != nil {
			return nil, bad("account_sid", "%v", err)
		}
		return t, nil
	case "webhook":
		if err := checkURL(s.URL); err != nil {
			return nil, bad("url", "%v", err)
		}
		h, err := NewHook(HookConfig{URL: s.URL, Secret: s.Secret})
		if err != nil {
			return nil, bad("secret", "%v", err)
		}
		return h, nil
	}
	return nil, bad("provider", "%q is unknown", provider)
}

// checkCredentials checks that an FCM key has the fields a service
// account's JSON key has, with messages in its own terms.
func checkCredentials(key []byte) error {
	var account map[string]any
	if json.Unmarshal(key, &account) != nil || account == nil {
		return bad("credentials", "must be the service account's JSON key, an object, from the Firebase console")
	}
	for _, name := range []string{"project_id", "client_email", "private_key"} {
		if v, _ := account[name].(string); v == "" {
			return bad("credentials", "has no %s string; want the service account's JSON key from the Firebase console", name)
		}
	}
	return nil
}

// smtpURL puts password into the SMTP URL; a URL that holds one already
// may not be given another.
func smtpURL(raw, password string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", bad("url", "malformed") // it may hold a password: not quoted
	}
	if password == "" {
		return raw, nil
	}
	if _, has := u.User.Password(); has {
		return "", bad("password", "given twice, here and in url")
	}
	if u.User == nil {
		return "", bad("password", "needs a user name in url, such as smtp://user@host:587")
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String(), nil
}

func orList(xs []string) string { return list(xs, "or") }

func andList(xs []string) string { return list(xs, "and") }

func list(xs []string, word string) string {
	switch len(xs) {
	case 0:
		return "nothing"
	case 1:
		return xs[0]
	}
	out := ""
	for i, x := range xs {
		switch {
		case i == len(xs)-1:
			out += " " + word + " " + x
		case i > 0:
			out += ", " + x
		default:
			out = x
		}
	}
	return out
}
