package activities

import (
	"errors"
	"slices"
	"testing"

	"journeys/reporting"
)

func TestCheckTemplate(t *testing.T) {
	tests := []struct {
		name      string
		tmpl      reporting.Template
		wantField string
		wantLine  int
	}{
		{"fine", reporting.Template{Title: "{{.Offer.DiscountPercent}}% off", Body: "{{with .User.first_name}}{{.}}, {{end}}hi\n{{if gt .User.orders 3.0}}again{{end}}", HTML: "<a href=\"https://shop.test/?c={{.Offer.Code}}\">go</a>"}, "", 0},
		{"unclosed action", reporting.Template{Body: "Hi\n{{.Offer.Code}\n"}, "body", 2},
		{"unknown function", reporting.Template{Body: "a\nb\n{{upper .User.first_name}}"}, "body", 3},
		{"unknown offer field", reporting.Template{Subject: "Save {{.Offer.Discount}}%", Body: "x"}, "subject", 1},
		{"html syntax", reporting.Template{Body: "x", HTML: "<p>\n{{if}}</p>"}, "html", 2},
		{"html unsafe context", reporting.Template{Body: "x", HTML: "<a href='{{.Offer.Code}}>go</a>"}, "html", 0},
	}
	for _, tt := range tests {
		err := CheckTemplate(tt.tmpl)
		var te *TemplateError
		switch {
		case tt.wantField == "" && err != nil:
			t.Errorf("%s: got %v, want no error", tt.name, err)
		case tt.wantField != "" && !errors.As(err, &te):
			t.Errorf("%s: got %v, want a TemplateError", tt.name, err)
		case tt.wantField != "" && (te.Field != tt.wantField || te.Line != tt.wantLine):
			t.Errorf("%s: got %s line %d (%v), want %s line %d", tt.name, te.Field, te.Line, err, tt.wantField, tt.wantLine)
		}
	}
}

func TestRenderMissingAttribute(t *testing.T) {
	r, err := render(reporting.Template{Title: "Hi {{.User.first_name}}!", Body: "Hi {{.User.first_name}}!", HTML: "<p>Hi {{.User.first_name}}!</p>"},
		TemplateData{User: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if r.title != "Hi !" || r.body != "Hi !" || r.html != "<p>Hi !</p>" {
		t.Errorf("got %q, %q, %q; want the attribute rendered as nothing", r.title, r.body, r.html)
	}
}

func TestLocales(t *testing.T) {
	tests := []struct {
		locale string
		want   []string
	}{
		{"", []string{"en"}},
		{"en", []string{"en"}},
		{"fa", []string{"fa", "en"}},
		{"fa-ir", []string{"fa-IR", "fa", "en"}},
		{"zh-hant-tw", []string{"zh-Hant-TW", "zh-Hant", "zh", "en"}},
		{"not a locale", []string{"en"}},
	}
	for _, tt := range tests {
		if got := locales(tt.locale); !slices.Equal(got, tt.want) {
			t.Errorf("locales(%q) = %v, want %v", tt.locale, got, tt.want)
		}
	}
}
