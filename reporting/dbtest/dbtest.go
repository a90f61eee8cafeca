// Package dbtest gives tests a throwaway Postgres database, migrated, and
// dropped when the test ends.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"journeys/reporting"
)

// DefaultURL is the server tests use unless JOURNEYS_TEST_DATABASE_URL names
// another: the local Postgres with trust auth.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// BaseURL is the Postgres server tests use: JOURNEYS_TEST_DATABASE_URL, or
// DefaultURL.
func BaseURL() string {
	if u := os.Getenv("JOURNEYS_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// New creates a fresh database, migrates it and returns a store on it with
// its URL. Without a reachable Postgres the test fails: tests that need it
// never skip.
func New(t testing.TB) (*reporting.Store, string) {
	t.Helper()
	return NewAt(t, math.MaxInt)
}

// NewAt is New with the migrations up to number last only: the schema of
// an earlier release, for tests of upgrades.
func NewAt(t testing.TB, last int) (*reporting.Store, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	base := BaseURL()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("JOURNEYS_TEST_DATABASE_URL: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "journeys_test_" + hex.EncodeToString(b)
	u.Path = "/" + name

	if err := reporting.CreateDatabase(ctx, u.String()); err != nil {
		t.Fatalf("tests need Postgres at %s (start it, or set JOURNEYS_TEST_DATABASE_URL): %v", base, err)
	}
	store, err := reporting.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		store.Close()
		admin := *u
		admin.Path = "/postgres"
		db, err := sqlx.Open("postgres", admin.String())
		if err != nil {
			t.Errorf("drop test database: %v", err)
			return
		}
		defer db.Close()
		if _, err := db.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	if err := store.MigrateTo(ctx, last); err != nil {
		t.Fatal(err)
	}
	return store, u.String()
}

// Snapshot sums up the contents of every table of the store's database but
// the migrations' own: each table's row count and a hash of its rows. Two
// equal snapshots mean nothing was written in between.
func Snapshot(t testing.TB, store *reporting.Store) string {
	t.Helper()
	var tables []string
	if err := store.DB().Select(&tables, `SELECT tablename FROM pg_tables
		WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY tablename`); err != nil {
		t.Fatal(err)
	}
	parts := make([]string, len(tables))
	for i, table := range tables {
		parts[i] = fmt.Sprintf(`SELECT '%[1]s:' || count(*) || ':' || coalesce(md5(string_agg(t::text, E'\n' ORDER BY t::text)), '') FROM %[1]s t`, table)
	}
	var s string
	if err := store.DB().Get(&s, `SELECT string_agg(x, ' ') FROM (`+strings.Join(parts, " UNION ALL ")+`) f(x)`); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return s
}

// Ctx returns a context scoped to the default workspace, the one tests
// that are not about workspaces work in.
func Ctx() context.Context {
	return reporting.WithWorkspace(context.Background(), reporting.DefaultWorkspace)
}
