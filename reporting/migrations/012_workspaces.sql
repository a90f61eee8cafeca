-- Workspaces: one service serves many apps, and each app's users,
-- journeys, templates, runs and reports are its own. The same user id,
-- journey id or template id in two workspaces are different things, so
-- every key that holds an id a client chose starts with the workspace.
CREATE TABLE workspaces (
	id            text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
	name          text NOT NULL,
	timezone      text NOT NULL DEFAULT 'UTC',
	-- The region local phone numbers are read in, such as IR; '' reads
	-- only numbers in international form.
	phone_region  text NOT NULL DEFAULT '',
	created_at    timestamptz NOT NULL DEFAULT now()
);
-- What the deployment held before it served several apps.
INSERT INTO workspaces (id, name) VALUES ('default', 'Default');

-- API keys of workspaces. Only the SHA-256 of a key is kept: a copy of
-- this table opens nothing. A revoked key stays listed, refused.
CREATE TABLE api_keys (
	id            text PRIMARY KEY,
	workspace_id  text NOT NULL REFERENCES workspaces (id),
	name          text NOT NULL DEFAULT '',
	hash          bytea NOT NULL UNIQUE,
	created_at    timestamptz NOT NULL DEFAULT now(),
	revoked_at    timestamptz
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id, created_at);

-- Every workspace-owned table gets its workspace; the rows so far are the
-- default workspace's. The default is dropped at the end, so an insert
-- that forgets the workspace fails instead of landing in default.
ALTER TABLE journeys         ADD COLUMN workspace_id text NOT NULL DEFAULT 'default' REFERENCES workspaces (id);
ALTER TABLE journey_versions ADD COLUMN workspace_id text NOT NULL DEFAULT 'default';
ALTER TABLE users            ADD COLUMN workspace_id text NOT NULL DEFAULT 'default' REFERENCES workspaces (id);
ALTER TABLE templates        ADD COLUMN workspace_id text NOT NULL DEFAULT 'default' REFERENCES workspaces (id);
ALTER TABLE enrollments      ADD COLUMN workspace_id text NOT NULL DEFAULT 'default';
ALTER TABLE journey_events   ADD COLUMN workspace_id text NOT NULL DEFAULT 'default';
ALTER TABLE events           ADD COLUMN workspace_id text NOT NULL DEFAULT 'default' REFERENCES workspaces (id);
ALTER TABLE entries          ADD COLUMN workspace_id text NOT NULL DEFAULT 'default';
ALTER TABLE jobs             ADD COLUMN workspace_id text NOT NULL DEFAULT 'default';
ALTER TABLE sessions         ADD COLUMN workspace_id text NOT NULL DEFAULT 'default' REFERENCES workspaces (id);
ALTER TABLE journey_stats    ADD COLUMN workspace_id text NOT NULL DEFAULT 'default';

-- Keys on client ids become (workspace_id, id); foreign keys follow.
ALTER TABLE journey_versions DROP CONSTRAINT journey_versions_journey_id_fkey;
ALTER TABLE enrollments DROP CONSTRAINT enrollments_journey_id_fkey;
ALTER TABLE entries DROP CONSTRAINT entries_journey_id_fkey;
ALTER TABLE jobs DROP CONSTRAINT jobs_journey_id_fkey;

ALTER TABLE journeys DROP CONSTRAINT journeys_pkey, ADD PRIMARY KEY (workspace_id, id);
ALTER TABLE journey_versions DROP CONSTRAINT journey_versions_pkey, ADD PRIMARY KEY (workspace_id, journey_id, version);
ALTER TABLE users DROP CONSTRAINT users_pkey, ADD PRIMARY KEY (workspace_id, id);
ALTER TABLE templates DROP CONSTRAINT templates_pkey, ADD PRIMARY KEY (workspace_id, id, locale);
ALTER TABLE events DROP CONSTRAINT events_pkey, ADD PRIMARY KEY (workspace_id, event_id);
ALTER TABLE entries DROP CONSTRAINT entries_pkey, ADD PRIMARY KEY (workspace_id, event_id, journey_id);

ALTER TABLE journey_versions ADD FOREIGN KEY (workspace_id, journey_id) REFERENCES journeys (workspace_id, id);
ALTER TABLE enrollments ADD FOREIGN KEY (workspace_id, journey_id) REFERENCES journeys (workspace_id, id);
ALTER TABLE entries ADD FOREIGN KEY (workspace_id, journey_id) REFERENCES journeys (workspace_id, id);
ALTER TABLE jobs ADD FOREIGN KEY (workspace_id, journey_id) REFERENCES journeys (workspace_id, id);

-- Indexes keep the workspace first: every query names it.
DROP INDEX enrollments_one_active;
CREATE UNIQUE INDEX enrollments_one_active ON enrollments (workspace_id, journey_id, user_id) WHERE status = 'active';
DROP INDEX enrollments_user;
CREATE INDEX enrollments_user ON enrollments (workspace_id, user_id, journey_id, id DESC);
DROP INDEX enrollments_journey_status;
CREATE INDEX enrollments_journey_status ON enrollments (workspace_id, journey_id, status);
DROP INDEX enrollments_converted;
CREATE INDEX enrollments_converted ON enrollments (workspace_id, journey_id, enrolled_at)
	INCLUDE (ended_at) WHERE status = 'converted';
DROP INDEX journey_events_journey_kind;
CREATE INDEX journey_events_journey_kind ON journey_events (workspace_id, journey_id, kind, channel);
DROP INDEX events_user_name;
CREATE INDEX events_user_name ON events (workspace_id, user_id, name, occurred_at);
DROP INDEX journeys_entry_event;
CREATE INDEX journeys_entry_event ON journeys (workspace_id, entry_event) WHERE entry_event <> '';
CREATE INDEX jobs_workspace ON jobs (workspace_id, id);
CREATE INDEX sessions_workspace ON sessions (workspace_id);

-- The rollup counts per workspace: its key and the trigger that keeps it
-- carry the entry's workspace.
ALTER TABLE journey_stats DROP CONSTRAINT journey_stats_pkey,
	ADD PRIMARY KEY (workspace_id, journey_id, cohort_day, day, holdout, step, kind, outcome, channel, template, reason, shard);
DROP INDEX journey_stats_day;
CREATE INDEX journey_stats_day ON journey_stats (workspace_id, journey_id, day);

DROP TRIGGER journey_events_count ON journey_events;
DROP FUNCTION journey_events_count();
DROP FUNCTION journey_stats_rebuild();
DROP FUNCTION journey_stats_key(journey_events);

CREATE FUNCTION journey_stats_key(e journey_events) RETURNS TABLE (
	workspace_id text, journey_id text, cohort_day date, day date, holdout boolean, step int, kind text,
	outcome text, channel text, template text, reason text, shard smallint, revenue numeric
) LANGUAGE sql STABLE AS $$
	SELECT e.workspace_id, e.journey_id,
		(en.enrolled_at AT TIME ZONE 'UTC')::date,
		(e.at AT TIME ZONE 'UTC')::date,
		en.holdout,
		CASE WHEN e.kind = 'converted' AND e.channel = '' THEN 0 ELSE e.step END,
		e.kind,
		CASE WHEN e.kind IN ('converted', 'exited') OR (e.kind = 'failed' AND e.channel = '')
			THEN CASE WHEN en.status = 'active' THEN e.kind ELSE en.status END
			ELSE '' END,
		e.channel,
		CASE WHEN e.kind <> 'converted' THEN e.template
			WHEN e.channel = '' THEN ''
			ELSE coalesce((SELECT s.template FROM journey_events s
				WHERE s.enrollment_id = e.enrollment_id AND s.step = e.step AND s.kind = 'sent'), '') END,
		CASE WHEN e.kind IN ('skipped', 'exited') THEN left(e.detail, 100) ELSE '' END,
		(e.enrollment_id % 8)::smallint,
		coalesce(e.revenue, 0)
	FROM enrollments en WHERE en.id = e.enrollment_id
$$;

CREATE FUNCTION journey_events_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO journey_stats AS s (workspace_id, journey_id, cohort_day, day, holdout, step, kind, outcome, channel, template, reason, shard, n, revenue)
	SELECT k.workspace_id, k.journey_id, k.cohort_day, k.day, k.holdout, k.step, k.kind, k.outcome, k.channel, k.template, k.reason, k.shard, 1, k.revenue
	FROM journey_stats_key(NEW) k
	ON CONFLICT (workspace_id, journey_id, cohort_day, day, holdout, step, kind, outcome, channel, template, reason, shard)
	DO UPDATE SET n = s.n + 1, revenue = s.revenue + EXCLUDED.revenue;
	RETURN NULL;
END $$;

CREATE TRIGGER journey_events_count AFTER INSERT ON journey_events
	FOR EACH ROW EXECUTE FUNCTION journey_events_count();

CREATE FUNCTION journey_stats_rebuild() RETURNS void LANGUAGE sql AS $$
	DELETE FROM journey_stats;
	INSERT INTO journey_stats (workspace_id, journey_id, cohort_day, day, holdout, step, kind, outcome, channel, template, reason, shard, n, revenue)
	SELECT k.workspace_id, k.journey_id, k.cohort_day, k.day, k.holdout, k.step, k.kind, k.outcome, k.channel, k.template, k.reason, k.shard,
		count(*), sum(k.revenue)
	FROM journey_events e, journey_stats_key(e) k
	GROUP BY k.workspace_id, k.journey_id, k.cohort_day, k.day, k.holdout, k.step, k.kind, k.outcome, k.channel, k.template, k.reason, k.shard;
$$;

ALTER TABLE journeys         ALTER COLUMN workspace_id DROP DEFAULT;
ALTER TABLE journey_versions ALTER COLUMN workspace_id DROP DEFAULT;
ALTER TABLE users            ALTER COLUMN workspace_id DROP DEFAULT;
ALTER TABLE templates        ALTER COLUMN workspace_id DROP DEFAULT;
ALTER TABLE enrollments      ALTER COLUMN workspace_id DROP DEFAULT;
ALTER TABLE journey_events   ALTER COLUMN workspace_id DROP DEFAULT;
ALTER TABLE events           ALTER COLUMN workspace_id DROP DEFAULT;
ALTER TABLE entries          ALTER COLUMN workspace_id DROP DEFAULT;
ALTER TABLE jobs             ALTER COLUMN workspace_id DROP DEFAULT;
ALTER TABLE sessions         ALTER COLUMN workspace_id DROP DEFAULT;
ALTER TABLE journey_stats    ALTER COLUMN workspace_id DROP DEFAULT;
