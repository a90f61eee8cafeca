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
