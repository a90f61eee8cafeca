package activities

import (
	"fmt"
	"reflect"
	"strings"
	"text/template"
	"unicode/utf8"
)

// The functions of a template that make text (print, printf and println,
// and the escapers html, js and urlquery) are bounded: the output of a
// field is bounded by maxRenderedField as it is written, but a function's
// result may be kept in a variable or compared instead, and text/template
// has no other way to stop a loop that keeps making it.
const (
	// maxFuncResult bounds one call's result, so that no comparison reads
	// more than twice the longest text of the attributes.
	maxFuncResult = 2 * maxAttributeText
	// maxFuncText bounds what a field's functions read and write in one
	// render.
	maxFuncText = 4 * maxRenderedField
)

// funcBudgetError is a template function refusing to make more text than
// one call or the field's render may.
type funcBudgetError struct {
	name string
	call bool
}

func (e *funcBudgetError) Error() string {
	if e.call {
		return fmt.Sprintf("%s made more than %s, the most one call may", e.name, kib(maxFuncResult))
	}
	return fmt.Sprintf("%s would make too much text: a field's functions may read and write %s in all", e.name, kib(maxFuncText))
}

// textBudget is what is left of maxFuncText in one render of a field.
type textBudget struct {
	left int
}

// textFuncs returns the functions of text/template that make text, in
// versions that work out how long their result can be before making it
// and refuse once the field's budget is spent. They take the place of
// the built-in ones of the same names; the rest are harmless as they are.
func textFuncs(b *textBudget) map[string]any {
	// sprint makes a function of args that reads them once.
	sprint := func(name string, times, extra int, make func(...any) string) func(...any) (string, error) {
		return func(args ...any) (string, error) {
			n, err := argsLength(name, args)
			if err != nil {
				return "", err
			}
			return b.spend(name, times*n+extra, n, func() string { return make(args...) })
		}
	}
	return map[string]any{
		"print":   sprint("print", 1, 0, fmt.Sprint),
		"println": sprint("println", 1, 1, fmt.Sprintln),
		"printf": func(format string, args ...any) (string, error) {
			sizes, widest, err := argSizes("printf", args)
			if err != nil {
				return "", err
			}
			return b.spend("printf", printfLength(format, sizes, widest), len(format), func() string { return fmt.Sprintf(format, args...) })
		},
		// The escapers write at most six bytes for one: \u003C.
		"html":     sprint("html", 6, 0, template.HTMLEscaper),
		"js":       sprint("js", 6, 0, template.JSEscaper),
		"urlquery": sprint("urlquery", 6, 0, template.URLQueryEscaper),
	}
}

// spend makes a call's result, which bound bounds, when the budget has
// room for it, and charges the budget with what the call read and wrote.
func (b *textBudget) spend(name string, bound, read int, make func() string) (string, error) {
	if bound+read > b.left {
		return "", &funcBudgetError{name: name}
	}
	s := make()
	if len(s) > maxFuncResult {
		return "", &funcBudgetError{name: name, call: true}
	}
	b.left -= read + len(s)
	return s, nil
}

// argsLength bounds the length of fmt.Sprint(args...), spaces included.
func argsLength(name string, args []any) (int, error) {
	sizes, _, err := argSizes(name, args)
	n := len(args)
	for _, s := range sizes {
		n += s
	}
	return n, err
}

// argSizes bounds how long each argument prints with %v, and returns the
// widest integer among them, which a printf * takes as a width. Texts,
// numbers and true/false are what message copy prints; a list or a map
// (which prints its whole contents) is refused.
func argSizes(name string, args []any) (sizes []int, widest int, err error) {
	sizes = make([]int, len(args))
	for i, a := range args {
		v := reflect.ValueOf(a)
		switch v.Kind() {
		case reflect.String:
			sizes[i] = v.Len()
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			sizes[i] = 20
			widest = max(widest, int(min(max(v.Int(), -v.Int()), 1e6)))
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			sizes[i] = 20
			widest = max(widest, int(min(v.Uint(), 1e6)))
		case reflect.Float32, reflect.Float64:
			sizes[i] = 330 // %f of the largest float64
		case reflect.Invalid, reflect.Bool:
			sizes[i] = 5 // <nil>, false
		default:
			return nil, 0, fmt.Errorf("%s takes text, numbers and true or false, not a list, a map or all of .Offer", name)
		}
	}
	return sizes, widest, nil
}

// printfLength bounds the length of fmt.Sprintf(format, args...) whose
// arguments print at most sizes long (see argSizes), following fmt's rules
// for which argument a verb takes (any, once [n] has reordered them): the
// format's own text, and for each verb its width and precision, its
// argument (five times over for %x and
// four for %q or Go syntax: % #x writes "0x41 " for A, strconv.Quote
// "\xff" for one byte) and what an error such as %!d(MISSING) adds; then
// the arguments no verb took, which fmt prints after %!(EXTRA.
func printfLength(format string, sizes []int, widest int) int {
	n, arg, reordered, longest := 0, 0, false, 0
	for _, s := range sizes {
		longest = max(longest, s)
	}
	number := func(i int) (int, int) {
		v := 0
		for ; i < len(format) && format[i] >= '0' && format[i] <= '9'; i++ {
			v = min(10*v+int(format[i]-'0'), 1e7)
		}
		return v, i
	}
	// index reads an argument index such as [2], which fmt counts from 1;
	// without its ], fmt reads the [ alone.
	index := func(i int) int {
		if i >= len(format) || format[i] != '[' {
			return i
		}
		reordered = true
		j := strings.IndexByte(format[i:], ']')
		if j < 0 {
			return i + 1
		}
		return i + j + 1
	}
	// star reads a width or precision, which * takes from an argument.
	star := func(i int) (int, int) {
		if i < len(format) && format[i] == '*' {
			arg++
			return widest, i + 1
		}
		return number(i)
	}
	for i := 0; i < len(format); {
		if format[i] != '%' {
			n++
			i++
			continue
		}
		i++
		times := 1
		for ; i < len(format) && strings.IndexByte("+-# 0", format[i]) >= 0; i++ {
			if format[i] == '#' {
				times = 4
			}
		}
		var width, prec int
		width, i = star(index(i))
		if i < len(format) && format[i] == '.' {
			prec, i = star(index(i + 1))
		}
		i = index(i)
		verb, size := utf8.DecodeRuneInString(format[i:])
		i += size
		switch verb {
		case '%': // %% ignores width and precision, but not %!(BADWIDTH)
			n += 32
			continue
		case 'x', 'X':
			times = 5
		case 'q':
			times = max(times, 4)
		}
		switch {
		case reordered:
			n += times * longest
		case arg < len(sizes):
			n += times * sizes[arg]
		}
		n += width + prec + 32
		arg++
	}
	if !reordered {
		for ; arg < len(sizes); arg++ {
			n += sizes[arg] + 32
		}
	}
	return n
}

// kib spells a size in KiB, as the limits are documented.
func kib(n int) string {
	return fmt.Sprintf("%d KiB", n>>10)
}
