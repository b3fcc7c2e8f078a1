-- One model identity across sources, cross-source capability axes, and
-- capability-adjusted safety.
--
-- model_aliases: every stored (source, model) resolved to a canonical model
-- id, with the rule that did it (exact, normalized, or a curated alias) and
-- its detail (the normalization rules applied, or the alias note), so every
-- cross-source match can be explained. kind is base/chat where known and
-- kind_rule says from what. Rewritten whole by each analysis.
CREATE TABLE model_aliases (
    source            VARCHAR NOT NULL,
    model             VARCHAR NOT NULL,
    canonical_id      VARCHAR NOT NULL,
    base_id           VARCHAR NOT NULL,
    variant           VARCHAR,
    kind              VARCHAR CHECK (kind IN ('base', 'chat')),
    kind_rule         VARCHAR NOT NULL,
    match_rule        VARCHAR NOT NULL CHECK (match_rule IN ('exact', 'normalized', 'alias')),
    match_detail      VARCHAR,
    identity_version  VARCHAR NOT NULL,
    PRIMARY KEY (source, model)
);

-- Each model's residual after a rank-on-rank regression of a safety
-- benchmark on a capability axis (analysis/adjusted.py), at the latest as-of
-- point of each (source, model set, axis, benchmark). value is oriented
-- (higher = safer); ranks and residual are in percentile units (0-1).
CREATE TABLE adjusted_residuals (
    run_id        BIGINT NOT NULL,
    source        VARCHAR NOT NULL,
    model_set     VARCHAR NOT NULL,
    axis          VARCHAR NOT NULL,
    benchmark     VARCHAR NOT NULL,
    as_of         DATE NOT NULL,
    model         VARCHAR NOT NULL,
    canonical_id  VARCHAR,
    value         DOUBLE NOT NULL,
    axis_value    DOUBLE NOT NULL,
    value_rank    DOUBLE NOT NULL,
    axis_rank     DOUBLE NOT NULL,
    fitted        DOUBLE NOT NULL,
    residual      DOUBLE NOT NULL,
    n             INTEGER NOT NULL,
    method        VARCHAR NOT NULL,
    PRIMARY KEY (run_id, source, model_set, axis, benchmark, as_of, model)
);

-- Where a cross-source axis came from ("epoch:eci"; pc1-joint: its columns),
-- and for pc1-joint the column coverage a benchmark needed to enter it.
ALTER TABLE capability_axes ADD COLUMN axis_sources VARCHAR;
ALTER TABLE capability_axes ADD COLUMN min_coverage DOUBLE;

-- Fingerprint of the identity rules and alias file a run used: a changed
-- alias file makes the next analysis recompute even when no data changed.
ALTER TABLE analysis_runs ADD COLUMN identity_version VARCHAR;
