package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"journeys/api"
	"journeys/reporting"
	"journeys/reporting/dbtest"
)

// newAPI serves the API over a fresh database, without Temporal: enough
// for the routes that define journeys.
func newAPI(t *testing.T) (*httptest.Server, *reporting.Store) {
	t.Helper()
	store, _ := dbtest.New(t)
	srv := httptest.NewServer(api.New(api.Config{Store: store, APIKey: "k", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	return srv, store
}

// do sends a request with the API key and returns the status and body.
func do(t *testing.T, srv *httptest.Server, method, path, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer k")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func TestJourneyControls(t *testing.T) {
	srv, store := newAPI(t)
	const welcome = `{"id":"w","name":"Welcome","type":"welcome_series","goal_event":"purchase","entry_event":"signed_up"`

	code, body := do(t, srv, "POST", "/v1/journeys", welcome+`,
		"send_window":{"days":["sat","sun","mon","tue","wed","thu"],"start":"09:00","end":"21:00"},
		"transactional":true,"match":"account_id"}`)
	if code != 201 {
		t.Fatalf("create = %d %s", code, body)
	}
	var j reporting.Journey
	_ = json.Unmarshal(body, &j)
	if j.SendWindow == nil || len(j.SendWindow.Days) != 6 || !j.Transactional || j.Match != "account_id" ||
		!slices.Equal(j.ListenedEvents, []string{"activated"}) {
		t.Errorf("created %s, want the controls and the activation event listened for", body)
	}

	// A new config brings the events its runs wait for; controls change
	// alone, and a null window removes it.
	code, body = do(t, srv, "PATCH", "/v1/journeys/w", `{"config":{"activation_event":"first_lesson"},"send_window":null,"transactional":false}`)
	if code != 200 {
		t.Fatalf("patch = %d %s", code, body)
	}
	got, err := store.Journey(dbtest.Ctx(), "w")
	if err != nil {
		t.Fatal(err)
	}
	if got.SendWindow != nil || got.Transactional || got.Match != "account_id" || !slices.Equal(got.ListenedEvents, []string{"first_lesson"}) {
		t.Errorf("after the patch: window %v, transactional %v, match %q, listened %v", got.SendWindow, got.Transactional, got.Match, got.ListenedEvents)
	}
	code, body = do(t, srv, "PATCH", "/v1/journeys/w", `{"send_window":{"days":["fri"],"start":"21:00","end":"02:00"}}`)
	if got, _ := store.Journey(dbtest.Ctx(), "w"); code != 200 || got.SendWindow == nil || got.SendWindow.End != "02:00" {
		t.Errorf("patch window = %d %s, stored %v", code, body, got.SendWindow)
	}

	tests := []struct {
		method, path, body, want string
	}{
		{"POST", "/v1/journeys", welcome + `,"send_window":{"days":["mon","someday"],"start":"09:00","end":"21:00"}}`, `send_window.days[1] \"someday\" is not one of`},
		{"POST", "/v1/journeys", welcome + `,"send_window":{"days":[],"start":"09:00","end":"21:00"}}`, "send_window.days must list 1 to 7 days"},
		{"POST", "/v1/journeys", welcome + `,"send_window":{"days":["mon"],"start":"9am","end":"21:00"}}`, "send_window.start"},
		{"POST", "/v1/journeys", welcome + `,"send_window":{"days":["mon"],"start":"09:00","end":"09:00"}}`, "send_window.end"},
		{"POST", "/v1/journeys", welcome + `,"match":" cart_id"}`, "match"},
		{"POST", "/v1/journeys", `{"name":"W","type":"winback","goal_event":"purchase","match":"cart_id"}`, "match \"cart_id\" needs an entry_event"},
		{"POST", "/v1/journeys", welcome + `,"config":{"vip":"user.tier =="}}`, "config.vip"},
		{"PATCH", "/v1/journeys/w", `{"send_window":{"days":["mon"],"start":"09:00"}}`, "send_window.end"},
		{"PATCH", "/v1/journeys/w", `{"send_window":"evenings"}`, "send_window must be null or an object"},
		{"PATCH", "/v1/journeys/w", `{"match":"` + strings.Repeat("x", 101) + `"}`, "match"},
	}
	for _, tt := range tests {
		code, body := do(t, srv, tt.method, tt.path, tt.body)
		var e struct {
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal(body, &e)
		if code != 400 || e.Error.Code != "invalid" || !strings.Contains(e.Error.Message, strings.ReplaceAll(tt.want, `\"`, `"`)) {
			t.Errorf("%s %s %s = %d %s, want 400 naming %s", tt.method, tt.path, tt.body, code, body, tt.want)
		}
	}
	if js, _ := store.Journeys(dbtest.Ctx()); len(js) != 1 {
		t.Errorf("%d journeys stored, want 1: refused requests store nothing", len(js))
	}
}

func TestListJourneyTypes(t *testing.T) {
	srv, _ := newAPI(t)
	code, body := do(t, srv, "GET", "/v1/journey-types", "")
	if code != 200 {
		t.Fatalf("GET /v1/journey-types = %d %s", code, body)
	}
	var out struct {
		JourneyTypes []struct {
			Name         string         `json:"name"`
			Description  string         `json:"description"`
			ConfigSchema map[string]any `json:"config_schema"`
		} `json:"journey_types"`
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&out); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, typ := range out.JourneyTypes {
		names = append(names, typ.Name)
		s := typ.ConfigSchema
		// Every type but the flow, which has none, shows its default config.
		if typ.Description == "" || s["$schema"] != "https://json-schema.org/draft/2020-12/schema" || s["type"] != "object" ||
			s["properties"] == nil || (s["default"] == nil) != (typ.Name == "flow") {
			t.Errorf("%s: description %q, schema head %v %v, with properties %v and a default %v",
				typ.Name, typ.Description, s["$schema"], s["type"], s["properties"] != nil, s["default"] != nil)
		}
	}
	for _, want := range []string{"cart_abandonment", "welcome_series", "winback"} {
		if !slices.Contains(names, want) {
			t.Errorf("types = %v, want %s among them", names, want)
		}
	}
}
