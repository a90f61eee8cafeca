-- Holdout: a journey may keep a share of its enrollments as a control group
-- that runs the journey's waits but receives nothing. Which enrollments are
-- held out is decided once, when the row is created.
ALTER TABLE journeys ADD COLUMN holdout_percent int NOT NULL DEFAULT 0
	CHECK (holdout_percent BETWEEN 0 AND 100);
ALTER TABLE enrollments ADD COLUMN holdout boolean NOT NULL DEFAULT false;

-- What a conversion was worth: the goal event's revenue, on the converted
-- entry. (IF NOT EXISTS: the lifecycle migration may have added it.)
ALTER TABLE journey_events ADD COLUMN IF NOT EXISTS revenue numeric;

-- Median time to convert reads converted enrollments of one journey by
-- enrollment time, from the index alone.
CREATE INDEX enrollments_converted ON enrollments (journey_id, enrolled_at)
	INCLUDE (ended_at) WHERE status = 'converted';

-- journey_stats is the reporting log rolled up, kept current by a trigger on
-- every insert into journey_events, so that a report sums a few thousand
-- rows however long the log grows. One row counts the entries of one kind
-- at one step of one journey, for runs enrolled on cohort_day (UTC), that
-- happened on day (UTC):
--   outcome  on the entry that ended a run (converted, exited, or failed
--            with no channel), the enrollment's final status: converted,
--            exited, removed or failed; '' on every other entry;
--   reason   the skip reason of a skipped entry, the exit reason of an
--            exited one, '' otherwise;
--   step, channel, template
--            for a converted entry, the send it is attributed to (the
--            entry's own step and channel; 0, '', '' when none);
--   shard    spreads the rows a whole audience updates at once (a blast of
--            sends) over 8 rows, so concurrent inserts rarely wait on each
--            other's row lock.
CREATE TABLE journey_stats (
	journey_id  text NOT NULL,
	cohort_day  date NOT NULL,
	day         date NOT NULL,
	holdout     boolean NOT NULL,
	step        int NOT NULL,
	kind        text NOT NULL,
	outcome     text NOT NULL,
	channel     text NOT NULL,
	template    text NOT NULL,
	reason      text NOT NULL,
	shard       smallint NOT NULL,
	n           bigint NOT NULL,
	revenue     numeric NOT NULL,
	PRIMARY KEY (journey_id, cohort_day, day, holdout, step, kind, outcome, channel, template, reason, shard)
);
CREATE INDEX journey_stats_day ON journey_stats (journey_id, day);

-- journey_stats_key returns the journey_stats row an entry counts in, with
-- the revenue it adds. The trigger counts each new entry with it; the
-- backfill below counts the log so far with it.
CREATE FUNCTION journey_stats_key(e journey_events) RETURNS TABLE (
	journey_id text, cohort_day date, day date, holdout boolean, step int, kind text,
	outcome text, channel text, template text, reason text, shard smallint, revenue numeric
) LANGUAGE sql STABLE AS $$
	SELECT e.journey_id,
		(en.enrolled_at AT TIME ZONE 'UTC')::date,
		(e.at AT TIME ZONE 'UTC')::date,
		en.holdout,
		CASE WHEN e.kind = 'converted' AND e.channel = '' THEN 0 ELSE e.step END,
		e.kind,
		-- An ending entry is written in the transaction that set the final
		-- status, so the status read here is already the final one; an
		-- entry written some other way counts as its kind.
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
	INSERT INTO journey_stats AS s (journey_id, cohort_day, day, holdout, step, kind, outcome, channel, template, reason, shard, n, revenue)
	SELECT k.journey_id, k.cohort_day, k.day, k.holdout, k.step, k.kind, k.outcome, k.channel, k.template, k.reason, k.shard, 1, k.revenue
	FROM journey_stats_key(NEW) k
	ON CONFLICT (journey_id, cohort_day, day, holdout, step, kind, outcome, channel, template, reason, shard)
	DO UPDATE SET n = s.n + 1, revenue = s.revenue + EXCLUDED.revenue;
	RETURN NULL;
END $$;

-- AFTER INSERT fires only for rows actually inserted: an entry recorded
-- again (ON CONFLICT DO NOTHING) is counted once. The log is append-only;
-- nothing updates or deletes it.
CREATE TRIGGER journey_events_count AFTER INSERT ON journey_events
	FOR EACH ROW EXECUTE FUNCTION journey_events_count();

-- journey_stats_rebuild counts the whole log again, in one pass: here for
-- the log so far, and by hand should the rollup ever be in doubt (with
-- the workers stopped, as entries recorded meanwhile could be missed).
CREATE FUNCTION journey_stats_rebuild() RETURNS void LANGUAGE sql AS $$
	DELETE FROM journey_stats;
	INSERT INTO journey_stats (journey_id, cohort_day, day, holdout, step, kind, outcome, channel, template, reason, shard, n, revenue)
	SELECT k.journey_id, k.cohort_day, k.day, k.holdout, k.step, k.kind, k.outcome, k.channel, k.template, k.reason, k.shard,
		count(*), sum(k.revenue)
	FROM journey_events e, journey_stats_key(e) k
	GROUP BY k.journey_id, k.cohort_day, k.day, k.holdout, k.step, k.kind, k.outcome, k.channel, k.template, k.reason, k.shard;
$$;
SELECT journey_stats_rebuild();
