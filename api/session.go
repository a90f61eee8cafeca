package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"journeys/reporting"
)

// A dashboard session is a random token in an HttpOnly cookie; the store
// keeps an HMAC of it keyed by JOURNEYS_API_KEY, with its expiry and the
// workspace whose key opened it. Logging out deletes it, and a new
// JOURNEYS_API_KEY ends every session, since no stored hash matches any
// more. The key itself never leaves the login form.
const (
	sessionCookie = "journeys_session"
	sessionTTL    = 12 * time.Hour
)

// maxLoginForm bounds the login form's body: a key and a path fit well
// within it.
const maxLoginForm = 4 << 10

// sessionHash is what the store keeps of a session token.
func (s *Server) sessionHash(token string) []byte {
	mac := hmac.New(sha256.New, []byte(s.apiKey))
	mac.Write([]byte("journeys dashboard session " + token))
	return mac.Sum(nil)
}

// startSession stores a new session of workspace ws and sets its cookie.
func (s *Server) startSession(c echo.Context, ws string) error {
	token := rand.Text()
	expires := time.Now().Add(sessionTTL)
	ctx := reporting.WithWorkspace(c.Request().Context(), ws)
	if err := s.store.CreateSession(ctx, s.sessionHash(token), expires); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.Scheme() == "https",
	})
	return nil
}

// sessionWorkspace returns the workspace of the session whose cookie the
// request carries, ok false when it carries none that is stored and has
// not expired.
func (s *Server) sessionWorkspace(c echo.Context) (ws string, ok bool, err error) {
	cookie, err := c.Cookie(sessionCookie)
	if err != nil || cookie.Value == "" {
		return "", false, nil
	}
	ws, err = s.store.SessionWorkspace(c.Request().Context(), s.sessionHash(cookie.Value))
	if errors.Is(err, reporting.ErrNotFound) {
		return "", false, nil
	}
	return ws, err == nil, err
}

// session lets through dashboard requests with a valid session, scoped to
// the workspace whose key opened it, and sends the others to the login
// form, to come back after.
func (s *Server) session(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ws, ok, err := s.sessionWorkspace(c)
		if err != nil {
			return s.failPage(c, err)
		}
		if !ok {
			return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		req := c.Request()
		c.SetRequest(req.WithContext(reporting.WithWorkspace(req.Context(), ws)))
		return next(c)
	}
}

// localPath returns next when a browser would take it for a path on this
// site, "/" otherwise, so that the login form cannot send people
// elsewhere. Browsers drop tabs and newlines from a URL and read a
// backslash as a slash, so "/\t/evil.example" and "/\evil.example" both
// lead to //evil.example, another site: a control character or a backslash
// anywhere refuses next, as does a start other than a single slash.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || !utf8.ValidString(next) ||
		strings.ContainsFunc(next, func(r rune) bool { return r == '\\' || unicode.IsControl(r) }) {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" {
		return "/"
	}
	return next
}

type loginView struct {
	Next    string
	Message string
}

func (s *Server) loginPage(c echo.Context) error {
	next := localPath(c.QueryParam("next"))
	if _, ok, err := s.sessionWorkspace(c); err == nil && ok {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return s.render(c, http.StatusOK, "login", "Log in", loginView{Next: next})
}

// loginForm reads the login form: a small urlencoded body and nothing
// else, so that no upload reaches memory or disk before the key is
// checked.
func loginForm(c echo.Context) (url.Values, error) {
	req := c.Request()
	if mediaType, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType)); mediaType != echo.MIMEApplicationForm {
		return nil, Errorf(CodeInvalid, "send the login form as %s with the fields key and next", echo.MIMEApplicationForm)
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, maxLoginForm))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return nil, Errorf(CodeTooLarge, "the login form is larger than %d bytes; send only the fields key and next", maxLoginForm)
	case err != nil:
		return nil, Errorf(CodeInvalid, "the login form could not be read; send it again")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, Errorf(CodeInvalid, "the login form is not valid %s", echo.MIMEApplicationForm)
	}
	return form, nil
}

// login checks the API key typed into the form and starts a session. An
// address that has typed too many wrong keys is refused before its key is
// compared.
func (s *Server) login(c echo.Context) error {
	addr := clientAddress(c)
	if wait := s.failures.wait(addr); wait > 0 {
		return heldBack(c, addr, wait)
	}
	form, err := loginForm(c)
	if err != nil {
		return err
	}
	next := localPath(form.Get("next"))
	key := form.Get("key")
	ws, ok, err := s.keyWorkspace(c.Request().Context(), key)
	if err != nil {
		return s.failPage(c, err)
	}
	if !ok {
		s.failedKey(c, addr, key, "login")
		return s.render(c, http.StatusUnauthorized, "login", "Log in",
			loginView{Next: next, Message: "That is not the API key. It is the one the panel sends as its bearer token."})
	}
	if err := s.startSession(c, ws); err != nil {
		return s.failPage(c, err)
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// logout ends the session for good: its cookie no longer opens anything,
// even if it was copied.
func (s *Server) logout(c echo.Context) error {
	if cookie, err := c.Cookie(sessionCookie); err == nil && cookie.Value != "" {
		if err := s.store.DeleteSession(c.Request().Context(), s.sessionHash(cookie.Value)); err != nil {
			return s.failPage(c, err)
		}
	}
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.Scheme() == "https",
	})
	return c.Redirect(http.StatusSeeOther, "/login")
}
