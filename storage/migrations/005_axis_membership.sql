-- Which benchmarks are part of a capability axis (ECI is fitted on Epoch's benchmarks; an Arena
-- board is the Arena rating) or measure the same construct as one: a correlation between such a
-- benchmark and that axis holds by construction and is never evidence.
ALTER TABLE benchmarks ADD COLUMN in_axis VARCHAR;
ALTER TABLE benchmarks ADD COLUMN same_construct VARCHAR;
