-- A workspace's own provider for a channel, used in place of the one the
-- environment configures. settings holds what may be shown (URLs, sender,
-- rate); sealed holds the secret settings (keys, tokens, passwords)
-- encrypted with AES-256-GCM under JOURNEYS_SECRET_KEY, its 12-byte nonce
-- first, bound to workspace_id and channel so a row copied elsewhere does
-- not open. updated_at tells workers that cached the provider to build it
-- again.
CREATE TABLE channel_providers (
	workspace_id  text NOT NULL REFERENCES workspaces (id),
	channel       text NOT NULL CHECK (channel IN ('push', 'email', 'sms', 'webhook')),
	provider      text NOT NULL,
	settings      jsonb NOT NULL DEFAULT '{}',
	sealed        bytea NOT NULL,
	updated_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
	PRIMARY KEY (workspace_id, channel)
);
