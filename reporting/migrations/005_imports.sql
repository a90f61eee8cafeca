-- What a job is retrying after: the error of its last failed attempt and
-- when it happened. Cleared when the job makes progress again, so a set
-- last_error means the job is stuck on it right now.
ALTER TABLE jobs
	ADD COLUMN last_error text NOT NULL DEFAULT '',
	ADD COLUMN last_error_at timestamptz;
