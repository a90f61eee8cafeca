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

// userRequest is a profile as a request or a row of an audience file
// gives it, "" standing for a field not given.
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

// validate checks the profile against the limits of limits.go, puts the
// locale in its usual case and the phone in E.164, reading a local number
// as one of region (see channels.NormalizePhone).
func (r *userRequest) validate(region string) error {
	if r.Email != "" {
		if err := checkLength("email", r.Email, maxEmailLength); err != nil {
			return err
		}
		if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email {
			return Errorf(CodeInvalid, "email %q is not an email address", r.Email)
		}
	}
	if r.Phone != "" {
		if err := checkLength("phone", r.Phone, maxPhoneLength); err != nil {
			return err
		}
		phone, err := channels.NormalizePhone(r.Phone, region)
		if err != nil {
			return Errorf(CodeInvalid, "phone %q %v", clip(r.Phone), err)
		}
		r.Phone = phone
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

// user returns the profile as the store would hold it for id.
func (r userRequest) user(id string) reporting.User {
	unsubscribed := make([]string, len(r.Unsubscribed))
	for i, c := range r.Unsubscribed {
		unsubscribed[i] = string(c)
	}
	attrs := r.Attributes
	if isNull(attrs) {
		attrs = json.RawMessage(`{}`)
	}
	return reporting.User{ID: id, Email: r.Email, Phone: r.Phone, PushToken: r.PushToken, Timezone: r.Timezone,
		Attributes: attrs, Locale: r.Locale, Unsubscribed: unsubscribed}
}

// userBody is the body of PUT and PATCH /v1/users/{user_id}. A field that
// is absent or null is not sent: PUT clears it (but keeps unsubscribed),
// PATCH keeps it.
type userBody struct {
	Email     *string `json:"email"`
	Phone     *string `json:"phone"`
	PushToken *string `json:"push_token"`
	Timezone  *string `json:"timezone"`
	// Attributes is free JSON for templates. PATCH merges it key by key,
	// a null value removing the key.
	Attributes   json.RawMessage     `json:"attributes"`
	Locale       *string             `json:"locale"`
	Unsubscribed *[]channels.Channel `json:"unsubscribed"`
}

// validate checks the fields sent as userRequest.validate does.
func (r *userBody) validate(region string) error {
	p := userRequest{Attributes: r.Attributes}
	for _, f := range []struct {
		from *string
		to   *string
	}{{r.Email, &p.Email}, {r.Phone, &p.Phone}, {r.PushToken, &p.PushToken}, {r.Timezone, &p.Timezone}, {r.Locale, &p.Locale}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	if r.Unsubscribed != nil {
		p.Unsubscribed = *r.Unsubscribed
	}
	if err := p.validate(region); err != nil {
		return err
	}
	if r.Locale != nil {
		r.Locale = &p.Locale
	}
	if r.Phone != nil {
		r.Phone = &p.Phone
	}
	return nil
}

// patch turns the request into a change of the stored profile. replace
// (PUT) clears what the request leaves out, except unsubscribed, which
// changes only when sent: a profile sync must not re-subscribe someone
// who opted out through an email's link.
func (r userBody) patch(replace bool) (reporting.UserPatch, error) {
	p := reporting.UserPatch{Email: r.Email, Phone: r.Phone, PushToken: r.PushToken,
		Timezone: r.Timezone, Locale: r.Locale, ReplaceAttributes: replace}
	if replace {
		for _, f := range []**string{&p.Email, &p.Phone, &p.PushToken, &p.Timezone, &p.Locale} {
			if *f == nil {
				*f = new(string)
			}
		}
	}
	if r.Unsubscribed != nil {
		out := []string{}
		for _, c := range *r.Unsubscribed {
			if !slices.Contains(out, string(c)) {
				out = append(out, string(c))
			}
		}
		p.Unsubscribed = &out
	}
	if isNull(r.Attributes) {
		return p, nil
	}
	if replace {
		p.Attributes = r.Attributes
		return p, nil
	}
	var attrs map[string]json.RawMessage
	if err := json.Unmarshal(r.Attributes, &attrs); err != nil {
		return p, Errorf(CodeInvalid, "attributes must be a JSON object")
	}
	set := map[string]json.RawMessage{}
	for k, v := range attrs {
		if isNull(v) {
			p.RemoveAttributes = append(p.RemoveAttributes, k)
		} else {
			set[k] = v
		}
	}
	raw, err := json.Marshal(set)
	p.Attributes = raw
	return p, err
}

// putUser creates the profile or replaces it; see userBody.patch.
func (s *Server) putUser(c echo.Context) error {
	return s.saveUser(c, true)
}

// patchUser creates the profile or changes only the fields sent.
func (s *Server) patchUser(c echo.Context) error {
	return s.saveUser(c, false)
}

func (s *Server) saveUser(c echo.Context, replace bool) error {
	id := c.Param("user_id")
	if err := checkID("user_id", id); err != nil {
		return err
	}
	var req userBody
	if err := bind(c, &req, maxUserBody); err != nil {
		return err
	}
	region, err := s.phoneRegion(c.Request().Context())
	if err != nil {
		return err
	}
	if err := req.validate(region); err != nil {
		return err
	}
	p, err := req.patch(replace)
	if err != nil {
		return err
	}
	u, err := s.store.PatchUser(c.Request().Context(), id, p)
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
