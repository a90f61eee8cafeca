package activities

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
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

// Offer is what a journey offers the user: the numbers its templates show
// and the prefix of the discount code each enrollment gets.
type Offer struct {
	DiscountPercent int
	CashbackPercent int
	CodePrefix      string
}

// DefaultOffer is the offer of a journey whose config names none.
var DefaultOffer = Offer{DiscountPercent: 10, CashbackPercent: 5, CodePrefix: "CART"}

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

// codeEncoding spells codes without the look-alikes 0, O, 1 and I.
var codeEncoding = base32.NewEncoding("23456789ABCDEFGHJKLMNPQRSTUVWXYZ").WithPadding(base32.NoPadding)

// OfferCode returns the discount code of one enrollment: prefix, a dash and
// eight characters of an HMAC of the run's workflow id and enrollment id
// under secret. It is derived, not drawn, so every attempt and every touch
// of the enrollment shows the same code, and a later enrollment of the same
// user gets another; without the secret nobody can work out a code.
func OfferCode(secret []byte, prefix, workflowID string, enrollmentID int64) string {
	mac := hmac.New(sha256.New, secret)
	fmt.Fprintf(mac, "%s/%d", workflowID, enrollmentID)
	code := codeEncoding.EncodeToString(mac.Sum(nil)[:5])
	if prefix == "" {
		return code
	}
	return prefix + "-" + code
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

var localePattern = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// ParseLocale checks a locale tag, such as fa, fa-IR or zh-Hant-TW, and
// returns it in its usual case: language lower, region upper, script
// title.
func ParseLocale(s string) (string, error) {
	if !localePattern.MatchString(s) {
		return "", fmt.Errorf("locale %q is not a language tag such as fa, en or en-US", s)
	}
	parts := strings.Split(s, "-")
	parts[0] = strings.ToLower(parts[0])
	for i, p := range parts[1:] {
		switch len(p) {
		case 2:
			parts[i+1] = strings.ToUpper(p)
		case 4:
			parts[i+1] = strings.ToUpper(p[:1]) + strings.ToLower(p[1:])
		default:
			parts[i+1] = strings.ToLower(p)
		}
	}
	return strings.Join(parts, "-"), nil
}

// FallbackLocale is the locale a template is looked up in when the user's
// own has none.
const FallbackLocale = "en"

// locales lists where a user with locale looks for a template, most
// specific first: fa-IR, fa, then FallbackLocale.
func locales(locale string) []string {
	var out []string
	if l, err := ParseLocale(locale); err == nil {
		for tag := l; ; {
			out = append(out, tag)
			i := strings.LastIndexByte(tag, '-')
			if i < 0 {
				break
			}
			tag = tag[:i]
		}
	}
	if len(out) == 0 || out[len(out)-1] != FallbackLocale {
		out = append(out, FallbackLocale)
	}
	return out
}
