package reporting

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/jmoiron/sqlx/reflectx"
)

// maxPrepared bounds the statements a pool keeps prepared; a query past it
// goes unprepared.
const maxPrepared = 256

// pool is the connection pool with the statements it has prepared. A
// statement with arguments is prepared the first time it runs, and from
// then on Postgres parses it once per connection instead of on every
// call: for the claim of an enrollment that halves the database's work.
// Statements without arguments, such as the migrations' scripts of many
// commands, go as they are.
type pool struct {
	*sqlx.DB
	mu       sync.Mutex
	prepared map[string]*sqlx.Stmt
}

func newPool(db *sqlx.DB) *pool {
	return &pool{DB: db, prepared: map[string]*sqlx.Stmt{}}
}

// stmt returns query's prepared statement, or nil when query goes as it is.
func (p *pool) stmt(ctx context.Context, query string, args []any) (*sqlx.Stmt, error) {
	if len(args) == 0 {
		return nil, nil
	}
	p.mu.Lock()
	st, ok := p.prepared[query]
	full := len(p.prepared) >= maxPrepared
	p.mu.Unlock()
	if ok || full {
		return st, nil
	}
	// Preparing is a round trip: done outside the lock, a race prepares
	// twice and keeps one.
	st, err := p.DB.PreparexContext(ctx, query)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if kept, ok := p.prepared[query]; ok {
		st.Close()
		return kept, nil
	}
	p.prepared[query] = st
	return st, nil
}

func (p *pool) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	st, err := p.stmt(ctx, query, args)
	if err != nil {
		return err
	}
	if st == nil {
		return p.DB.GetContext(ctx, dest, query, args...)
	}
	return st.GetContext(ctx, dest, args...)
}

func (p *pool) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	st, err := p.stmt(ctx, query, args)
	if err != nil {
		return err
	}
	if st == nil {
		return p.DB.SelectContext(ctx, dest, query, args...)
	}
	return st.SelectContext(ctx, dest, args...)
}

func (p *pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, query, args)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return p.DB.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

// Close closes the prepared statements and the pool.
func (p *pool) Close() error {
	p.mu.Lock()
	for _, st := range p.prepared {
		st.Close()
	}
	clear(p.prepared)
	p.mu.Unlock()
	return p.DB.Close()
}

// scanJSON reads rows as json_agg writes them, an array of objects keyed
// by column, into structs whose db tags name the columns, as sqlx maps
// result rows: a statement can then return sets of rows of different
// shapes at once. Each value is read as its field reads JSON.
func scanJSON[T any](m *reflectx.Mapper, raw []byte) ([]T, error) {
	var objects []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &objects); err != nil {
		return nil, err
	}
	rows := make([]T, len(objects))
	for i, object := range objects {
		row := reflect.ValueOf(&rows[i]).Elem()
		for column, value := range object {
			field := m.FieldByName(row, column)
			if !field.IsValid() {
				return nil, fmt.Errorf("no field for column %s", column)
			}
			if err := json.Unmarshal(value, field.Addr().Interface()); err != nil {
				return nil, fmt.Errorf("column %s: %w", column, err)
			}
		}
	}
	return rows, nil
}
