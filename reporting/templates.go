package reporting

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Template is one message of a template id in one locale. Which fields a
// channel uses: push Title and Body, email Subject, Body and HTML, SMS and
// webhook Body.
type Template struct {
	ID        string    `db:"id" json:"id"`
	Locale    string    `db:"locale" json:"locale"`
	Title     string    `db:"title" json:"title"`
	Subject   string    `db:"subject" json:"subject"`
	Body      string    `db:"body" json:"body"`
	HTML      string    `db:"html" json:"html"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
}

const templateColumns = `id, locale, title, subject, body, html, updated_at`

// PutTemplate creates the template in its locale or replaces it.
func (s *Store) PutTemplate(ctx context.Context, t Template) (Template, error) {
	ws, err := scope(ctx, "upsert template")
	if err != nil {
		return Template{}, err
	}
	const q = `
	INSERT INTO templates (workspace_id, id, locale, title, subject, body, html)
	VALUES ($7, $1, $2, $3, $4, $5, $6)
	ON CONFLICT (workspace_id, id, locale) DO UPDATE SET
		title = EXCLUDED.title, subject = EXCLUDED.subject, body = EXCLUDED.body,
		html = EXCLUDED.html, updated_at = now()
	RETURNING ` + templateColumns
	var out Template
	if err := s.db.GetContext(ctx, &out, q, t.ID, t.Locale, t.Title, t.Subject, t.Body, t.HTML, ws); err != nil {
		return Template{}, fmt.Errorf("upsert template: %w", err)
	}
	return out, nil
}

// Template returns template id in the first of locales that has it;
// ErrNotFound when none does.
func (s *Store) Template(ctx context.Context, id string, locales []string) (Template, error) {
	ws, err := scope(ctx, "get template "+id)
	if err != nil {
		return Template{}, err
	}
	const q = `SELECT ` + templateColumns + ` FROM templates
	WHERE workspace_id = $3 AND id = $1 AND locale = ANY($2)
	ORDER BY array_position($2, locale) LIMIT 1`
	var t Template
	if err := s.db.GetContext(ctx, &t, q, id, pq.StringArray(locales), ws); err != nil {
		return Template{}, fmt.Errorf("get template %s: %w", id, translate(err))
	}
	return t, nil
}

// Templates lists the templates, every locale of each, by id then locale;
// with an id, only that template's locales.
func (s *Store) Templates(ctx context.Context, id string) ([]Template, error) {
	ws, err := scope(ctx, "list templates")
	if err != nil {
		return nil, err
	}
	const q = `SELECT ` + templateColumns + ` FROM templates
	WHERE workspace_id = $2 AND ($1 = '' OR id = $1) ORDER BY id, locale`
	ts := []Template{}
	if err := s.db.SelectContext(ctx, &ts, q, id, ws); err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	return ts, nil
}

// MissingTemplates returns, in the order given, those of ids that no
// template has in any locale.
func (s *Store) MissingTemplates(ctx context.Context, ids []string) ([]string, error) {
	ws, err := scope(ctx, "find missing templates")
	if err != nil {
		return nil, err
	}
	const q = `SELECT t.id FROM unnest($1::text[]) WITH ORDINALITY AS t(id, n)
	WHERE NOT EXISTS (SELECT 1 FROM templates WHERE templates.workspace_id = $2 AND templates.id = t.id) ORDER BY t.n`
	missing := []string{}
	if err := s.db.SelectContext(ctx, &missing, q, pq.StringArray(ids), ws); err != nil {
		return nil, fmt.Errorf("find missing templates: %w", err)
	}
	return missing, nil
}
