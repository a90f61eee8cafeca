package activities

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"journeys/reporting"
)

// doublingBomb is a template of nested {{define}}s, each calling the one
// before twice: 1.4 KB of text that Go's templates would render to 64
// bytes doubled 22 times, 256 MiB.
func doublingBomb() string {
	var b strings.Builder
	b.WriteString(`{{define "d0"}}` + strings.Repeat("x", 64) + `{{end}}`)
	for i := 1; i <= 22; i++ {
		fmt.Fprintf(&b, `{{define "d%d"}}{{template "d%d"}}{{template "d%d"}}{{end}}`, i, i-1, i-1)
	}
	b.WriteString(`{{template "d22"}}`)
	return b.String()
}

func TestCheckTemplate(t *testing.T) {
	tests := []struct {
		name        string
		tmpl        reporting.Template
		wantField   string
		wantLine    int
		wantMessage string
	}{
		{"fine", reporting.Template{Title: "{{.Offer.DiscountPercent}}% off", Body: "{{with .User.first_name}}{{.}}, {{end}}hi\n{{if gt .User.orders 3.0}}again{{end}}", HTML: "<a href=\"https://shop.test/?c={{.Offer.Code}}\">go</a>"}, "", 0, ""},
		{"fine ranges", reporting.Template{Body: "{{range $i, $o := .User.orders}}{{if $i}}, {{end}}{{.id}}: {{range .items}}{{.name}} × {{.qty}} at {{printf \"%.2f\" .price}}{{if .sale}} (sale){{end}}; {{end}}{{else}}no orders{{end}}",
			HTML: "<ul>{{with .User}}{{range .cart}}<li><a href=\"{{.url}}\">{{.name}}</a></li>{{end}}{{end}}</ul>"}, "", 0, ""},
		{"depends on the user", reporting.Template{Body: "{{index .User.items 0}} {{.User.a.b.c}} {{len .User.tags}} {{$x := .User.n}}{{lt $x 3.0}}"}, "", 0, ""},
		{"unclosed action", reporting.Template{Body: "Hi\n{{.Offer.Code}\n"}, "body", 2, "bad character"},
		{"unknown function", reporting.Template{Body: "a\nb\n{{upper .User.first_name}}"}, "body", 3, `function "upper" not defined`},
		{"unknown offer field", reporting.Template{Subject: "Save {{.Offer.Discount}}%", Body: "x"}, "subject", 1, ".Offer has no Discount: it has DiscountPercent, CashbackPercent and Code"},
		{"unknown data field", reporting.Template{Body: "x\n{{.Usr.first_name}}"}, "body", 2, "there is no .Usr: use .User.<attribute> or .Offer.<field>"},
		{"always fails", reporting.Template{Body: "{{len .Offer.DiscountPercent}}"}, "body", 1, "len of type number"},
		{"html syntax", reporting.Template{Body: "x", HTML: "<p>\n{{if}}</p>"}, "html", 2, "missing value for if"},
		{"html unsafe context", reporting.Template{Body: "x", HTML: "<a href='{{.Offer.Code}}>go</a>"}, "html", 0, "ends in a non-text context"},

		// Bombs and templates that can never render.
		{"doubling bomb", reporting.Template{Body: doublingBomb()}, "body", 1, "{{template}} and {{block}} are not available"},
		{"range over a number", reporting.Template{Body: "{{range 300000000}}{{end}}"}, "body", 1, "range must go over a list in the user's attributes, such as {{range .User.items}}, not 300000000"},
		{"missing template", reporting.Template{Body: "Hi\n{{template \"nope\"}}"}, "body", 2, "{{template}} and {{block}} are not available"},
		{"self recursion", reporting.Template{Body: "{{define \"x\"}}{{template \"x\"}}{{end}}{{template \"x\"}}"}, "body", 1, "{{template}}"},
		{"define alone", reporting.Template{Body: "Hi\n{{define \"x\"}}\nx{{end}}"}, "body", 2, "{{define}} and {{block}} are not available"},
		{"define in the field's place", reporting.Template{Body: "{{define \"body\"}}x{{end}}"}, "body", 1, "{{define}}"},
		{"block", reporting.Template{Body: "x", HTML: "<p>{{block \"b\" .}}x{{end}}</p>"}, "html", 1, "{{block}}"},
		{"call", reporting.Template{Body: "{{call .User.f}}"}, "body", 1, "call is not available"},
		{"range over all attributes", reporting.Template{Body: "{{range .User}}{{.}}{{end}}"}, "body", 1, "not .User"},
		{"range over a variable", reporting.Template{Body: "{{range $x := .User.a}}\n{{range $x}}{{end}}{{end}}"}, "body", 2, "not $x"},
		{"range over the offer", reporting.Template{Body: "{{with .Offer}}{{range .DiscountPercent}}x{{end}}{{end}}"}, "body", 1, "not .DiscountPercent"},
		{"range over root again", reporting.Template{Body: "{{with $}}{{range .User}}{{end}}{{end}}"}, "body", 1, "not .User"},
		{"range over a function", reporting.Template{Body: "{{range slice .User.a 0}}{{end}}"}, "body", 1, "not slice .User.a 0"},
		{"ranges 3 deep", reporting.Template{Body: "{{range .User.a}}{{range .b}}\n\n{{range .c}}{{end}}{{end}}{{end}}"}, "body", 3, "ranges nest at most 2 deep"},
		{"too many nodes", reporting.Template{Body: strings.Repeat("{{.Offer.Code}}", 600)}, "body", 0, "template parts (text, actions and what they name), more than the 2000"},
		{"too many steps", reporting.Template{Body: "{{.Offer.Code}}\n{{range .User.a}}{{range .b}}" + strings.Repeat("{{.x}}", 20) + "{{end}}{{end}}"}, "body", 2, "the field may take 81510 steps for a user with long lists (100 items each, 1000 in all), more than 50000; the range here takes 81503 of them: put less inside it"},
		{"printf width", reporting.Template{Body: `{{printf "%0999999d" 1}}`}, "body", 1, "printf would make too much text"},
		{"print doubling", reporting.Template{Body: `{{$x := "0123456789abcdef"}}` + strings.Repeat("\n{{$x = print $x $x}}", 20)}, "body", 12, "print made more than 16 KiB, the most one call may"},
		{"functions' budget", reporting.Template{Body: `{{$x := printf "%8000s" "a"}}` + strings.Repeat(`{{$y := print $x $x}}`, 20)}, "body", 1, "print would make too much text: a field's functions may read and write 256 KiB in all"},
		{"printf of a map", reporting.Template{Body: `{{printf "%v" .Offer}}`}, "body", 1, "printf takes text, numbers and true or false"},
		{"output", reporting.Template{Body: "x", HTML: strings.Repeat(`{{printf "%8000s" "a"}}`, 9)}, "html", 0, "is longer than 64 KiB"},
	}
	for _, tt := range tests {
		err := CheckTemplate(tt.tmpl)
		var te *TemplateError
		switch {
		case tt.wantField == "" && err != nil:
			t.Errorf("%s: got %v, want no error", tt.name, err)
		case tt.wantField != "" && !errors.As(err, &te):
			t.Errorf("%s: got %v, want a TemplateError", tt.name, err)
		case tt.wantField != "" && (te.Field != tt.wantField || te.Line != tt.wantLine || !strings.Contains(te.Error(), tt.wantMessage)):
			t.Errorf("%s: got %s line %d: %v; want %s line %d: %q", tt.name, te.Field, te.Line, err, tt.wantField, tt.wantLine, tt.wantMessage)
		}
	}
}

// TestRenderPastLimitForOneUser renders a template that fits for one user
// and is too long for another.
func TestRenderPastLimitForOneUser(t *testing.T) {
	tmpl := reporting.Template{Body: "Your cart:{{range .User.items}} {{.}}{{end}}"}
	if err := CheckTemplate(tmpl); err != nil {
		t.Fatalf("CheckTemplate = %v, want the template saved", err)
	}
	few := TemplateData{User: map[string]any{"items": []any{"tea", "cup"}}}
	if r, err := render(tmpl, few); err != nil || r.body != "Your cart: tea cup" {
		t.Errorf("render for a short cart = %q, %v", r.body, err)
	}
	many := make([]any, maxListItems)
	for i := range many {
		many[i] = strings.Repeat("x", 1000)
	}
	_, err := render(tmpl, TemplateData{User: map[string]any{"items": many}})
	if err == nil || err.Error() != "body is longer than 64 KiB" {
		t.Errorf("render for a long cart = %v, want body is longer than 64 KiB", err)
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
