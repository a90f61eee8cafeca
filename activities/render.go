package activities

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"journeys/reporting"
)

// TemplateData is what a template renders: {{.User.first_name}} reads the
// user's profile attributes, {{.Offer.Code}} the enrollment's discount code.
// An attribute the user lacks renders as nothing.
type TemplateData struct {
	User  map[string]any
	Offer TemplateOffer
}

// TemplateOffer is the journey's offer as templates see it.
type TemplateOffer struct {
	DiscountPercent int
	CashbackPercent int
	// Code is the enrollment's discount code, such as CART-7KQ2M4XA.
	Code string
}

// rendered is a template rendered for one user.
type rendered struct {
	title, subject, body, html string
}

// render personalises template t with data.
func render(t reporting.Template, data TemplateData) (rendered, error) {
	p, err := parse(t)
	if err != nil {
		return rendered{}, err
	}
	var out rendered
	for _, f := range []struct {
		name string
		exec func(*bytes.Buffer) error
		dst  *string
	}{
		{"title", textExec(p.title, data), &out.title},
		{"subject", textExec(p.subject, data), &out.subject},
		{"body", textExec(p.body, data), &out.body},
		{"html", func(b *bytes.Buffer) error { return p.html.Execute(b, data) }, &out.html},
	} {
		var b bytes.Buffer
		if err := f.exec(&b); err != nil {
			return rendered{}, templateError(f.name, err)
		}
		*f.dst = b.String()
	}
	out.title, out.subject = oneLine(out.title), oneLine(out.subject)
	return out, nil
}

func textExec(t *template.Template, data TemplateData) func(*bytes.Buffer) error {
	return func(b *bytes.Buffer) error {
		if err := t.Execute(b, data); err != nil {
			return err
		}
		// text/template prints a missing attribute as "<no value>", where
		// html/template prints nothing; make the text fields agree.
		s := strings.ReplaceAll(b.String(), "<no value>", "")
		b.Reset()
		b.WriteString(s)
		return nil
	}
}

// oneLine folds a title or subject onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// parsed is a template's fields, parsed.
type parsed struct {
	title, subject, body *template.Template
	html                 *htmltemplate.Template
}

func parse(t reporting.Template) (parsed, error) {
	var p parsed
	for _, f := range []struct {
		name, text string
		dst        **template.Template
	}{
		{"title", t.Title, &p.title},
		{"subject", t.Subject, &p.subject},
		{"body", t.Body, &p.body},
	} {
		tt, err := template.New(f.name).Option("missingkey=zero").Parse(f.text)
		if err != nil {
			return parsed{}, templateError(f.name, err)
		}
		*f.dst = tt
	}
	h, err := htmltemplate.New("html").Option("missingkey=zero").Parse(t.HTML)
	if err != nil {
		return parsed{}, templateError("html", err)
	}
	p.html = h
	return p, nil
}

// TemplateError says which field of a template is wrong, and where.
type TemplateError struct {
	Field string
	// Line is the line of the field the error is on, or 0 when unknown.
	Line    int
	Message string
	err     error
}

func (e *TemplateError) Unwrap() error { return e.err }

func (e *TemplateError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s, line %d: %s", e.Field, e.Line, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Message)
}

// errorPosition splits a template package error, such as
// `template: body:2:14: executing "body" at <.Offer.Cod>: can't evaluate
// field Cod`, into its line and the rest.
var errorPosition = regexp.MustCompile(`^(?:html/)?template: ?[a-z]+:(\d+)(?::\d+)?: (?:executing "[a-z]+" at )?(.*)$`)

func templateError(field string, err error) *TemplateError {
	var he *htmltemplate.Error
	if errors.As(err, &he) {
		return &TemplateError{Field: field, Line: he.Line, Message: he.Description, err: err}
	}
	m := errorPosition.FindStringSubmatch(err.Error())
	if m == nil {
		return &TemplateError{Field: field, Message: err.Error(), err: err}
	}
	line, _ := strconv.Atoi(m[1])
	return &TemplateError{Field: field, Line: line, Message: m[2], err: err}
}

// CheckTemplate reports the first field of t that cannot render, as a
// *TemplateError. Besides syntax it catches what fails for every user:
// a name TemplateData does not have, such as {{.Offer.Cod}}, and HTML that
// cannot be escaped safely.
func CheckTemplate(t reporting.Template) error {
	if _, err := parse(t); err != nil {
		return err
	}
	sample := TemplateData{User: map[string]any{}, Offer: TemplateOffer{DiscountPercent: 10, CashbackPercent: 5, Code: "CART-EXAMPLE"}}
	_, err := render(t, sample)
	var te *TemplateError
	var he *htmltemplate.Error
	if errors.As(err, &he) || (errors.As(err, &te) && strings.Contains(te.Message, "can't evaluate field")) {
		return err
	}
	// Other failures depend on the user's attributes, and the sample has
	// none.
	return nil
}

// userData returns the user's attributes as templates see them.
func userData(u reporting.User) (map[string]any, error) {
	attrs := map[string]any{}
	if len(u.Attributes) > 0 {
		if err := json.Unmarshal(u.Attributes, &attrs); err != nil {
			return nil, fmt.Errorf("user attributes: %w", err)
		}
	}
	return attrs, nil
}
