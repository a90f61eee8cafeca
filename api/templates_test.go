package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"journeys/api"
	"journeys/reporting/dbtest"
)

// putTemplate sends PUT /v1/templates/{id} and returns the status and
// the error message, if any.
func putTemplate(t *testing.T, srv *httptest.Server, id string, body map[string]string) (int, string) {
	t.Helper()
	raw, _ := json.Marshal(body)
	code, answer := do(t, srv, http.MethodPut, "/v1/templates/"+id, string(raw))
	var out struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(answer, &out)
	return code, out.Error.Message
}

// TestPutTemplateRefusesBombs saves templates that would take the process's
// memory or time, or that can never render: each is a 400 naming the field
// and line, and nothing is stored. The shipped templates save as they are.
func TestPutTemplateRefusesBombs(t *testing.T) {
	store, _ := dbtest.New(t)
	srv := httptest.NewServer(api.New(api.Config{Store: store, APIKey: "k", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()

	var bomb strings.Builder // 1.4 KB that doubles 64 bytes 22 times: 256 MiB
	bomb.WriteString(`{{define "d0"}}` + strings.Repeat("x", 64) + `{{end}}`)
	for i := 1; i <= 22; i++ {
		fmt.Fprintf(&bomb, `{{define "d%d"}}{{template "d%d"}}{{template "d%d"}}{{end}}`, i, i-1, i-1)
	}
	bomb.WriteString(`{{template "d22"}}`)

	tests := []struct {
		name string
		body map[string]string
		want string
	}{
		{"doubling bomb", map[string]string{"body": bomb.String()},
			"template field body, line 1: {{template}} and {{block}} are not available: write the text where it is used"},
		{"range over a number", map[string]string{"body": "Hi\n{{range 300000000}}{{end}}"},
			"template field body, line 2: range must go over a list in the user's attributes, such as {{range .User.items}}, not 300000000"},
		{"missing template", map[string]string{"body": "x", "html": `<p>{{template "nope"}}</p>`},
			"template field html, line 1: {{template}} and {{block}} are not available: write the text where it is used"},
		{"self recursion", map[string]string{"body": `{{define "me"}}{{template "me"}}{{end}}`},
			"template field body, line 1: {{define}} and {{block}} are not available: write the text where it is used"},
		{"printf width", map[string]string{"body": "x", "subject": `{{printf "%0999999d" 1}}`},
			"template field subject, line 1: printf would make too much text: a field's functions may read and write 256 KiB in all"},
		{"output", map[string]string{"body": strings.Repeat(`{{printf "%8000s" .Offer.Code}}`, 9)},
			"template field body is longer than 64 KiB"},
		{"fails for every user", map[string]string{"body": "{{.Offer.Cod}}"},
			"template field body, line 1: <.Offer.Cod>: .Offer has no Cod: it has DiscountPercent, CashbackPercent and Code"},
	}
	for _, tt := range tests {
		tt.body["locale"] = "en"
		status, message := putTemplate(t, srv, "bomb", tt.body)
		if status != http.StatusBadRequest || message != tt.want {
			t.Errorf("%s: PUT = %d %q, want 400 %q", tt.name, status, message, tt.want)
		}
	}
	if ts, err := store.Templates(dbtest.Ctx(), "bomb"); err != nil || len(ts) != 0 {
		t.Errorf("stored %d templates after 400s (%v), want none", len(ts), err)
	}

	shipped, err := store.Templates(dbtest.Ctx(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range shipped {
		body := map[string]string{"locale": tm.Locale, "title": tm.Title, "subject": tm.Subject, "body": tm.Body, "html": tm.HTML}
		if status, message := putTemplate(t, srv, tm.ID, body); status != http.StatusOK {
			t.Errorf("PUT shipped %s (%s) = %d %q, want 200", tm.ID, tm.Locale, status, message)
		}
	}
	list := map[string]string{"locale": "en", "body": "{{range .User.cart}}{{.name}}, {{end}}code {{.Offer.Code}}"}
	if status, message := putTemplate(t, srv, "cart_list", list); status != http.StatusOK {
		t.Errorf("PUT a range over the cart = %d %q, want 200", status, message)
	}
}
