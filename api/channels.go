package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"journeys/channels"
	"journeys/reporting"
)

// channelRequest is the body of PUT /v1/channels/{channel}: the provider
// and its settings, checked by the rules the environment's providers are
// held to (channels.Build).
type channelRequest struct {
	Provider string            `json:"provider"`
	Settings channels.Settings `json:"settings"`
}

// channelBody is one channel as GET shows it: the workspace's own provider
// with its secrets masked, or the deployment's ("source": "env"), whose
// settings are not the workspace's to see.
type channelBody struct {
	Channel   channels.Channel   `json:"channel"`
	Provider  string             `json:"provider"`
	Source    string             `json:"source"`
	Settings  *channels.Settings `json:"settings,omitempty"`
	UpdatedAt *time.Time         `json:"updated_at,omitempty"`
}

// Where a channel's provider comes from.
const (
	sourceWorkspace = "workspace"
	sourceEnv       = "env"
)

// channelParam reads the {channel} of the path.
func channelParam(c echo.Context) (channels.Channel, error) {
	ch := channels.Channel(c.Param("channel"))
	if !ch.Valid() {
		return "", Errorf(CodeNotFound, "no channel %q; the channels are push, email, sms and webhook", clip(string(ch)))
	}
	return ch, nil
}

func (s *Server) putChannel(c echo.Context) error {
	ch, err := channelParam(c)
	if err != nil {
		return err
	}
	var req channelRequest
	if err := bind(c, &req, maxChannelBody); err != nil {
		return err
	}
	if err := checkSettings(&req.Settings); err != nil {
		return err
	}
	setup := channels.Setup{Provider: req.Provider, Settings: req.Settings}
	var se *channels.SettingError
	if _, err := channels.Build(ch, setup); errors.As(err, &se) {
		name := "settings." + se.Setting
		if se.Setting == "provider" {
			name = "provider"
		}
		return Errorf(CodeInvalid, "%s: %s", name, se.Reason)
	} else if err != nil {
		return err
	}
	if s.sealer == nil {
		return Errorf(CodeUnavailable, "this service has no JOURNEYS_SECRET_KEY to keep provider secrets with; its operators must set one")
	}
	ctx := c.Request().Context()
	ws, err := reporting.WorkspaceOf(ctx)
	if err != nil {
		return err
	}
	public, sealed, err := s.sealer.SealSetup(ws, ch, setup)
	if err != nil {
		return err
	}
	row, err := s.store.PutChannelProvider(ctx, reporting.ChannelProvider{Channel: string(ch), Provider: req.Provider, Settings: public, Sealed: sealed})
	if err != nil {
		return err
	}
	b, err := s.ownChannel(ws, ch, row)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, b)
}

// checkSettings holds the settings to their limits, and takes FCM
// credentials sent as a string (the key file's text) as the JSON they hold.
func checkSettings(st *channels.Settings) error {
	for _, f := range [][2]string{{"url", st.URL}, {"password", st.Password}, {"from", st.From}, {"api_key", st.APIKey},
		{"sender", st.Sender}, {"account_sid", st.AccountSID}, {"auth_token", st.AuthToken}, {"secret", st.Secret}, {"base_url", st.BaseURL}} {
		if err := checkLength("settings."+f[0], f[1], maxSettingLength); err != nil {
			return err
		}
	}
	if err := checkSize("settings.credentials", st.Credentials, maxCredentialsSize); err != nil {
		return err
	}
	if raw := bytes.TrimSpace(st.Credentials); len(raw) > 0 && raw[0] == '"' {
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return Errorf(CodeInvalid, "settings.credentials: %v", err)
		}
		st.Credentials = json.RawMessage(text)
	}
	if raw := bytes.TrimSpace(st.Credentials); string(raw) == "null" {
		st.Credentials = nil
	}
	return nil
}

func (s *Server) getChannel(c echo.Context) error {
	ch, err := channelParam(c)
	if err != nil {
		return err
	}
	b, err := s.channel(c, ch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, b)
}

func (s *Server) listChannels(c echo.Context) error {
	out := make([]channelBody, 0, len(channels.All))
	for _, ch := range channels.All {
		b, err := s.channel(c, ch)
		if err != nil {
			return err
		}
		out = append(out, b)
	}
	return c.JSON(http.StatusOK, map[string][]channelBody{"channels": out})
}

// deleteChannel drops the workspace's own provider: the channel uses the
// environment's again from the next send.
func (s *Server) deleteChannel(c echo.Context) error {
	ch, err := channelParam(c)
	if err != nil {
		return err
	}
	err = s.store.DeleteChannelProvider(c.Request().Context(), string(ch))
	if err != nil && !errors.Is(err, reporting.ErrNotFound) {
		return err
	}
	b, err := s.channel(c, ch)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, b)
}

// channel says which provider ch uses in the request's workspace.
func (s *Server) channel(c echo.Context, ch channels.Channel) (channelBody, error) {
	ctx := c.Request().Context()
	row, err := s.store.ChannelProvider(ctx, string(ch))
	if errors.Is(err, reporting.ErrNotFound) {
		return channelBody{Channel: ch, Provider: cmp.Or(s.envProviders[ch], "console"), Source: sourceEnv}, nil
	}
	if err != nil {
		return channelBody{}, err
	}
	ws, err := reporting.WorkspaceOf(ctx)
	if err != nil {
		return channelBody{}, err
	}
	return s.ownChannel(ws, ch, row)
}

// ownChannel shows a workspace's own provider, its secrets masked: they
// are opened to show their last characters, never sent whole.
func (s *Server) ownChannel(ws string, ch channels.Channel, row reporting.ChannelProvider) (channelBody, error) {
	if s.sealer == nil {
		return channelBody{}, Errorf(CodeUnavailable, "this service has no JOURNEYS_SECRET_KEY to open provider secrets with; its operators must set one")
	}
	setup, err := s.sealer.OpenSetup(ws, ch, row.Provider, row.Settings, row.Sealed)
	if err != nil {
		return channelBody{}, err
	}
	masked := setup.Settings.Masked()
	at := row.UpdatedAt
	return channelBody{Channel: ch, Provider: row.Provider, Source: sourceWorkspace, Settings: &masked, UpdatedAt: &at}, nil
}
