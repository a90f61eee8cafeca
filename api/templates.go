package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"journeys/activities"
	"journeys/reporting"
)

// templateRequest is the body of PUT /v1/templates/{id}.
type templateRequest struct {
	Locale  string `json:"locale"`
	Title   string `json:"title"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
	HTML    string `json:"html"`
}

func (s *Server) putTemplate(c echo.Context) error {
	id := c.Param("id")
	if err := checkID("id", id); err != nil {
		return err
	}
	var req templateRequest
	if err := bind(c, &req, maxTemplateBody); err != nil {
		return err
	}
	if err := checkLength("locale", req.Locale, maxLocaleLength); err != nil {
		return err
	}
	locale, err := activities.ParseLocale(req.Locale)
	if err != nil {
		return Errorf(CodeInvalid, "%v", err)
	}
	if req.Body == "" {
		return Errorf(CodeInvalid, "body is required: the text of the message")
	}
	for _, f := range [][2]string{{"title", req.Title}, {"subject", req.Subject}, {"body", req.Body}, {"html", req.HTML}} {
		if len(f[1]) > maxTemplateField {
			return Errorf(CodeInvalid, "%s is %s; the limit is %s", f[0], byteSize(len(f[1])), byteSize(maxTemplateField))
		}
	}
	t := reporting.Template{ID: id, Locale: locale, Title: req.Title, Subject: req.Subject, Body: req.Body, HTML: req.HTML}
	var te *activities.TemplateError
	if err := activities.CheckTemplate(t); errors.As(err, &te) {
		return Errorf(CodeInvalid, "template field %s", te.Error())
	} else if err != nil {
		return err
	}
	t, err = s.store.PutTemplate(c.Request().Context(), t)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (s *Server) listTemplates(c echo.Context) error {
	ts, err := s.store.Templates(c.Request().Context(), "")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"templates": ts})
}

// getTemplate returns every locale of one template.
func (s *Server) getTemplate(c echo.Context) error {
	id := c.Param("id")
	ts, err := s.store.Templates(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if len(ts) == 0 {
		return Errorf(CodeNotFound, "template %q does not exist; create it with PUT /v1/templates/%s", id, id)
	}
	return c.JSON(http.StatusOK, map[string]any{"id": id, "templates": ts})
}

// previewRequest is the body of POST /v1/templates/{id}/preview: the user
// to render for, as a profile or as a stored user's id, and the locale to
// render in when not the user's.
type previewRequest struct {
	UserID string       `json:"user_id"`
	User   *userRequest `json:"user"`
	Locale string       `json:"locale"`
}

// previewTemplate renders a template for a user as a send would, with the
// errors a send would meet, and sends nothing.
func (s *Server) previewTemplate(c echo.Context) error {
	var req previewRequest
	if err := bind(c, &req, maxPreviewBody); err != nil {
		return err
	}
	if req.Locale != "" {
		if err := checkLength("locale", req.Locale, maxLocaleLength); err != nil {
			return err
		}
		if _, err := activities.ParseLocale(req.Locale); err != nil {
			return Errorf(CodeInvalid, "%v", err)
		}
	}
	ctx := c.Request().Context()
	var u reporting.User
	switch {
	case req.User != nil && req.UserID != "":
		return Errorf(CodeInvalid, "send user or user_id, not both")
	case req.User != nil:
		region, err := s.phoneRegion(ctx)
		if err != nil {
			return err
		}
		if err := req.User.validate(region); err != nil {
			return err
		}
		u = req.User.user("preview")
	case req.UserID != "":
		if err := checkID("user_id", req.UserID); err != nil {
			return err
		}
		var err error
		if u, err = s.store.User(ctx, req.UserID); errors.Is(err, reporting.ErrNotFound) {
			return Errorf(CodeNotFound, "user %q has no profile; create it with PUT /v1/users/{user_id}, or send the profile as user", clip(req.UserID))
		} else if err != nil {
			return err
		}
	default:
		return Errorf(CodeInvalid, "user or user_id is required: the profile to render for, or a stored user's id")
	}
	id := c.Param("id")
	p, err := activities.PreviewTemplate(ctx, s.store, id, u, req.Locale)
	if errors.Is(err, reporting.ErrNotFound) {
		return Errorf(CodeNotFound, "template %q does not exist; create it with PUT /v1/templates/%s", clip(id), clip(id))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
