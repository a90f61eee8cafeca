package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"

	"journeys/api"
	"journeys/reporting/dbtest"
)

func TestHealthNamesWhatIsDown(t *testing.T) {
	store, _ := dbtest.New(t)
	store.Close() // Postgres "down" for this store
	// Nothing listens on port 1.
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv := httptest.NewServer(api.New(api.Config{Store: store, Temporal: c, APIKey: "k", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status map[string]string
		Error  struct{ Code, Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 || body.Status["postgres"] != "down" || body.Status["temporal"] != "down" ||
		!strings.Contains(body.Error.Message, "postgres and temporal") {
		t.Errorf("healthz = %d %+v, want 503 naming postgres and temporal", resp.StatusCode, body)
	}
}
