package activities

import (
	"errors"
	"testing"

	"journeys/reporting"
)

// FuzzRender checks that whatever a field says, saving it never panics,
// and a field the rules let through renders within the limits for the
// largest user a template sees, or fails with a TemplateError.
func FuzzRender(f *testing.F) {
	for _, seed := range []string{
		"{{with .User.first_name}}{{.}}, {{end}}use {{.Offer.Code}}",
		"{{range .User.a}}{{range .b}}{{if eq .s .t}}{{.n}}{{end}}{{end}}{{end}}",
		"{{range $i, $e := .User.a}}{{printf \"%[1]*d %v\" $i .s}}{{urlquery .s .t}}{{end}}",
		"{{range .User.a}}{{$x := print .s .t}}{{$x = print $x $x}}{{html $x}}{{end}}",
		"{{range .User.a}}{{.}}{{end}}{{.User}}",
		"{{define \"d\"}}x{{end}}{{template \"d\"}}", "{{range 300000000}}{{end}}", "{{len .Offer.Code}}",
	} {
		f.Add(seed, false)
		f.Add("<p>"+seed+"</p>", true)
	}
	data := worstData()
	f.Fuzz(func(t *testing.T, text string, html bool) {
		tmpl := reporting.Template{Body: text}
		if html {
			tmpl = reporting.Template{Body: "x", HTML: text}
		}
		_ = CheckTemplate(tmpl)
		r, err := render(tmpl, data)
		var te *TemplateError
		switch {
		case err != nil && !errors.As(err, &te):
			t.Errorf("render = %v, want a TemplateError", err)
		case len(r.body) > maxRenderedField || len(r.html) > maxRenderedField:
			t.Errorf("rendered %d and %d bytes, more than %d", len(r.body), len(r.html), maxRenderedField)
		}
	})
}
