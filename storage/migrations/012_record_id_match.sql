-- A model renamed upstream (same record ids under a new name, issue 20) resolves as its new name
-- does: match_rule 'record id'. model_aliases is derived state, rewritten whole at every
-- analysis, so it is recreated with the wider check rather than copied.
DROP TABLE model_aliases;
CREATE TABLE model_aliases (
    source            VARCHAR NOT NULL,
    model             VARCHAR NOT NULL,
    canonical_id      VARCHAR NOT NULL,
    base_id           VARCHAR NOT NULL,
    variant           VARCHAR,
    kind              VARCHAR CHECK (kind IN ('base', 'chat')),
    kind_rule         VARCHAR NOT NULL,
    match_rule        VARCHAR NOT NULL CHECK (match_rule IN ('exact', 'normalized', 'alias', 'record id')),
    match_detail      VARCHAR,
    identity_version  VARCHAR NOT NULL,
    PRIMARY KEY (source, model)
);
