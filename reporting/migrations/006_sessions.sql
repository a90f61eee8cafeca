-- Dashboard sessions, kept on the server so that logging out ends one for
-- good. The cookie holds a random token; only its hash is stored, keyed by
-- the API key, so that a copy of this table opens no session and a new API
-- key ends every one.
CREATE TABLE sessions (
	token_hash  bytea PRIMARY KEY,
	created_at  timestamptz NOT NULL DEFAULT now(),
	expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
