-- The drift test on every correlation row with a previous as-of date (issue 21, item 3;
-- benchwatch/analysis/drift.py): the paired bootstrap of the change in rho since the series'
-- previous as-of date, over the models present at both dates.
-- drift_change: rho now - rho at the previous as-of date; p_drift: one-sided p-value of "rho rose";
-- q_drift: Benjamini-Hochberg q-value over every series the run tested at this as-of date.
-- NULL at a series' first date and on the cross-source axes (not tested).
ALTER TABLE correlations ADD COLUMN drift_change DOUBLE;
ALTER TABLE correlations ADD COLUMN p_drift DOUBLE;
ALTER TABLE correlations ADD COLUMN q_drift DOUBLE;
