package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"journeys/channels"
	"journeys/reporting"
)

// unsubscribeView is what the unsubscribe page shows.
type unsubscribeView struct {
	Channel channels.Channel
	Done    bool
	Invalid bool
}

// parseToken reads an unsubscribe link's token; without a secret there
// are no valid links.
func (s *Server) parseToken(c echo.Context) (ws, userID string, ch channels.Channel, ok bool) {
	if len(s.unsubscribeSecret) == 0 {
		return "", "", "", false
	}
	return channels.ParseUnsubscribeToken(s.unsubscribeSecret, c.Param("token"))
}

// unsubscribePage asks the person to confirm. GET changes nothing: mail
// scanners follow links.
func (s *Server) unsubscribePage(c echo.Context) error {
	_, _, channel, ok := s.parseToken(c)
	if !ok {
		return s.render(c, http.StatusNotFound, "unsubscribe", "Unsubscribe", unsubscribeView{Invalid: true})
	}
	return s.render(c, http.StatusOK, "unsubscribe", "Unsubscribe", unsubscribeView{Channel: channel})
}

// unsubscribe opts the token's user out of its channel: the confirmation
// form, and mail programs' one-click unsubscribe (RFC 8058), both POST here.
func (s *Server) unsubscribe(c echo.Context) error {
	ws, userID, channel, ok := s.parseToken(c)
	if !ok {
		return s.render(c, http.StatusNotFound, "unsubscribe", "Unsubscribe", unsubscribeView{Invalid: true})
	}
	// The signed token names the workspace: it is the authorization.
	err := s.store.Unsubscribe(reporting.WithWorkspace(c.Request().Context(), ws), userID, string(channel))
	if err != nil && !errors.Is(err, reporting.ErrNotFound) {
		return err
	}
	return s.render(c, http.StatusOK, "unsubscribe", "Unsubscribed", unsubscribeView{Channel: channel, Done: true})
}
