-- A broadcast job (pause, resume, stop) goes through a journey's runs in
-- pages of enrollment ids; the cursor is where the last recorded page
-- ended, so that a page retried after it was recorded is not counted again.
ALTER TABLE jobs ADD COLUMN cursor bigint NOT NULL DEFAULT 0;
