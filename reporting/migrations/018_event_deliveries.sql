-- An event is answered once it is stored, and brought to its runs right
-- after. event_deliveries lists the stored events not brought to their runs
-- yet, each with when the sweep takes it over. The events stored before
-- this release were brought to their runs before they were answered (and
-- processes of that release, still running during an upgrade, go on so).
CREATE TABLE event_deliveries (
	workspace_id text NOT NULL,
	event_id     text NOT NULL,
	deliver_by   timestamptz NOT NULL,
	PRIMARY KEY (workspace_id, event_id),
	FOREIGN KEY (workspace_id, event_id) REFERENCES events (workspace_id, event_id) ON DELETE CASCADE
);
CREATE INDEX event_deliveries_due ON event_deliveries (deliver_by);
