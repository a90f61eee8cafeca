// Package reporting is the service's Postgres store: journeys, users,
// enrollments, ingested events and the append-only log of what every run did,
// with the report queries over that log.
package reporting

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Errors the store gives meaning to.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("already exists")
	// ErrInvalid is data Postgres refuses (a value it cannot store, a
	// broken constraint): trying again will not help.
	ErrInvalid = errors.New("refused by the database")
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store reads and writes the service's tables.
type Store struct {
	db *pool
}

// Open connects to the database at databaseURL and checks that it answers.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	db, err := sqlx.Open("postgres", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	// As many idle connections as open ones: a burst of requests would
	// otherwise close the connections it opened and open them again for
	// the next, each a new Postgres backend.
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return &Store{db: newPool(db)}, nil
}

// Close closes the connection pool.
func (s *Store) Close() error { return s.db.Close() }

// Ping reports whether Postgres answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// DB exposes the pool, for tests and benchmarks that seed data.
func (s *Store) DB() *sqlx.DB { return s.db.DB }

// CreateDatabase creates the database named in databaseURL when it does not
// exist yet, connecting to the server's "postgres" database to do so.
func CreateDatabase(ctx context.Context, databaseURL string) error {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return errors.New("database url names no database")
	}
	admin := *u
	admin.Path = "/postgres"
	db, err := sqlx.Open("postgres", admin.String())
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	defer db.Close()

	var exists bool
	const q = `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`
	if err := db.GetContext(ctx, &exists, q, name); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "42P04" { // created meanwhile
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// Migrate applies the embedded migrations that have not run yet, each in its
// own transaction, in the order of their numbers. Replicas starting together
// take turns through an advisory lock.
func (s *Store) Migrate(ctx context.Context) error {
	return s.MigrateTo(ctx, math.MaxInt)
}

// MigrateTo applies the embedded migrations up to number last, as Migrate
// does: for tests that start from the schema an earlier release had.
func (s *Store) MigrateTo(ctx context.Context, last int) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)

	conn, err := s.db.Connx(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	const lockID = 7345102 // any constant shared by all replicas
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockID)

	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version int PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now())`
	if _, err := conn.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, name := range names {
		version, err := migrationVersion(name)
		if err != nil {
			return fmt.Errorf("migrate: %s has no version number", name)
		}
		if version > last {
			break
		}
		if err := s.applyMigration(ctx, conn, version, name); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return nil
}

// PendingMigrations lists the embedded migrations the database has not
// applied, by file name: empty when the schema is current.
func (s *Store) PendingMigrations(ctx context.Context) ([]string, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var applied []int
	const q = `SELECT version FROM schema_migrations`
	if err := s.db.SelectContext(ctx, &applied, q); err != nil {
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "42P01" { // undefined_table: never migrated
			return names, nil
		}
		return nil, fmt.Errorf("list applied migrations: %w", err)
	}
	done := map[int]bool{}
	for _, v := range applied {
		done[v] = true
	}
	var pending []string
	for _, name := range names {
		if version, err := migrationVersion(name); err != nil || !done[version] {
			pending = append(pending, strings.TrimPrefix(name, "migrations/"))
		}
	}
	return pending, nil
}

// migrationVersion is the number a migration's file name starts with.
func migrationVersion(name string) (int, error) {
	return strconv.Atoi(strings.SplitN(strings.TrimPrefix(name, "migrations/"), "_", 2)[0])
}

func (s *Store) applyMigration(ctx context.Context, conn *sqlx.Conn, version int, name string) error {
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	var applied bool
	if err := tx.GetContext(ctx, &applied, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, version); err != nil {
		return err
	}
	if applied {
		return nil
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version); err != nil {
		return err
	}
	return tx.Commit()
}

// translate maps driver errors onto the store's sentinels.
func translate(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var pqErr *pq.Error
	switch {
	case !errors.As(err, &pqErr):
	case pqErr.Code == "23505":
		return fmt.Errorf("%w: %s", ErrDuplicate, pqErr.Constraint)
	case pqErr.Code.Class() == "22", pqErr.Code.Class() == "23": // data exception, integrity constraint
		return fmt.Errorf("%w: %s", ErrInvalid, pqErr.Message)
	}
	return err
}
