package api_test

import (
	"strings"
	"testing"
)

// preview is the answer of POST /v1/templates/{id}/preview.
type preview struct {
	Template, Locale, Title, Subject, Body, HTML string
	Errors                                       []struct {
		Field   string
		Line    int
		Message string
	}
}

// TestPreviewTemplate renders templates for a profile sent with the
// request, for a stored user, in the user's locale and in another: the
// fields come out as a send renders them, with the example offer, and a
// field that fails for this user is listed with its line, the others
// still rendered. Nothing is stored.
func TestPreviewTemplate(t *testing.T) {
	h := newHarness(t)
	h.seed()
	h.mustCall("PUT", "/v1/templates/hello", map[string]string{"locale": "en", "title": "Hi  {{.User.first_name}}",
		"body": "{{.User.first_name}}, {{.Offer.DiscountPercent}}% off with {{.Offer.Code}}", "html": "<p>{{.User.first_name}}</p>"}, 200, nil)
	h.mustCall("PUT", "/v1/templates/hello", map[string]string{"locale": "fa", "title": "سلام {{.User.first_name}}", "body": "سلام"}, 200, nil)
	h.mustCall("PUT", "/v1/templates/items", map[string]string{"locale": "en", "subject": "Your cart",
		"body": "Still want it?\n{{index .User.items 3}}"}, 200, nil)
	before := h.snapshot()

	var p preview
	h.mustCall("POST", "/v1/templates/hello/preview", map[string]any{"user": map[string]any{"attributes": map[string]any{"first_name": "<Sara>"}}}, 200, &p)
	if p.Template != "hello" || p.Locale != "en" || p.Title != "Hi <Sara>" || p.Subject != "Hi <Sara>" ||
		p.Body != "<Sara>, 10% off with CART-EXAMPLE" || p.HTML != "<p>&lt;Sara&gt;</p>" || len(p.Errors) != 0 {
		t.Errorf("preview for a profile = %+v", p)
	}
	h.mustCall("POST", "/v1/templates/hello/preview", map[string]any{"user_id": "u1", "locale": "fa-IR"}, 200, &p)
	if p.Locale != "fa" || p.Title != "سلام Sara" || p.Body != "سلام" {
		t.Errorf("preview for u1 in fa-IR = %+v, want the fa template", p)
	}

	h.mustCall("POST", "/v1/templates/items/preview", map[string]any{"user": map[string]any{"attributes": map[string]any{"items": []string{"a"}}}}, 200, &p)
	if p.Subject != "Your cart" || p.Body != "" || len(p.Errors) != 1 || p.Errors[0].Field != "body" || p.Errors[0].Line != 2 ||
		!strings.Contains(p.Errors[0].Message, "index out of range") {
		t.Errorf("preview of a body that fails for the user = %+v, want the subject and a body error on line 2", p)
	}

	h.checkRefusals(t, []refusal{
		{"/v1/templates/nope/preview", map[string]any{"user_id": "u1"}, 404, `template "nope" does not exist`},
		{"/v1/templates/hello/preview", map[string]any{"user_id": "ghost"}, 404, `user "ghost" has no profile`},
		{"/v1/templates/hello/preview", map[string]any{"user_id": "u1", "user": map[string]any{}}, 400, "send user or user_id, not both"},
		{"/v1/templates/hello/preview", map[string]any{}, 400, "user or user_id is required"},
		{"/v1/templates/hello/preview", map[string]any{"user_id": "u1", "locale": "english!"}, 400, `locale "english!" is not a language tag`},
		{"/v1/templates/hello/preview", map[string]any{"user": map[string]any{"timezone": "Mars/Base"}}, 400, "is not an IANA time zone"},
	})
	if after := h.snapshot(); after != before {
		t.Errorf("previews changed the database:\nbefore %s\nafter  %s", before, after)
	}
}
