-- Journeys the panel defines. config is validated by the journey type.
CREATE TABLE journeys (
	id          text PRIMARY KEY,
	name        text NOT NULL,
	type        text NOT NULL,
	goal_event  text NOT NULL,
	config      jsonb NOT NULL,
	status      text NOT NULL DEFAULT 'active',
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Contact profiles. Ids are the app's own user ids.
CREATE TABLE users (
	id          text PRIMARY KEY,
	email       text NOT NULL DEFAULT '',
	phone       text NOT NULL DEFAULT '',
	push_token  text NOT NULL DEFAULT '',
	timezone    text NOT NULL DEFAULT '',
	attributes  jsonb NOT NULL DEFAULT '{}',
	created_at  timestamptz NOT NULL DEFAULT now(),
	updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per run of a journey for a user. At most one active row per
-- journey and user: that index is what makes enrollment idempotent.
CREATE TABLE enrollments (
	id           bigserial PRIMARY KEY,
	journey_id   text NOT NULL REFERENCES journeys (id),
	user_id      text NOT NULL,
	workflow_id  text NOT NULL,
	run_id       text NOT NULL DEFAULT '',
	status       text NOT NULL DEFAULT 'active'
		CHECK (status IN ('active', 'converted', 'exited', 'removed', 'failed')),
	exit_reason  text NOT NULL DEFAULT '',
	enrolled_at  timestamptz NOT NULL DEFAULT now(),
	ended_at     timestamptz
);
CREATE UNIQUE INDEX enrollments_one_active ON enrollments (journey_id, user_id) WHERE status = 'active';
CREATE INDEX enrollments_user ON enrollments (user_id, journey_id, id DESC);
CREATE INDEX enrollments_journey_status ON enrollments (journey_id, status);

-- The reporting log: what happened in each run, appended by activities.
-- (enrollment_id, step, kind) is unique so a retried activity records once.
CREATE TABLE journey_events (
	id             bigserial PRIMARY KEY,
	enrollment_id  bigint NOT NULL REFERENCES enrollments (id),
	journey_id     text NOT NULL,
	user_id        text NOT NULL,
	step           int NOT NULL,
	kind           text NOT NULL
		CHECK (kind IN ('enrolled', 'sent', 'skipped', 'failed', 'converted', 'exited')),
	channel        text NOT NULL DEFAULT '',
	template       text NOT NULL DEFAULT '',
	detail         text NOT NULL DEFAULT '',
	at             timestamptz NOT NULL DEFAULT now(),
	UNIQUE (enrollment_id, step, kind)
);
CREATE INDEX journey_events_journey_kind ON journey_events (journey_id, kind, channel);

-- Deliveries claim a send before the provider is called and record its
-- outcome after, under the send's idempotency key.
CREATE TABLE deliveries (
	idempotency_key  text PRIMARY KEY,
	enrollment_id    bigint NOT NULL REFERENCES enrollments (id),
	step             int NOT NULL,
	channel          text NOT NULL,
	status           text NOT NULL CHECK (status IN ('sending', 'sent')),
	provider         text NOT NULL DEFAULT '',
	provider_id      text NOT NULL DEFAULT '',
	attempts         int NOT NULL DEFAULT 1,
	created_at       timestamptz NOT NULL DEFAULT now(),
	sent_at          timestamptz
);

-- User events as the app sent them; event_id makes ingestion idempotent.
CREATE TABLE events (
	event_id     text PRIMARY KEY,
	user_id      text NOT NULL,
	name         text NOT NULL,
	properties   jsonb NOT NULL DEFAULT '{}',
	occurred_at  timestamptz NOT NULL,
	received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_user_name ON events (user_id, name, occurred_at);
