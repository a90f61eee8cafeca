package activities

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"

	"journeys/reporting"
)

// maxRenderedField bounds what one field of a template renders to for one
// user; a render that would pass it stops there and fails.
const maxRenderedField = 64 << 10

// rendered is a template rendered for one user.
type rendered struct {
	title, subject, body, html string
}

// render personalises template t with data.
func render(t reporting.Template, data TemplateData) (rendered, error) {
	fields, err := parseTemplate(t)
	if err != nil {
		return rendered{}, err
	}
	var out rendered
	for _, f := range fields {
		s, err := f.render(data)
		if err != nil {
			return rendered{}, err
		}
		*f.dst(&out) = s
	}
	out.title, out.subject = oneLine(out.title), oneLine(out.subject)
	return out, nil
}

// subjectLine is the subject an email goes out with: the title when the
// template has no subject.
func (r rendered) subjectLine() string {
	if r.subject == "" {
		return r.title
	}
	return r.subject
}

// oneLine folds a title or subject onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// field is one field of a template, parsed and checked.
type field struct {
	name, text string
	exec       func(io.Writer, any) error
	budget     *textBudget
	// plain says text/template renders it, not html/template.
	plain bool
	// pipes are the field's pipelines, to tell whether an error depends
	// on the user's attributes.
	pipes []pipe
}

// dst returns where in r the field goes.
func (f field) dst(r *rendered) *string {
	switch f.name {
	case "title":
		return &r.title
	case "subject":
		return &r.subject
	case "body":
		return &r.body
	}
	return &r.html
}

func (f field) render(data TemplateData) (string, error) {
	f.budget.left = maxFuncText
	b := &cappedBuffer{max: maxRenderedField}
	if err := f.exec(b, data); err != nil {
		return "", f.error(err)
	}
	if !f.plain {
		return b.String(), nil
	}
	// text/template prints a missing attribute as "<no value>", where
	// html/template prints nothing; make the text fields agree.
	return strings.ReplaceAll(b.String(), "<no value>", ""), nil
}

// error explains a failed render of the field.
func (f field) error(err error) *TemplateError {
	var budget *funcBudgetError
	switch {
	case errors.Is(err, errTooLong):
		return &TemplateError{Field: f.name, Message: "is longer than " + kib(maxRenderedField), err: err, limit: true}
	case errors.As(err, &budget):
		te := templateError(f.name, f.text, err)
		te.Message, te.limit = budget.Error(), true
		return te
	}
	return templateError(f.name, f.text, err)
}

// errTooLong stops a render at maxRenderedField.
var errTooLong = errors.New("rendered field too long")

// cappedBuffer is a buffer that refuses to grow past max bytes.
type cappedBuffer struct {
	bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, errTooLong
	}
	return b.Buffer.Write(p)
}

// source is one field of a template as written.
type source struct {
	name, text string
	html       bool
}

// sources returns the fields of t, in the order they render.
func sources(t reporting.Template) []source {
	return []source{{"title", t.Title, false}, {"subject", t.Subject, false}, {"body", t.Body, false}, {"html", t.HTML, true}}
}

// parseTemplate parses and checks the fields of t.
func parseTemplate(t reporting.Template) ([]field, error) {
	var out []field
	for _, f := range sources(t) {
		p, err := parseField(f.name, f.text, f.html)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func parseField(name, text string, html bool) (field, error) {
	f := field{name: name, text: text, budget: &textBudget{}}
	var tree *parse.Tree
	if html {
		h, err := htmltemplate.New(name).Option("missingkey=zero").Funcs(textFuncs(f.budget)).Parse(text)
		if err != nil {
			return field{}, templateError(name, text, err)
		}
		f.exec, tree = h.Execute, h.Tree
	} else {
		tt, err := template.New(name).Option("missingkey=zero").Funcs(textFuncs(f.budget)).Parse(text)
		if err != nil {
			return field{}, templateError(name, text, err)
		}
		f.exec, tree, f.plain = tt.Execute, tt.Tree, true
	}
	pipes, err := checkTree(name, tree, definedTrees(name, text))
	if err != nil {
		return field{}, err
	}
	f.pipes = pipes
	return f, nil
}

// TemplateError says which field of a template is wrong, and where.
type TemplateError struct {
	Field string
	// Line is the line of the field the error is on, or 0 when unknown.
	Line    int
	Message string
	err     error
	// pos is the byte of the field's text the error is at, or -1.
	pos int
	// limit says a render passed one of the limits on the work of a field.
	limit bool
}

func (e *TemplateError) Unwrap() error { return e.err }

func (e *TemplateError) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("%s, line %d: %s", e.Field, e.Line, e.Message)
	case e.limit:
		return fmt.Sprintf("%s %s", e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Message)
}

// errorPosition splits a template package error, such as
// `template: body:2:14: executing "body" at <.Offer.Cod>: can't evaluate
// field Cod`, into its line, column, the action and the rest.
var errorPosition = regexp.MustCompile(`(?s)^(?:html/)?template: ?[a-z]+:(\d+)(?::(\d+))?: (?:executing "[a-z]+" at <(.*?)>: )?(.*)$`)

// templateError turns an error of the template packages about field, whose
// text is text, into a *TemplateError in the words of the template's data.
func templateError(field, text string, err error) *TemplateError {
	var he *htmltemplate.Error
	if errors.As(err, &he) {
		return &TemplateError{Field: field, Line: he.Line, Message: he.Description, err: err, pos: -1}
	}
	m := errorPosition.FindStringSubmatch(err.Error())
	if m == nil {
		return &TemplateError{Field: field, Message: err.Error(), err: err, pos: -1}
	}
	te := &TemplateError{Field: field, Message: dataWords(m[4]), err: err, pos: -1}
	te.Line, _ = strconv.Atoi(m[1])
	if m[3] != "" {
		te.Message = "<" + m[3] + ">: " + te.Message
	}
	if col, err := strconv.Atoi(m[2]); err == nil {
		te.pos = lineStart(text, te.Line) + col
	}
	return te
}

// lineStart returns the byte of text that line (from 1) starts at.
func lineStart(text string, line int) int {
	pos := 0
	for ; line > 1; line-- {
		i := strings.IndexByte(text[pos:], '\n')
		if i < 0 {
			break
		}
		pos += i + 1
	}
	return pos
}

var (
	dataField  = regexp.MustCompile(`can't evaluate field (\w+) in type activities\.TemplateData`)
	offerField = regexp.MustCompile(`can't evaluate field (\w+) in type activities\.TemplateOffer`)
	goTypes    = strings.NewReplacer("map[string]interface {}", "map", "[]interface {}", "list", "interface {}", "value")
	goWords    = regexp.MustCompile(`\b(?:float64|int|string|bool)\b`)
)

// dataWords rewrites the template package's Go type names, which mean
// nothing to the person writing copy, in the words of the README.
func dataWords(s string) string {
	s = dataField.ReplaceAllString(s, "there is no .$1: use .User.<attribute> or .Offer.<field>")
	s = offerField.ReplaceAllString(s, ".Offer has no $1: it has DiscountPercent, CashbackPercent and Code")
	s = goTypes.Replace(s)
	return goWords.ReplaceAllStringFunc(s, func(w string) string {
		switch w {
		case "string":
			return "text"
		case "bool":
			return "true or false"
		}
		return "number"
	})
}

// sampleData is a user with no attributes, which templates are rendered
// for when they are saved.
var sampleData = TemplateData{User: map[string]any{}, Offer: TemplateOffer{DiscountPercent: 10, CashbackPercent: 5, Code: "CART-EXAMPLE"}}

// CheckTemplate reports the first field of t that cannot render, as a
// *TemplateError: one that does not parse, breaks the rules of
// template_rules.go, or fails to render for a user with no attributes
// where the failure does not depend on the user, such as {{.Offer.Cod}},
// HTML that cannot be escaped safely, or text past the limits of a render.
func CheckTemplate(t reporting.Template) error {
	fields, err := parseTemplate(t)
	if err != nil {
		return err
	}
	for _, f := range fields {
		_, err := f.render(sampleData)
		var te *TemplateError
		if errors.As(err, &te) && f.failsForEveryone(te) {
			return te
		}
	}
	return nil
}

// failsForEveryone reports whether te, from a render for sampleData, would
// happen for any user: whether the pipeline it happened in reads nothing
// from the user's attributes. An error it cannot place may depend on them.
func (f field) failsForEveryone(te *TemplateError) bool {
	var he *htmltemplate.Error
	if te.limit || errors.As(te, &he) {
		return true
	}
	if te.pos < 0 {
		return false
	}
	user := false
	for _, p := range f.pipes {
		if int(p.pos) > te.pos {
			break
		}
		user = p.userData
	}
	return !user
}
