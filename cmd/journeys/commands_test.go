package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/server/temporaltest"

	"journeys/reporting"
	"journeys/reporting/dbtest"
)

// newDatabaseURL returns the URL of a database that does not exist yet,
// dropped when the test ends.
func newDatabaseURL(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	u, _ := url.Parse(dbtest.DefaultURL)
	u.Path = "/journeys_cmd_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		admin, err := reporting.Open(context.Background(), dbtest.DefaultURL)
		if err != nil {
			t.Error(err)
			return
		}
		defer admin.Close()
		if _, err := admin.DB().Exec(`DROP DATABASE IF EXISTS ` + strings.TrimPrefix(u.Path, "/") + ` WITH (FORCE)`); err != nil {
			t.Error(err)
		}
	})
	return u.String()
}

func TestMigrateCommand(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	env := map[string]string{
		"DATABASE_URL":       newDatabaseURL(t),
		"TEMPORAL_ADDRESS":   ts.GetFrontendHostPort(),
		"TEMPORAL_NAMESPACE": ts.GetDefaultNamespace(),
	}
	getenv := func(k string) string { return env[k] }
	// Twice: creating the database, migrating and registering the search
	// attributes are all idempotent.
	for range 2 {
		var stderr bytes.Buffer
		if err := run(context.Background(), []string{"migrate"}, getenv, &bytes.Buffer{}, &stderr); err != nil {
			t.Fatalf("migrate: %v\n%s", err, stderr.String())
		}
	}
	store, err := reporting.Open(context.Background(), env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Journeys(reporting.WithWorkspace(context.Background(), reporting.DefaultWorkspace)); err != nil {
		t.Errorf("the database is not migrated: %v", err)
	}
	resp, err := ts.GetDefaultClient().OperatorService().ListSearchAttributes(context.Background(),
		&operatorservice.ListSearchAttributesRequest{Namespace: ts.GetDefaultNamespace()})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"UserId", "JourneyId", "JourneyType", "JourneyStep", "JourneyStatus"} {
		if _, ok := resp.GetCustomAttributes()[name]; !ok {
			t.Errorf("search attribute %s is not registered", name)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the writer in the service and the
// reader in the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDevSurvivesRestart runs `journeys dev`, enrolls a user, stops it
// before the first touch is due and starts it again on the same data
// folder: the run goes on where it was.
func TestDevSurvivesRestart(t *testing.T) {
	free, err := freePorts("127.0.0.1", 3)
	if err != nil {
		t.Fatal(err)
	}
	ports := make([]string, len(free))
	for i, p := range free {
		ports[i] = "127.0.0.1:" + strconv.Itoa(p)
	}
	env := map[string]string{
		"DATABASE_URL":              newDatabaseURL(t),
		"JOURNEYS_HTTP_ADDR":        ports[0],
		"TEMPORAL_ADDRESS":          ports[1],
		"JOURNEYS_TEMPORAL_UI_ADDR": ports[2],
		"JOURNEYS_DATA_DIR":         t.TempDir(),
		"JOURNEYS_API_KEY":          testKey,
	}
	s := &stack{t: t, base: "http://" + ports[0]}

	// start runs dev until the returned stop is called.
	start := func() (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		var stdout, stderr syncBuffer
		go func() {
			done <- run(ctx, []string{"dev"}, func(k string) string { return env[k] }, &stdout, &stderr)
		}()
		deadline := time.Now().Add(2 * time.Minute)
		for !strings.Contains(stdout.String(), "journeys dev is running") {
			select {
			case err := <-done:
				t.Fatalf("dev stopped: %v\n%s", err, stderr.String())
			case <-time.After(100 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("dev did not start:\n%s", stderr.String())
			}
		}
		if resp, err := http.Get(s.base + "/healthz"); err != nil || resp.StatusCode != 200 {
			t.Fatalf("healthz: %v %v", resp, err)
		}
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("dev: %v\n%s", err, stderr.String())
			}
		}
	}

	stop := start()
	s.mustCall("POST", "/v1/journeys", map[string]any{
		"id": "cart", "name": "Cart", "type": "cart_abandonment", "goal_event": "purchase",
		"config": map[string]any{
			"touches":    []map[string]string{{"after": "5s", "channel": "push", "template": "cart_offer"}},
			"final_wait": "1s",
		},
	}, 201, nil)
	s.mustCall("PUT", "/v1/users/u1", map[string]any{"push_token": "tok"}, 200, nil)
	s.mustCall("POST", "/v1/journeys/cart/enrollments", map[string]string{"user_id": "u1"}, 202, nil)
	stop()

	stop = start()
	defer stop()
	e := s.waitFor("cart", "u1", ended)
	if e.Status != "exited" || len(e.story()) != 3 || e.story()[1] != "sent:push" {
		t.Errorf("after the restart: %s %v, want the push sent and the run exited", e.Status, e.story())
	}
}
