package activities

import (
	"context"
	"errors"

	"journeys/reporting"
)

// Preview is a template rendered for one user as a send would render it,
// field by field, with the errors of the fields that would not render.
type Preview struct {
	Template string `json:"template"`
	// Locale is the locale of the template the user gets.
	Locale  string `json:"locale"`
	Title   string `json:"title"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
	HTML    string `json:"html"`
	// Errors are the fields that would not render, each of which stops a
	// real send; empty when the message would go out.
	Errors []PreviewError `json:"errors"`
}

// PreviewError is why one field of a template would not render.
type PreviewError struct {
	Field string `json:"field"`
	// Line is the line of the field, or 0 when unknown.
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// TemplateStore reads a template in the first of the locales that has it.
type TemplateStore interface {
	Template(ctx context.Context, id string, locales []string) (reporting.Template, error)
}

// PreviewTemplate renders template id for u in the locale a send would
// choose: locale when given, else the user's, falling back as sends do.
// The offer is the example one templates are checked with when saved, so
// no user's real discount code shows. A missing template is
// reporting.ErrNotFound.
func PreviewTemplate(ctx context.Context, store TemplateStore, id string, u reporting.User, locale string) (Preview, error) {
	if locale == "" {
		locale = u.Locale
	}
	t, err := store.Template(ctx, id, locales(locale))
	if err != nil {
		return Preview{}, err
	}
	p := Preview{Template: t.ID, Locale: t.Locale, Errors: []PreviewError{}}
	attrs, err := userData(u)
	if err != nil {
		return Preview{}, err
	}
	data := TemplateData{User: attrs, Offer: sampleData.Offer}
	var out rendered
	for _, f := range sources(t) {
		parsed, err := parseField(f.name, f.text, f.html)
		if err == nil {
			*parsed.dst(&out), err = parsed.render(data)
		}
		var te *TemplateError
		if errors.As(err, &te) {
			p.Errors = append(p.Errors, PreviewError{Field: te.Field, Line: te.Line, Message: te.Message})
		} else if err != nil {
			return Preview{}, err
		}
	}
	p.Title, p.Subject, p.Body, p.HTML = oneLine(out.title), oneLine(out.subjectLine()), out.body, out.html
	return p, nil
}
