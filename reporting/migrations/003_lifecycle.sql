-- Journeys: entry trigger, exits, attribution window, re-entry rule, and a
-- version that every config change increments.
ALTER TABLE journeys
	ADD COLUMN entry_event        text NOT NULL DEFAULT '',
	ADD COLUMN exit_events        text[] NOT NULL DEFAULT '{}',
	ADD COLUMN conversion_window  text NOT NULL DEFAULT '', -- a Go duration; empty means none
	ADD COLUMN reentry            text NOT NULL DEFAULT 'after_exit',
	ADD COLUMN version            int NOT NULL DEFAULT 1,
	ADD CONSTRAINT journeys_status CHECK (status IN ('active', 'paused', 'stopped'));
CREATE INDEX journeys_entry_event ON journeys (entry_event) WHERE entry_event <> '';

-- Every config a journey has had, so timelines can name the version a step ran under.
CREATE TABLE journey_versions (
	journey_id  text NOT NULL REFERENCES journeys (id),
	version     int NOT NULL,
	config      jsonb NOT NULL,
	created_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (journey_id, version)
);
INSERT INTO journey_versions (journey_id, version, config)
SELECT id, version, config FROM journeys;

ALTER TABLE journey_events
	ADD COLUMN version  int NOT NULL DEFAULT 1,
	ADD COLUMN revenue  numeric;

-- What an event did to each journey it triggered: enrolled, already
-- enrolled, or not eligible under the re-entry rule or the journey's status.
CREATE TABLE entries (
	event_id    text NOT NULL,
	journey_id  text NOT NULL REFERENCES journeys (id),
	user_id     text NOT NULL,
	outcome     text NOT NULL CHECK (outcome IN ('enrolled', 'already_enrolled', 'not_eligible')),
	reason      text NOT NULL DEFAULT '',
	at          timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (event_id, journey_id)
);

-- Background jobs (audience imports, journey stops) and their progress.
CREATE TABLE jobs (
	id                text PRIMARY KEY,
	kind              text NOT NULL CHECK (kind IN ('import', 'stop', 'resume')),
	journey_id        text NOT NULL REFERENCES journeys (id),
	status            text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
	total             int NOT NULL DEFAULT 0,
	processed         int NOT NULL DEFAULT 0,
	enrolled          int NOT NULL DEFAULT 0,
	already_enrolled  int NOT NULL DEFAULT 0,
	not_eligible      int NOT NULL DEFAULT 0,
	invalid           int NOT NULL DEFAULT 0,
	error             text NOT NULL DEFAULT '',
	created_at        timestamptz NOT NULL DEFAULT now(),
	updated_at        timestamptz NOT NULL DEFAULT now()
);

-- The rows of an imported audience file. outcome is set once a row is
-- processed, which is what lets an interrupted import resume where it was.
CREATE TABLE import_rows (
	job_id   text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	line     int NOT NULL,
	user_id  text NOT NULL,
	profile  jsonb,
	outcome  text NOT NULL DEFAULT '',
	PRIMARY KEY (job_id, line)
);

-- Where an enrollment came from: api, event:<event id> or import:<job id>,
-- so a resumed import can tell its own enrollments from earlier ones.
ALTER TABLE enrollments ADD COLUMN source text NOT NULL DEFAULT 'api';
