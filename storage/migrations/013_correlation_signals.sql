-- Beside rho, on every correlation row (issue 21, item 5; benchwatch/analysis/signals.py):
-- slope: least squares of the oriented benchmark score (higher = safer) on the axis, in the
--   benchmark's own units per axis SD (ddof=0, over the row's models); r2: the share of the score's
--   spread the axis explains;
-- subset_low / subset_high: rho's 5th and 95th percentile over random half-samples of the models;
-- saturation: share of the models within 5% of the scale's floor or ceiling (NULL: unbounded scale);
-- partial_rho_time: partial Spearman rho holding release date fixed, over n_time dated models
--   (NULL where fewer than four are dated).
ALTER TABLE correlations ADD COLUMN slope DOUBLE;
ALTER TABLE correlations ADD COLUMN r2 DOUBLE;
ALTER TABLE correlations ADD COLUMN subset_low DOUBLE;
ALTER TABLE correlations ADD COLUMN subset_high DOUBLE;
ALTER TABLE correlations ADD COLUMN saturation DOUBLE;
ALTER TABLE correlations ADD COLUMN partial_rho_time DOUBLE;
ALTER TABLE correlations ADD COLUMN n_time INTEGER;
