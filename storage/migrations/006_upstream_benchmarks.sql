-- What an upstream itself says of its benchmarks (Epoch's benchmark_metadata.csv: the file and
-- headline column, the scale, whether the benchmark feeds ECI, which benchmark supersedes it), as
-- of the newest fetch that said it. Written at ingest, not by the registry sync (which rewrites
-- `benchmarks` every session), so the upstream's word survives it. in_axis: the axes the upstream
-- fits the benchmark into ('eci'), '' when it says none, NULL when it does not say.
CREATE TABLE upstream_benchmarks (
    source          VARCHAR NOT NULL,
    "column"        VARCHAR NOT NULL,
    upstream_name   VARCHAR,
    source_file     VARCHAR,
    score_column    VARCHAR,
    scale           VARCHAR,
    in_axis         VARCHAR,
    superseded_by   VARCHAR,
    fetch_id        BIGINT NOT NULL,
    observed_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (source, "column")
);
