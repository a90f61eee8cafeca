package activities

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"text/template"
)

// TestTextFuncs checks that the bounded functions make what the built-in
// ones do.
func TestTextFuncs(t *testing.T) {
	funcs := textFuncs(&textBudget{left: maxFuncText})
	tests := []struct {
		name string
		args []any
		want string
	}{
		{"print", []any{"a", 1, 2, "b", 2.5, true, nil}, fmt.Sprint("a", 1, 2, "b", 2.5, true, nil)},
		{"println", []any{"a", 1}, "a 1\n"},
		{"printf", []any{"%s has %d items worth %.2f", "Sara", 3, 12.5}, "Sara has 3 items worth 12.50"},
		{"printf", []any{"%[2]s %[1]s", "a", "b"}, "b a"},
		{"html", []any{`<a href="x">`}, template.HTMLEscapeString(`<a href="x">`)},
		{"js", []any{`"</script>`}, template.JSEscapeString(`"</script>`)},
		{"urlquery", []any{"a b&c"}, "a+b%26c"},
	}
	for _, tt := range tests {
		var got string
		var err error
		switch f := funcs[tt.name].(type) {
		case func(...any) (string, error):
			got, err = f(tt.args...)
		case func(string, ...any) (string, error):
			got, err = f(tt.args[0].(string), tt.args[1:]...)
		}
		if err != nil || got != tt.want {
			t.Errorf("%s%v = %q, %v; want %q", tt.name, tt.args, got, err, tt.want)
		}
	}
	for _, arg := range []any{[]any{1}, map[string]any{}, TemplateOffer{}} {
		if _, err := funcs["print"].(func(...any) (string, error))(arg); err == nil {
			t.Errorf("print(%T) made text, want it refused", arg)
		}
	}
}

func TestTextBudget(t *testing.T) {
	b := &textBudget{left: maxFuncText}
	print := textFuncs(b)["print"].(func(...any) (string, error))
	s := strings.Repeat("a", maxFuncResult/2)
	var budget *funcBudgetError
	if _, err := print(s, s); err != nil {
		t.Fatalf("print of %d bytes = %v, want it made", maxFuncResult, err)
	}
	if _, err := print(s, s, "a"); !errors.As(err, &budget) || !budget.call {
		t.Errorf("print of %d bytes = %v, want it refused as one call", maxFuncResult+1, err)
	}
	for range 100 {
		if _, err := print(s); err != nil {
			if !errors.As(err, &budget) || budget.call || b.left > maxFuncResult {
				t.Errorf("err = %v with %d left, want the field's budget spent", err, b.left)
			}
			return
		}
	}
	t.Errorf("100 calls made %d bytes, more than the budget of %d", 100*len(s), maxFuncText)
}

// FuzzPrintfLength checks that printfLength bounds what fmt.Sprintf makes,
// whatever the format.
func FuzzPrintfLength(f *testing.F) {
	for _, format := range []string{
		"%s", "%d items", "%.2f", "%f", "% #x", "%+q", "%#v", "%[2]s %[1]s %[1]s", "%*d", "%.*f", "%!", "%", "%[",
		"%[9]d", "%-10.3s|%08.3f|%x", "%v %v %v %v", "%U %c", "%[1]*[2].*[3]f", "%[3]*.[2]*[1]f", "%x %X % X", "%%%",
	} {
		f.Add(format, "\xff\U0010ffffa\"<", int64(7), 1e308)
	}
	f.Fuzz(func(t *testing.T, format, s string, n int64, x float64) {
		args := []any{s, int(n % 1000), x, true, nil, s}
		sizes, widest, err := argSizes("printf", args)
		if err != nil {
			t.Fatal(err)
		}
		if got, bound := len(fmt.Sprintf(format, args...)), printfLength(format, sizes, widest); got > bound {
			t.Errorf("Sprintf(%q) made %d bytes, more than the bound %d", format, got, bound)
		}
	})
}
