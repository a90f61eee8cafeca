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
	"journeys/reporting"
	"journeys/reporting/dbtest"
)

// withoutTemporal serves the API on store with a Temporal client for an
// address where nothing listens (port 1), until the test ends.
func withoutTemporal(t *testing.T, store *reporting.Store) *httptest.Server {
	t.Helper()
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	srv := httptest.NewServer(api.New(api.Config{Store: store, Temporal: c, APIKey: "k", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	return srv
}

// TestReadinessNamesWhatIsDown checks /readyz against a closed database
// and an address where no Temporal listens, and that /healthz, the
// liveness probe, still answers 200.
func TestReadinessNamesWhatIsDown(t *testing.T) {
	store, _ := dbtest.New(t)
	store.Close() // Postgres "down" for this store
	srv := withoutTemporal(t, store)

	if resp, err := http.Get(srv.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v, want 200 while the process serves", resp, err)
	}
	resp, err := http.Get(srv.URL + "/readyz")
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
		!strings.Contains(body.Error.Message, "not ready: postgres and temporal") {
		t.Errorf("readyz = %d %+v, want 503 naming postgres and temporal", resp.StatusCode, body)
	}
}

// TestReadinessWaitsForMigrations checks that a database missing a
// migration this binary carries is not ready, naming the file.
func TestReadinessWaitsForMigrations(t *testing.T) {
	store, _ := dbtest.New(t)
	if _, err := store.DB().ExecContext(t.Context(), `DELETE FROM schema_migrations WHERE version = 11`); err != nil {
		t.Fatal(err)
	}
	srv := withoutTemporal(t, store)
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Status map[string]string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 || body.Status["postgres"] != "ok" || body.Status["migrations"] != "pending: 011_journey_controls.sql" {
		t.Errorf("readyz = %d %v, want 503 with migration 011 pending", resp.StatusCode, body.Status)
	}
}
