-- Frequency caps: how many messages one user may get across all journeys
-- of a workspace, per channel ('any' for all channels together) within a
-- sliding window. Keyed by workspace_id as text; the workspaces table may
-- not exist yet where this runs, so there is no foreign key to it.
CREATE TABLE frequency_caps (
	workspace_id  text NOT NULL,
	channel       text NOT NULL,
	max_sends     int NOT NULL CHECK (max_sends >= 1),
	per_seconds   bigint NOT NULL CHECK (per_seconds > 0),
	-- position keeps the caps in the order they were given.
	position      int NOT NULL,
	PRIMARY KEY (workspace_id, channel, per_seconds)
);

-- frequency_ledger holds the decision on every send the caps judged, by its
-- idempotency key: counted (it went, or was handed to the provider, and
-- counts against the caps) or not (a cap refused it). A retried send reads
-- its decision back instead of being counted or judged again. Sends of
-- transactional journeys are not in it.
CREATE TABLE frequency_ledger (
	workspace_id     text NOT NULL,
	idempotency_key  text NOT NULL,
	user_id          text NOT NULL,
	channel          text NOT NULL,
	at               timestamptz NOT NULL,
	counted          boolean NOT NULL,
	PRIMARY KEY (workspace_id, idempotency_key)
);
-- A cap counts one user's sends since the start of its window, and the
-- user's rows older than any window are pruned, from this index alone.
CREATE INDEX frequency_ledger_user ON frequency_ledger (workspace_id, user_id, at) INCLUDE (channel, counted);
