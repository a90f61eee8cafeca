package channels

import (
	"encoding/json"
	"fmt"
	"net/url"
)

// SealSetup splits a workspace's setup for channel c into what is kept in
// plain (the settings anyone with the workspace's key may read) and the
// secret settings sealed for that workspace and channel. An SMTP password
// inside the URL is moved to the sealed part.
func (s *Sealer) SealSetup(workspace string, c Channel, setup Setup) (public json.RawMessage, sealed []byte, err error) {
	plain, secret := split(setup.Settings)
	public, err = json.Marshal(plain)
	if err != nil {
		return nil, nil, fmt.Errorf("settings: %w", err)
	}
	b, err := json.Marshal(secret)
	if err != nil {
		return nil, nil, fmt.Errorf("secret settings: %w", err)
	}
	return public, s.Seal(b, owner(workspace, c)), nil
}

// OpenSetup is the inverse of SealSetup: it fails with ErrUnsealed when the
// sealed part was not sealed for this workspace and channel with this key.
func (s *Sealer) OpenSetup(workspace string, c Channel, provider string, public json.RawMessage, sealed []byte) (Setup, error) {
	out := Setup{Provider: provider}
	if err := json.Unmarshal(public, &out.Settings); err != nil {
		return Setup{}, fmt.Errorf("settings: %w", err)
	}
	b, err := s.Open(sealed, owner(workspace, c))
	if err != nil {
		return Setup{}, err
	}
	var secret Settings
	if err := json.Unmarshal(b, &secret); err != nil {
		return Setup{}, fmt.Errorf("secret settings: %w", err)
	}
	out.Settings.Credentials, out.Settings.Password = secret.Credentials, secret.Password
	out.Settings.APIKey, out.Settings.AuthToken, out.Settings.Secret = secret.APIKey, secret.AuthToken, secret.Secret
	return out, nil
}

// owner is the associated data of a sealed setup: a value copied to another
// workspace's row, or another channel's, does not open there.
func owner(workspace string, c Channel) []byte { return []byte(workspace + "|" + string(c)) }

// split returns the settings without their secrets, and the secrets alone.
func split(s Settings) (plain, secret Settings) {
	if u, err := url.Parse(s.URL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && s.Password == "" {
			s.Password = p
			u.User = url.User(u.User.Username())
			s.URL = u.String()
		}
	}
	secret = Settings{Credentials: s.Credentials, Password: s.Password, APIKey: s.APIKey, AuthToken: s.AuthToken, Secret: s.Secret}
	plain = s
	plain.Credentials, plain.Password, plain.APIKey, plain.AuthToken, plain.Secret = nil, "", "", "", ""
	return plain, secret
}

// Masked returns the settings as they may be shown: secrets replaced by a
// mask that keeps the last four characters of a long one, so that people
// can tell two keys apart, and FCM credentials by the project and account
// they name.
func (s Settings) Masked() Settings {
	plain, secret := split(s)
	plain.Password, plain.APIKey, plain.AuthToken, plain.Secret = mask(secret.Password), mask(secret.APIKey), mask(secret.AuthToken), mask(secret.Secret)
	if len(secret.Credentials) > 0 {
		var account struct {
			ProjectID   string `json:"project_id"`
			ClientEmail string `json:"client_email"`
		}
		_ = json.Unmarshal(secret.Credentials, &account) // checked when it was set
		plain.Credentials, _ = json.Marshal(map[string]string{"project_id": account.ProjectID, "client_email": account.ClientEmail, "private_key": "********"})
	}
	return plain
}

func mask(secret string) string {
	switch {
	case secret == "":
		return ""
	case len(secret) >= 16:
		return "********" + secret[len(secret)-4:]
	}
	return "********"
}
