-- The revision rule (a change at the coarser published precision) moved to
-- storage/revisions.py, which walks a run of snapshots in one pass; one
-- definition of the rule, so the SQL macros go.
DROP MACRO is_revision;
DROP MACRO published_decimals;
