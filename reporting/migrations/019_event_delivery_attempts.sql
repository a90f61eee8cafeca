-- The sweep of undelivered events backs off from an event Temporal keeps
-- refusing and gives it up a day after it was stored. attempts counts the
-- sweeps that took it, last_error says why the last one failed, and
-- gave_up_at marks an event no sweep takes any more; its deliver_by is then
-- 'infinity', out of every sweep's way. Processes of the release before,
-- still running during an upgrade, neither read nor write these columns.
ALTER TABLE event_deliveries
	ADD COLUMN attempts   int NOT NULL DEFAULT 0,
	ADD COLUMN last_error text,
	ADD COLUMN gave_up_at timestamptz;
