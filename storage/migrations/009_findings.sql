-- Circularity and findings (issue 15).
-- Each correlation row says how the benchmark relates to the axis: 'independent', 'part of the
-- axis' (the axis is fitted on it) or 'same construct' (declared in the registry), and why.
-- Only independent rows are evidence; the others are never alerted and shown only marked.
ALTER TABLE correlations ADD COLUMN relation VARCHAR DEFAULT 'independent';
ALTER TABLE correlations ADD COLUMN relation_reason VARCHAR;

-- Findings: what the alert rules find on data that can no longer change (a frozen source's
-- safety columns). Rebuilt at each evaluation from the latest good run; never notified.
CREATE TABLE findings (
    finding_key  VARCHAR PRIMARY KEY,
    rule         VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    benchmark    VARCHAR NOT NULL,
    axis         VARCHAR NOT NULL,
    model_set    VARCHAR NOT NULL,
    since        DATE NOT NULL,
    as_of        DATE NOT NULL,
    rho          DOUBLE,
    ci_low       DOUBLE,
    ci_high      DOUBLE,
    n            INTEGER,
    threshold    DOUBLE,
    message      VARCHAR NOT NULL,
    why          VARCHAR NOT NULL,
    run_id       BIGINT,
    recorded_at  TIMESTAMP NOT NULL
);
