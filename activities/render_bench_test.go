package activities

import (
	"strings"
	"testing"

	"journeys/reporting"
)

// worstData is the largest user a template can see: a list of lists cut
// to maxListItems and maxTemplateItems, and texts of maxAttributeText
// that differ only in their last byte, so that comparing two reads them
// through.
func worstData() TemplateData {
	long := strings.Repeat("a", maxAttributeText-1)
	s, t := long+"s", long+"t"
	item := func() map[string]any { return map[string]any{"s": s, "t": t, "n": 1.0} }
	outer := make([]any, 2*maxListItems)
	for i := range outer {
		inner := make([]any, 2*maxListItems)
		for j := range inner {
			inner[j] = item()
		}
		o := item()
		o["b"] = inner
		outer[i] = o
	}
	attrs := map[string]any{"a": outer, "s": s, "t": t}
	cut(attrs)
	return TemplateData{User: attrs, Offer: sampleData.Offer}
}

// fill repeats part between prefix and suffix as many times as the rules
// allow.
func fill(tb testing.TB, html bool, prefix, part, suffix string) string {
	n := 0
	for ; ; n++ {
		if _, err := parseField("body", prefix+strings.Repeat(part, n+1)+suffix, html); err != nil {
			break
		}
	}
	if n == 0 {
		tb.Fatalf("even one %q is refused", part)
	}
	return prefix + strings.Repeat(part, n) + suffix
}

// BenchmarkRenderLimits renders the heaviest fields the rules allow, each
// heavy in its own way, for the largest user a template sees, and checks
// the limits the rules promise before the benchmark timing starts.
func BenchmarkRenderLimits(b *testing.B) {
	data := worstData()
	cases := []struct {
		name                 string
		html                 bool
		prefix, part, suffix string
	}{
		{"nested_ifs", false, "{{range .User.a}}{{range .b}}", "{{if .n}}{{end}}", "{{end}}{{end}}"},
		{"nested_compare", false, "{{range .User.a}}{{range .b}}", "{{if eq .s .t}}{{end}}", "{{end}}{{end}}"},
		{"compare", false, "{{range .User.a}}", "{{if eq .s .t}}{{end}}", "{{end}}"},
		{"printf", false, "{{range .User.a}}", `{{$x := printf "%s" .s}}`, "{{end}}"},
		{"urlquery", false, "{{range .User.a}}", "{{$x := urlquery .s}}", "{{end}}"},
		{"output", false, "{{range .User.a}}", "{{.s}}", "{{end}}"},
		{"html_output", true, "<p>{{range .User.a}}", "<a href=\"/{{.s}}\" title=\"{{.t}}\">{{.n}}</a>", "{{end}}</p>"},
		{"html_all", true, "", "<p>{{.User}}</p>", ""},
	}
	for _, c := range cases {
		text := fill(b, c.html, c.prefix, c.part, c.suffix)
		t := reporting.Template{Body: text}
		if c.html {
			t = reporting.Template{Body: "x", HTML: text}
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = render(t, data)
			}
		})
	}
	// Saving checks a template at the limits: parse, rules, escaping and
	// a render for a user with no attributes.
	save := reporting.Template{
		Body: fill(b, false, "{{range .User.a}}", "{{if eq .s .t}}{{.s}}{{end}}", "{{end}}"),
		HTML: fill(b, true, "<ul>{{range .User.a}}<li>{{range .b}}", "<a href=\"/{{.s}}\">{{.t}}</a>", "{{end}}</li>{{end}}</ul>"),
	}
	b.Run("save", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := CheckTemplate(save); err != nil {
				b.Fatal(err)
			}
		}
	})
}
