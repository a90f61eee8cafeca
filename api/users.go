package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"regexp"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"journeys/activities"
	"journeys/channels"
	"journeys/reporting"
)

// userRequest is the body of PUT /v1/users/{user_id}.
type userRequest struct {
	Email      string          `json:"email"`
	Phone      string          `json:"phone"`
	PushToken  string          `json:"push_token"`
	Timezone   string          `json:"timezone"`
	Attributes json.RawMessage `json:"attributes"`
	// Locale chooses the language of templates; "" means English.
	Locale string `json:"locale"`
	// Unsubscribed lists the channels the user opted out of.
	Unsubscribed []channels.Channel `json:"unsubscribed"`
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// validate checks the profile against the limits of limits.go and puts
// the locale in its usual case.
func (r *userRequest) validate() error {
	if r.Email != "" {
		if err := checkLength("email", r.Email, maxEmailLength); err != nil {
			return err
		}
		if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email {
			return Errorf(CodeInvalid, "email %q is not an email address", r.Email)
		}
	}
	if r.Phone != "" && !e164.MatchString(r.Phone) {
		return Errorf(CodeInvalid, "phone %q must be in E.164 form, such as +989121234567", clip(r.Phone))
	}
	if err := checkLength("push_token", r.PushToken, maxPushTokenLength); err != nil {
		return err
	}
	if r.Timezone != "" {
		if err := checkLength("timezone", r.Timezone, maxTimezoneLength); err != nil {
			return err
		}
		if _, err := time.LoadLocation(r.Timezone); err != nil {
			return Errorf(CodeInvalid, "timezone %q is not an IANA time zone such as Asia/Tehran", r.Timezone)
		}
	}
	if err := checkObject("attributes", r.Attributes, `{"first_name": "Sara"}`); err != nil {
		return err
	}
	if err := checkSize("attributes", r.Attributes, maxAttributesSize); err != nil {
		return err
	}
	if r.Locale != "" {
		if err := checkLength("locale", r.Locale, maxLocaleLength); err != nil {
			return err
		}
		l, err := activities.ParseLocale(r.Locale)
		if err != nil {
			return Errorf(CodeInvalid, "%v", err)
		}
		r.Locale = l
	}
	if len(r.Unsubscribed) > maxUnsubscribed {
		return Errorf(CodeInvalid, "unsubscribed lists %d channels; the limit is %d", len(r.Unsubscribed), maxUnsubscribed)
	}
	for i, c := range r.Unsubscribed {
		if !c.Valid() {
			return Errorf(CodeInvalid, "unsubscribed[%d]: %q is not a channel; use push, email, sms or webhook", i, clip(string(c)))
		}
	}
	return nil
}

// unsubscribed returns the channels of r.Unsubscribed, each once.
func (r userRequest) unsubscribed() []string {
	out := []string{}
	for _, c := range r.Unsubscribed {
		if !slices.Contains(out, string(c)) {
			out = append(out, string(c))
		}
	}
	return out
}

func (s *Server) putUser(c echo.Context) error {
	id := c.Param("user_id")
	if err := checkID("user_id", id); err != nil {
		return err
	}
	var req userRequest
	if err := bind(c, &req, maxUserBody); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	attrs := req.Attributes
	if string(attrs) == "null" {
		attrs = nil
	}
	u, err := s.store.PutUser(c.Request().Context(), reporting.User{
		ID: id, Email: req.Email, Phone: req.Phone, PushToken: req.PushToken,
		Timezone: req.Timezone, Attributes: attrs, Locale: req.Locale, Unsubscribed: req.unsubscribed(),
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *Server) getUser(c echo.Context) error {
	id := c.Param("user_id")
	u, err := s.store.User(c.Request().Context(), id)
	if errors.Is(err, reporting.ErrNotFound) {
		return Errorf(CodeNotFound, "user %q has no profile; create it with PUT /v1/users/{user_id}", clip(id))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$`)

// checkID rejects ids that would not read well in a workflow id: they are
// 1 to 128 letters, digits and _ . : @ -, starting with a letter or digit.
func checkID(field, id string) error {
	if !idPattern.MatchString(id) {
		return Errorf(CodeInvalid, "%s %q must be 1 to %d letters, digits or _ . : @ -, starting with a letter or digit", field, clip(id), maxIDLength)
	}
	return nil
}
