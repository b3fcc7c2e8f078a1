-- Every Eval Ever, read whole and incrementally (issue 23). The datastore's manifest names every
-- record (object path and sha256, by collection); eee_records is what Benchwatch holds of that
-- listing, so a refresh fetches only records whose sha256 it has not stored, and a record (or a
-- whole collection) the manifest stops naming is unlisted here and its values withdrawn, never
-- deleted. eee_scores keeps each score's provenance: the record it came from, which carries
-- first- or third-party (source_metadata.evaluator_relationship), the adapter and the cron run
-- date (source_metadata.additional_details.cron_adapter / cron_run_date).
CREATE TABLE eee_records (
    object_path             VARCHAR PRIMARY KEY,
    sha256                  VARCHAR NOT NULL,
    collection              VARCHAR NOT NULL,
    model                   VARCHAR,
    source_name             VARCHAR,
    evaluator_relationship  VARCHAR,
    adapter                 VARCHAR,
    cron_run_date           DATE,
    retrieved_at            TIMESTAMP,
    listed                  BOOLEAN NOT NULL,
    fetch_id                BIGINT NOT NULL,
    unlisted_by             BIGINT
);
CREATE TABLE eee_scores (
    object_path      VARCHAR NOT NULL,
    sha256           VARCHAR NOT NULL,
    model            VARCHAR NOT NULL,
    benchmark        VARCHAR NOT NULL,
    evaluation_name  VARCHAR,
    declared_area    VARCHAR,
    value            DOUBLE NOT NULL,
    observed_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (object_path, sha256, benchmark)
);
CREATE INDEX eee_scores_key ON eee_scores (model, benchmark);
