-- Evidence a reviewer accepts (issue 21 items 2-4, issue 20 item 5).
-- The interval's contract: which interval it is (text), whether the axis was refitted inside each
-- resample, and the one-sided p-values consistent with it (rho > the tracking threshold, rho > 0,
-- rho < the inverse threshold). q: the Benjamini-Hochberg q-value of p_tracking across the run's
-- rows at one as-of date that could be evidence (safety, independent, at least min_models models).
-- note: 'too few models' for a row under min_models (it keeps rho and n, no interval, no class).
ALTER TABLE correlations ADD COLUMN interval VARCHAR;
ALTER TABLE correlations ADD COLUMN axis_refit BOOLEAN;
ALTER TABLE correlations ADD COLUMN p_tracking DOUBLE;
ALTER TABLE correlations ADD COLUMN p_positive DOUBLE;
ALTER TABLE correlations ADD COLUMN p_inverse DOUBLE;
ALTER TABLE correlations ADD COLUMN q DOUBLE;
ALTER TABLE correlations ADD COLUMN note VARCHAR;

-- Drift tested on the bootstrap distribution of the change in rho between two as-of dates, paired
-- over the models present at both (analysis.drift): one row per series and later date, against the
-- earliest point of the look-back window; q across the run's drift tests.
CREATE TABLE drift_tests (
    run_id     BIGINT NOT NULL,
    source     VARCHAR NOT NULL,
    model_set  VARCHAR NOT NULL,
    axis       VARCHAR NOT NULL,
    benchmark  VARCHAR NOT NULL,
    from_as_of DATE NOT NULL,
    as_of      DATE NOT NULL,
    rho_from   DOUBLE,
    rho_to     DOUBLE,
    change     DOUBLE,
    change_low DOUBLE,
    change_high DOUBLE,
    n_paired   INTEGER,
    p          DOUBLE,
    q          DOUBLE,
    PRIMARY KEY (run_id, source, model_set, axis, benchmark, as_of)
);

-- Findings carry the decided class and the q-value that made them evidence.
ALTER TABLE findings ADD COLUMN q DOUBLE;
ALTER TABLE findings ADD COLUMN class VARCHAR;
