package reporting

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// User is a person's contact profile.
type User struct {
	ID         string          `db:"id" json:"id"`
	Email      string          `db:"email" json:"email"`
	Phone      string          `db:"phone" json:"phone"`
	PushToken  string          `db:"push_token" json:"push_token"`
	Timezone   string          `db:"timezone" json:"timezone"`
	Attributes json.RawMessage `db:"attributes" json:"attributes"`
	CreatedAt  time.Time       `db:"created_at" json:"created_at"`
	UpdatedAt  time.Time       `db:"updated_at" json:"updated_at"`
}

const userColumns = `id, email, phone, push_token, timezone, attributes, created_at, updated_at`

// PutUser creates the user or replaces its profile.
func (s *Store) PutUser(ctx context.Context, u User) (User, error) {
	const q = `
	INSERT INTO users (id, email, phone, push_token, timezone, attributes)
	VALUES ($1, $2, $3, $4, $5, $6)
	ON CONFLICT (id) DO UPDATE SET
		email = EXCLUDED.email, phone = EXCLUDED.phone, push_token = EXCLUDED.push_token,
		timezone = EXCLUDED.timezone, attributes = EXCLUDED.attributes, updated_at = now()
	RETURNING ` + userColumns
	attrs := u.Attributes
	if len(attrs) == 0 {
		attrs = json.RawMessage(`{}`)
	}
	var out User
	err := s.db.GetContext(ctx, &out, q, u.ID, u.Email, u.Phone, u.PushToken, u.Timezone, []byte(attrs))
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
