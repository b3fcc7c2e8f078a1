-- Withdrawals (issue 20). A full snapshot that no longer lists a (model, benchmark) it carries
-- closes the open row with no successor: the value was withdrawn upstream, not revised. Both
-- kinds of close keep the row as history; closed_reason tells them apart.
ALTER TABLE observations ADD COLUMN closed_reason VARCHAR;
UPDATE observations SET closed_reason = 'revised' WHERE valid_to IS NOT NULL;
ALTER TABLE fetches ADD COLUMN rows_withdrawn BIGINT DEFAULT 0;
UPDATE fetches SET rows_withdrawn = 0;
