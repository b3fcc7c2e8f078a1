-- Alert lifecycle and delivery.
-- alerts: one row per key, its current state, plus what the operator did to it
-- (acknowledged, silenced). alert_events: every transition with the numbers
-- that caused it and what was decided about telling people (disposition).
-- notifications: one row per delivery attempt to one channel, sent or failed.
-- Channels are stored by a redacted label and a short hash, never the URL.

ALTER TABLE alerts ADD COLUMN details JSON;
ALTER TABLE alerts ADD COLUMN acked_at TIMESTAMP;
ALTER TABLE alerts ADD COLUMN acked_by VARCHAR;
ALTER TABLE alerts ADD COLUMN silenced_until TIMESTAMP;
ALTER TABLE alerts ADD COLUMN last_event_id BIGINT;

ALTER TABLE alert_events ADD COLUMN rule VARCHAR;
ALTER TABLE alert_events ADD COLUMN severity VARCHAR;
ALTER TABLE alert_events ADD COLUMN threshold DOUBLE;
ALTER TABLE alert_events ADD COLUMN ci_low DOUBLE;
ALTER TABLE alert_events ADD COLUMN ci_high DOUBLE;
ALTER TABLE alert_events ADD COLUMN n INTEGER;
ALTER TABLE alert_events ADD COLUMN message VARCHAR;
ALTER TABLE alert_events ADD COLUMN details JSON;
ALTER TABLE alert_events ADD COLUMN fetch_id BIGINT;
ALTER TABLE alert_events ADD COLUMN round_id BIGINT;
-- backfill (recorded from history, never sent), notify (to deliver),
-- silenced (new, but the key was silenced when it happened).
ALTER TABLE alert_events ADD COLUMN disposition VARCHAR;
ALTER TABLE alert_events ADD COLUMN eval_id BIGINT;

-- Before this migration every event was recorded without delivery: history.
UPDATE alert_events SET disposition = 'backfill' WHERE disposition IS NULL;

CREATE SEQUENCE alert_eval_id_seq START 1;
CREATE SEQUENCE notify_round_id_seq START 1;
CREATE SEQUENCE notification_id_seq START 1;

-- One row per evaluation of the rules: what it had seen, so the next one can
-- tell new data from history (the "data horizon").
CREATE TABLE alert_evaluations (
    eval_id         BIGINT PRIMARY KEY DEFAULT nextval('alert_eval_id_seq'),
    run_id          BIGINT,
    evaluated_at    TIMESTAMP NOT NULL,
    last_fetch_id   BIGINT NOT NULL,
    transitions     INTEGER NOT NULL DEFAULT 0,
    notified        INTEGER NOT NULL DEFAULT 0
);

-- Per watched source (one with at least one fetch): the latest as-of date of
-- its correlations that evaluation saw; NULL when it had none yet.
CREATE TABLE alert_horizons (
    eval_id         BIGINT NOT NULL,
    source          VARCHAR NOT NULL,
    data_horizon    DATE,
    PRIMARY KEY (eval_id, source)
);

CREATE TABLE notify_channels (
    channel_id      VARCHAR PRIMARY KEY,
    label           VARCHAR NOT NULL,
    first_seen      TIMESTAMP NOT NULL,
    -- Events up to this id were recorded before the channel existed: never sent to it.
    first_event_id  BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE notifications (
    notification_id BIGINT PRIMARY KEY DEFAULT nextval('notification_id_seq'),
    round_id        BIGINT NOT NULL,
    event_id        BIGINT,
    alert_key       VARCHAR,
    channel_id      VARCHAR NOT NULL,
    channel         VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL CHECK (kind IN ('firing', 'resolved', 'renotify', 'test')),
    attempted_at    TIMESTAMP NOT NULL,
    status          VARCHAR NOT NULL CHECK (status IN ('sent', 'failed')),
    error           VARCHAR,
    batch_size      INTEGER NOT NULL DEFAULT 1,
    run_id          BIGINT
);
CREATE INDEX notifications_event ON notifications (event_id, channel_id);
