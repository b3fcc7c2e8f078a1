-- Benchwatch schema, version 1: the system of record.
-- Observations are append-only: a revised value closes the old row (valid_to)
-- and adds a new one; nothing is ever updated in place except valid_to.

CREATE SEQUENCE fetch_id_seq START 1;
CREATE SEQUENCE observation_id_seq START 1;
CREATE SEQUENCE run_id_seq START 1;
CREATE SEQUENCE alert_event_id_seq START 1;

CREATE TABLE fetches (
    fetch_id        BIGINT PRIMARY KEY DEFAULT nextval('fetch_id_seq'),
    source          VARCHAR NOT NULL,
    mode            VARCHAR NOT NULL CHECK (mode IN ('replay', 'live')),
    snapshot        VARCHAR,
    location        VARCHAR,
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP,
    status          VARCHAR NOT NULL CHECK (status IN ('ok', 'unchanged', 'failed')),
    http_status     INTEGER,
    etag            VARCHAR,
    last_modified   VARCHAR,
    content_hash    VARCHAR,
    observed_at     TIMESTAMP,
    rows_parsed     BIGINT NOT NULL DEFAULT 0,
    rows_added      BIGINT NOT NULL DEFAULT 0,
    rows_revised    BIGINT NOT NULL DEFAULT 0,
    error           VARCHAR,
    warnings        VARCHAR[] NOT NULL DEFAULT []
);

CREATE TABLE benchmarks (
    source          VARCHAR NOT NULL,
    "column"        VARCHAR NOT NULL,
    benchmark_id    VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    category        VARCHAR NOT NULL CHECK (category IN ('capability', 'safety', 'compute', 'axis', 'other')),
    safety_area     VARCHAR,
    direction       SMALLINT NOT NULL CHECK (direction IN (-1, 1)),
    scale           VARCHAR NOT NULL,
    metric          VARCHAR,
    PRIMARY KEY (source, "column")
);

CREATE TABLE models (
    source          VARCHAR NOT NULL,
    model           VARCHAR NOT NULL,
    model_type      VARCHAR,
    model_set       VARCHAR NOT NULL,
    display_name    VARCHAR,
    metadata        JSON,
    first_seen      TIMESTAMP NOT NULL,
    fetch_id        BIGINT NOT NULL,
    PRIMARY KEY (source, model)
);

CREATE TABLE observations (
    observation_id  BIGINT PRIMARY KEY DEFAULT nextval('observation_id_seq'),
    source          VARCHAR NOT NULL,
    model           VARCHAR NOT NULL,
    benchmark       VARCHAR NOT NULL,
    value           DOUBLE NOT NULL,
    valid_from      TIMESTAMP NOT NULL,
    valid_to        TIMESTAMP,
    fetch_id        BIGINT NOT NULL,
    revised_by      BIGINT,
    recorded_at     TIMESTAMP NOT NULL
);
CREATE INDEX observations_key ON observations (source, model, benchmark);

CREATE TABLE analysis_runs (
    run_id          BIGINT PRIMARY KEY DEFAULT nextval('run_id_seq'),
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP,
    status          VARCHAR NOT NULL CHECK (status IN ('ok', 'skipped', 'failed')),
    data_version    VARCHAR NOT NULL,
    missing_policy  VARCHAR NOT NULL,
    resamples       INTEGER NOT NULL,
    seed            BIGINT NOT NULL,
    ci_level        DOUBLE NOT NULL,
    n_correlations  BIGINT NOT NULL DEFAULT 0,
    error           VARCHAR
);

CREATE TABLE capability_axes (
    run_id              BIGINT NOT NULL,
    source              VARCHAR NOT NULL,
    model_set           VARCHAR NOT NULL,
    axis                VARCHAR NOT NULL,
    as_of               DATE NOT NULL,
    n_models            INTEGER NOT NULL,
    n_dropped           INTEGER NOT NULL,
    n_benchmarks        INTEGER NOT NULL,
    explained_variance  DOUBLE,
    missing_policy      VARCHAR NOT NULL,
    PRIMARY KEY (run_id, source, model_set, axis, as_of)
);

CREATE TABLE capability_loadings (
    run_id      BIGINT NOT NULL,
    source      VARCHAR NOT NULL,
    model_set   VARCHAR NOT NULL,
    as_of       DATE NOT NULL,
    benchmark   VARCHAR NOT NULL,
    loading     DOUBLE NOT NULL,
    PRIMARY KEY (run_id, source, model_set, as_of, benchmark)
);

CREATE TABLE capability_scores (
    run_id      BIGINT NOT NULL,
    source      VARCHAR NOT NULL,
    model_set   VARCHAR NOT NULL,
    axis        VARCHAR NOT NULL,
    as_of       DATE NOT NULL,
    model       VARCHAR NOT NULL,
    score       DOUBLE NOT NULL,
    PRIMARY KEY (run_id, source, model_set, axis, as_of, model)
);

CREATE TABLE correlations (
    run_id      BIGINT NOT NULL,
    source      VARCHAR NOT NULL,
    model_set   VARCHAR NOT NULL,
    axis        VARCHAR NOT NULL,
    benchmark   VARCHAR NOT NULL,
    as_of       DATE NOT NULL,
    rho         DOUBLE,
    ci_low      DOUBLE,
    ci_high     DOUBLE,
    n           INTEGER NOT NULL,
    PRIMARY KEY (run_id, source, model_set, axis, benchmark, as_of)
);

CREATE TABLE alerts (
    alert_key       VARCHAR PRIMARY KEY,
    rule            VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,
    benchmark       VARCHAR,
    axis            VARCHAR,
    model_set       VARCHAR,
    state           VARCHAR NOT NULL CHECK (state IN ('firing', 'resolved')),
    severity        VARCHAR NOT NULL,
    fired_at        DATE,
    raised_at       TIMESTAMP NOT NULL,
    resolved_at     TIMESTAMP,
    value           DOUBLE,
    threshold       DOUBLE,
    ci_low          DOUBLE,
    ci_high         DOUBLE,
    n               INTEGER,
    message         VARCHAR,
    run_id          BIGINT
);

CREATE TABLE alert_events (
    event_id    BIGINT PRIMARY KEY DEFAULT nextval('alert_event_id_seq'),
    alert_key   VARCHAR NOT NULL,
    state       VARCHAR NOT NULL,
    data_time   DATE,
    recorded_at TIMESTAMP NOT NULL,
    value       DOUBLE,
    run_id      BIGINT
);

-- Decimal places a value was published with (up to 10). Two values are the
-- same publication when they agree to the coarser of the two precisions: a
-- leaderboard that starts printing more digits has not revised its scores.
CREATE MACRO published_decimals(v) AS coalesce(
    list_position([abs(round(v, d::INTEGER) - v) <= 1e-9 * greatest(1, abs(v)) FOR d IN range(0, 10)], true) - 1,
    10);
CREATE MACRO is_revision(old_value, new_value) AS
    abs(round(old_value, least(published_decimals(old_value), published_decimals(new_value))::INTEGER)
        - round(new_value, least(published_decimals(old_value), published_decimals(new_value))::INTEGER))
    > 1e-9 * greatest(1, abs(old_value));
