package reporting

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// User is a person's contact profile.
type User struct {
	ID         string          `db:"id" json:"id"`
	Email      string          `db:"email" json:"email"`
	Phone      string          `db:"phone" json:"phone"`
	PushToken  string          `db:"push_token" json:"push_token"`
	Timezone   string          `db:"timezone" json:"timezone"`
	Attributes json.RawMessage `db:"attributes" json:"attributes"`
	// Locale chooses the language of templates, such as fa or en-US.
	Locale string `db:"locale" json:"locale"`
	// Unsubscribed lists the channels the user opted out of.
	Unsubscribed pq.StringArray `db:"unsubscribed" json:"unsubscribed"`
	// PushTokenInvalidAt is when FCM said PushToken is dead; a new token
	// clears it.
	PushTokenInvalidAt *time.Time `db:"push_token_invalid_at" json:"push_token_invalid_at,omitempty"`
	CreatedAt          time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt          time.Time  `db:"updated_at" json:"updated_at"`
}

const userColumns = `id, email, phone, push_token, timezone, attributes, locale, unsubscribed, push_token_invalid_at, created_at, updated_at`

// PutUser creates the user or replaces its whole profile, unsubscribed
// channels included.
func (s *Store) PutUser(ctx context.Context, u User) (User, error) {
	unsubscribed := []string(u.Unsubscribed)
	if unsubscribed == nil {
		unsubscribed = []string{}
	}
	return s.PatchUser(ctx, u.ID, UserPatch{
		Email: &u.Email, Phone: &u.Phone, PushToken: &u.PushToken, Timezone: &u.Timezone,
		Locale: &u.Locale, Attributes: u.Attributes, ReplaceAttributes: true, Unsubscribed: &unsubscribed,
	})
}

// UserPatch changes some fields of a profile; a nil field is kept.
type UserPatch struct {
	Email, Phone, PushToken, Timezone, Locale *string
	// Attributes is a JSON object whose keys are set one by one, and
	// RemoveAttributes the keys to delete; with ReplaceAttributes,
	// Attributes is the whole of them instead.
	Attributes        json.RawMessage
	RemoveAttributes  []string
	ReplaceAttributes bool
	Unsubscribed      *[]string
}

// PatchUser creates the user from p, or changes the fields p sets and keeps
// the others. A new push token clears PushTokenInvalidAt.
func (s *Store) PatchUser(ctx context.Context, id string, p UserPatch) (User, error) {
	ws, err := scope(ctx, "upsert user")
	if err != nil {
		return User{}, err
	}
	const q = `
	INSERT INTO users (workspace_id, id, email, phone, push_token, timezone, locale, attributes, unsubscribed)
	VALUES ($11, $1, coalesce($2::text, ''), coalesce($3::text, ''), coalesce($4::text, ''),
		coalesce($5::text, ''), coalesce($6::text, ''), $7::jsonb, coalesce($10::text[], '{}'))
	ON CONFLICT (workspace_id, id) DO UPDATE SET
		email = coalesce($2::text, users.email),
		phone = coalesce($3::text, users.phone),
		push_token = coalesce($4::text, users.push_token),
		push_token_invalid_at = CASE WHEN coalesce($4::text, users.push_token) = users.push_token
			THEN users.push_token_invalid_at END,
		timezone = coalesce($5::text, users.timezone),
		locale = coalesce($6::text, users.locale),
		attributes = CASE WHEN $9::bool THEN $7::jsonb
			ELSE (users.attributes - $8::text[]) || $7::jsonb END,
		unsubscribed = coalesce($10::text[], users.unsubscribed),
		updated_at = now()
	RETURNING ` + userColumns
	attrs := p.Attributes
	if len(attrs) == 0 {
		attrs = json.RawMessage(`{}`)
	}
	remove := pq.StringArray(p.RemoveAttributes)
	if remove == nil {
		remove = pq.StringArray{}
	}
	var unsubscribed any
	if p.Unsubscribed != nil {
		unsubscribed = pq.StringArray(*p.Unsubscribed)
	}
	var out User
	err = s.db.GetContext(ctx, &out, q, id, p.Email, p.Phone, p.PushToken, p.Timezone, p.Locale,
		[]byte(attrs), remove, p.ReplaceAttributes, unsubscribed, ws)
	if err != nil {
		return User{}, fmt.Errorf("upsert user: %w", translate(err))
	}
	return out, nil
}

// User returns the profile of the user with the given id.
func (s *Store) User(ctx context.Context, id string) (User, error) {
	ws, err := scope(ctx, "get user")
	if err != nil {
		return User{}, err
	}
	const q = `SELECT ` + userColumns + ` FROM users WHERE workspace_id = $2 AND id = $1`
	var u User
	if err := s.db.GetContext(ctx, &u, q, id, ws); err != nil {
		return User{}, fmt.Errorf("get user: %w", translate(err))
	}
	return u, nil
}

// InvalidatePushToken notes that FCM refused token as dead, unless the user
// has another token by now.
func (s *Store) InvalidatePushToken(ctx context.Context, userID, token string) error {
	ws, err := scope(ctx, "invalidate push token")
	if err != nil {
		return err
	}
	const q = `
	UPDATE users SET push_token_invalid_at = now()
	WHERE workspace_id = $3 AND id = $1 AND push_token = $2 AND push_token_invalid_at IS NULL`
	if _, err := s.db.ExecContext(ctx, q, userID, token, ws); err != nil {
		return fmt.Errorf("invalidate push token: %w", err)
	}
	return nil
}

// MergeUser creates the user or updates the fields u sets, keeping the
// others: audience imports carry only some columns. Attributes are merged
// key by key.
func (s *Store) MergeUser(ctx context.Context, u User) error {
	ws, err := scope(ctx, "merge user")
	if err != nil {
		return err
	}
	const q = `
	INSERT INTO users (workspace_id, id, email, phone, push_token, timezone, locale, attributes)
	VALUES ($8, $1, $2, $3, $4, $5, $6, COALESCE($7, '{}'::jsonb))
	ON CONFLICT (workspace_id, id) DO UPDATE SET
		email = COALESCE(NULLIF(EXCLUDED.email, ''), users.email),
		phone = COALESCE(NULLIF(EXCLUDED.phone, ''), users.phone),
		push_token = COALESCE(NULLIF(EXCLUDED.push_token, ''), users.push_token),
		push_token_invalid_at = CASE WHEN EXCLUDED.push_token NOT IN ('', users.push_token)
			THEN NULL ELSE users.push_token_invalid_at END,
		timezone = COALESCE(NULLIF(EXCLUDED.timezone, ''), users.timezone),
		locale = COALESCE(NULLIF(EXCLUDED.locale, ''), users.locale),
		attributes = users.attributes || EXCLUDED.attributes,
		updated_at = now()`
	var attrs []byte
	if len(u.Attributes) > 0 {
		attrs = u.Attributes
	}
	_, err = s.db.ExecContext(ctx, q, u.ID, u.Email, u.Phone, u.PushToken, u.Timezone, u.Locale, attrs, ws)
	if err != nil {
		return fmt.Errorf("merge user: %w", translate(err))
	}
	return nil
}

// Unsubscribe adds channel to the channels the user opted out of.
func (s *Store) Unsubscribe(ctx context.Context, userID, channel string) error {
	ws, err := scope(ctx, "unsubscribe")
	if err != nil {
		return err
	}
	const q = `
	UPDATE users SET unsubscribed = array_append(unsubscribed, $2), updated_at = now()
	WHERE workspace_id = $3 AND id = $1 AND NOT ($2 = ANY (unsubscribed))`
	res, err := s.db.ExecContext(ctx, q, userID, channel, ws)
	if err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.User(ctx, userID); err != nil {
			return err
		}
	}
	return nil
}
