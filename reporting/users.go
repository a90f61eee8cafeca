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

// PutUser creates the user or replaces its profile.
func (s *Store) PutUser(ctx context.Context, u User) (User, error) {
	const q = `
	INSERT INTO users (id, email, phone, push_token, timezone, attributes, locale, unsubscribed)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
	ON CONFLICT (id) DO UPDATE SET
		email = EXCLUDED.email, phone = EXCLUDED.phone, push_token = EXCLUDED.push_token,
		timezone = EXCLUDED.timezone, attributes = EXCLUDED.attributes,
		locale = EXCLUDED.locale, unsubscribed = EXCLUDED.unsubscribed,
		push_token_invalid_at = CASE WHEN users.push_token = EXCLUDED.push_token
			THEN users.push_token_invalid_at END,
		updated_at = now()
	RETURNING ` + userColumns
	attrs := u.Attributes
	if len(attrs) == 0 {
		attrs = json.RawMessage(`{}`)
	}
	unsubscribed := u.Unsubscribed
	if unsubscribed == nil {
		unsubscribed = pq.StringArray{}
	}
	var out User
	err := s.db.GetContext(ctx, &out, q, u.ID, u.Email, u.Phone, u.PushToken, u.Timezone, []byte(attrs), u.Locale, unsubscribed)
	if err != nil {
		return User{}, fmt.Errorf("upsert user: %w", translate(err))
	}
	return out, nil
}

// User returns the profile of the user with the given id.
func (s *Store) User(ctx context.Context, id string) (User, error) {
	const q = `SELECT ` + userColumns + ` FROM users WHERE id = $1`
	var u User
	if err := s.db.GetContext(ctx, &u, q, id); err != nil {
		return User{}, fmt.Errorf("get user: %w", translate(err))
	}
	return u, nil
}

// InvalidatePushToken notes that FCM refused token as dead, unless the user
// has another token by now.
func (s *Store) InvalidatePushToken(ctx context.Context, userID, token string) error {
	const q = `
	UPDATE users SET push_token_invalid_at = now()
	WHERE id = $1 AND push_token = $2 AND push_token_invalid_at IS NULL`
	if _, err := s.db.ExecContext(ctx, q, userID, token); err != nil {
		return fmt.Errorf("invalidate push token: %w", err)
	}
	return nil
}

// MergeUser creates the user or updates the fields u sets, keeping the
// others: audience imports carry only some columns. Attributes are merged
// key by key.
func (s *Store) MergeUser(ctx context.Context, u User) error {
	const q = `
	INSERT INTO users (id, email, phone, push_token, timezone, locale, attributes)
	VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, '{}'::jsonb))
	ON CONFLICT (id) DO UPDATE SET
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
	_, err := s.db.ExecContext(ctx, q, u.ID, u.Email, u.Phone, u.PushToken, u.Timezone, u.Locale, attrs)
	if err != nil {
		return fmt.Errorf("merge user: %w", translate(err))
	}
	return nil
}

// Unsubscribe adds channel to the channels the user opted out of.
func (s *Store) Unsubscribe(ctx context.Context, userID, channel string) error {
	const q = `
	UPDATE users SET unsubscribed = array_append(unsubscribed, $2), updated_at = now()
	WHERE id = $1 AND NOT ($2 = ANY (unsubscribed))`
	res, err := s.db.ExecContext(ctx, q, userID, channel)
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
