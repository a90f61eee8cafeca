-- Steps have stable ids: a journey's config names each step (a touch, a
-- variant, a profile update), and the log says which step an entry is
-- about, so that a branch's steps are never merged in reports. step stays
-- the entry's number in its run.
ALTER TABLE journey_events ADD COLUMN step_id text NOT NULL DEFAULT '';

-- Entries of runs started before step ids name their touch by position:
-- the id a touch gets by default, its channel ("push"), numbered from the
-- second touch on the same channel ("push-2"), in the config version the
-- step ran under.
UPDATE journey_events e SET step_id = t.id
FROM (
	SELECT v.journey_id, v.version, x.ord::int AS step,
		CASE WHEN row_number() OVER w = 1 THEN x.touch->>'channel'
			ELSE (x.touch->>'channel') || '-' || row_number() OVER w END AS id
	FROM journey_versions v,
		jsonb_array_elements(CASE WHEN jsonb_typeof(v.config->'touches') = 'array' THEN v.config->'touches' ELSE '[]'::jsonb END)
			WITH ORDINALITY AS x(touch, ord)
	WINDOW w AS (PARTITION BY v.journey_id, v.version, x.touch->>'channel' ORDER BY x.ord)
) t
WHERE e.journey_id = t.journey_id AND e.version = t.version AND e.step = t.step
	AND e.step > 0 AND e.step_id = '' AND e.kind IN ('sent', 'skipped', 'failed', 'converted');

-- The kinds of entries the journey kit writes besides sends and endings.
ALTER TABLE journey_events DROP CONSTRAINT journey_events_kind_check;
ALTER TABLE journey_events ADD CONSTRAINT journey_events_kind_check CHECK (kind IN
	('enrolled', 'sent', 'skipped', 'failed', 'converted', 'exited',
	 'deferred', 'variant', 'profile_updated', 'event'));

-- A run whose journey starts with a wait is started with that delay, so
-- Temporal gives it its first task when its first step is due. Until then
-- a plain signal does not wake it (a signal-with-start does): the service
-- needs to know which runs are still in their start delay.
ALTER TABLE enrollments ADD COLUMN first_step_at timestamptz;
