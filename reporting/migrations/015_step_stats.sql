-- The entries of flows' paths: a node a run entered (detail: the node's
-- type) and the way it left one that branches (detail: then, else, event
-- or timeout).
ALTER TABLE journey_events DROP CONSTRAINT journey_events_kind_check;
ALTER TABLE journey_events ADD CONSTRAINT journey_events_kind_check CHECK (kind IN
	('enrolled', 'sent', 'skipped', 'failed', 'converted', 'exited',
	 'deferred', 'variant', 'profile_updated', 'event', 'node', 'branch'));

-- journey_step_stats is the reporting log rolled up by step id, as
-- journey_stats is by step number, so that per-step, per-arm and per-node
-- reports sum a few rows however long the log grows and never merge the
-- steps of two branches. One row counts, for the runs of one journey of
-- one workspace
-- enrolled on cohort_day (UTC), in or out of the holdout, the entries of
-- one kind about one step, under one config version:
--   kind     an entry's own kind (sent, skipped, failed, deferred, variant,
--            profile_updated, node, branch, and converted for the
--            conversions attributed to the step); or
--            reached          a node entered for the first time in its run;
--            edge             a node entered right after the node detail;
--            converted_after  a run that went through the step converted
--                             (detail: the arm, for a variant's);
--   detail   the reason of a skip or failure, the arm of a variant, the type
--            of a node, the way out of a branch; '' otherwise;
--   first_step
--            the lowest step number the step had in a run, to list steps in
--            the order runs meet them.
CREATE TABLE journey_step_stats (
	workspace_id text NOT NULL,
	journey_id  text NOT NULL,
	cohort_day  date NOT NULL,
	version     int NOT NULL,
	holdout     boolean NOT NULL,
	step_id     text NOT NULL,
	kind        text NOT NULL,
	detail      text NOT NULL,
	channel     text NOT NULL,
	template    text NOT NULL,
	shard       smallint NOT NULL,
	first_step  int NOT NULL,
	n           bigint NOT NULL,
	revenue     numeric NOT NULL,
	PRIMARY KEY (workspace_id, journey_id, cohort_day, version, holdout, step_id, kind, detail, channel, template, shard)
);

-- journey_step_stats_rows returns the rows an entry counts in, each once.
-- It reads the entry's run so far: a node's earlier visits and the node
-- before it (node entries number the nodes a run entered, 1, 2, 3...), and
-- for a conversion the steps and arms the run went through.
CREATE FUNCTION journey_step_stats_rows(e journey_events) RETURNS TABLE (
	workspace_id text, journey_id text, cohort_day date, version int, holdout boolean, step_id text, kind text,
	detail text, channel text, template text, shard smallint, first_step int, revenue numeric
) LANGUAGE sql STABLE AS $$
	SELECT e.workspace_id, e.journey_id, (en.enrolled_at AT TIME ZONE 'UTC')::date, r.version, en.holdout, r.step_id, r.kind,
		r.detail, r.channel, r.template, (e.enrollment_id % 8)::smallint, e.step, coalesce(e.revenue, 0)
	FROM enrollments en, LATERAL (
		SELECT e.version, e.step_id, e.kind,
			CASE WHEN e.kind IN ('skipped', 'failed', 'variant', 'node', 'branch') THEN left(e.detail, 100) ELSE '' END AS detail,
			e.channel, CASE WHEN e.kind = 'converted' THEN '' ELSE e.template END AS template
		WHERE e.step_id <> '' AND e.kind <> 'enrolled'
		UNION ALL
		SELECT e.version, e.step_id, 'reached', '', '', ''
		WHERE e.kind = 'node' AND NOT EXISTS (SELECT 1 FROM journey_events p
			WHERE p.enrollment_id = e.enrollment_id AND p.kind = 'node' AND p.step_id = e.step_id AND p.step < e.step)
		UNION ALL
		SELECT e.version, e.step_id, 'edge', p.step_id, '', ''
		FROM journey_events p
		WHERE e.kind = 'node' AND p.enrollment_id = e.enrollment_id AND p.kind = 'node' AND p.step = e.step - 1
		UNION ALL
		SELECT DISTINCT s.version, s.step_id, 'converted_after', CASE WHEN s.kind = 'variant' THEN left(s.detail, 100) ELSE '' END, '', ''
		FROM journey_events s
		WHERE e.kind = 'converted' AND s.enrollment_id = e.enrollment_id AND s.step_id <> ''
			AND s.kind IN ('sent', 'skipped', 'failed', 'variant', 'profile_updated', 'node')
	) r
	WHERE en.id = e.enrollment_id
$$;

CREATE FUNCTION journey_step_stats_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO journey_step_stats AS s (workspace_id, journey_id, cohort_day, version, holdout, step_id, kind, detail, channel, template, shard, first_step, n, revenue)
	SELECT k.workspace_id, k.journey_id, k.cohort_day, k.version, k.holdout, k.step_id, k.kind, k.detail, k.channel, k.template, k.shard, k.first_step, 1, k.revenue
	FROM journey_step_stats_rows(NEW) k
	ON CONFLICT (workspace_id, journey_id, cohort_day, version, holdout, step_id, kind, detail, channel, template, shard)
	DO UPDATE SET n = s.n + 1, revenue = s.revenue + EXCLUDED.revenue, first_step = least(s.first_step, EXCLUDED.first_step);
	RETURN NULL;
END $$;

-- Like journey_events_count, it counts only entries actually inserted.
CREATE TRIGGER journey_step_stats_count AFTER INSERT ON journey_events
	FOR EACH ROW EXECUTE FUNCTION journey_step_stats_count();

-- journey_step_stats_rebuild counts the whole log again (see
-- journey_stats_rebuild): here for the log so far.
CREATE FUNCTION journey_step_stats_rebuild() RETURNS void LANGUAGE sql AS $$
	DELETE FROM journey_step_stats;
	INSERT INTO journey_step_stats (workspace_id, journey_id, cohort_day, version, holdout, step_id, kind, detail, channel, template, shard, first_step, n, revenue)
	SELECT k.workspace_id, k.journey_id, k.cohort_day, k.version, k.holdout, k.step_id, k.kind, k.detail, k.channel, k.template, k.shard,
		min(k.first_step), count(*), sum(k.revenue)
	FROM journey_events e, journey_step_stats_rows(e) k
	GROUP BY k.workspace_id, k.journey_id, k.cohort_day, k.version, k.holdout, k.step_id, k.kind, k.detail, k.channel, k.template, k.shard;
$$;
SELECT journey_step_stats_rebuild();
