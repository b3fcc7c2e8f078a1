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

-- Findings carry the decided class and the q-value that made them evidence.
ALTER TABLE findings ADD COLUMN q DOUBLE;
ALTER TABLE findings ADD COLUMN class VARCHAR;
