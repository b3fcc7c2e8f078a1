-- A calibration metric's paired accuracy column (the registry's ``paired_accuracy``): the
-- correlations on axis 'accuracy' are against it, so the dashboard's per-model points on that
-- axis are that column's values; without it they could not be looked up.
ALTER TABLE benchmarks ADD COLUMN paired_accuracy VARCHAR;
