"""The records that pass between the sources and storage: fetched bytes in, tidy rows out.

A source turns a ``Snapshot`` (the bytes of one unit of upstream state) into a
``ParsedBatch``; storage archives the one and stores the other, and hands a
source the ``Previous`` fetch of a location for a conditional request. Both
layers import them from here, so neither imports the other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Literal

import pandas as pd

OBSERVATION_COLUMNS = ["model", "benchmark", "value", "observed_at"]
MODEL_COLUMNS = ["model", "model_set", "model_type", "display_name"]


@dataclass(frozen=True)
class Previous:
    """What the last successful fetch of a location returned, for conditional requests."""

    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """One unit of upstream state: the raw bytes of a recorded file or a live payload.

    ``observed_at`` is data time: when this state was published upstream, which
    is what as-of reconstruction keys on (not when Benchwatch read it).
    """

    source: str
    label: str
    observed_at: datetime
    location: str
    files: Mapping[str, bytes]
    mode: Literal["replay", "live"] = "replay"
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False

    @cached_property
    def content_hash(self) -> str:
        """Names and bytes of every file: hashed once, though the skip check and the fetch log both ask."""
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode())
            digest.update(b"\0")
            digest.update(hashlib.sha256(self.files[name]).digest())
        return digest.hexdigest()


WITHDRAWN_COLUMNS = ["model", "benchmark"]
DECLARED_COLUMNS = ["benchmark", "upstream_name", "source_file", "score_column", "scale", "in_axis",
                    "superseded_by"]


@dataclass
class ParsedBatch:
    """Tidy rows from one snapshot, plus the cleaning steps taken on the way.

    ``declared``: what the upstream itself says of its benchmarks (``DECLARED_COLUMNS``), for a
    source that publishes it (Epoch's ``benchmark_metadata.csv``): its scale overrides the
    registry's for the scale check, and its ``in_axis`` (``"eci"``, ``""`` for declared not part
    of an axis, None when silent) is stored so ``axis_members`` reports the upstream's own word.
    """

    observations: pd.DataFrame
    models: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    declared: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DECLARED_COLUMNS))
    # Values the upstream explicitly removed (model, benchmark), for a source whose snapshots carry
    # only what changed (EEE's manifest names every record; one it stops naming took its values
    # with it): each is withdrawn unless the same snapshot lists the key again.
    withdrawn: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=WITHDRAWN_COLUMNS))
    # Per-record provenance a source publishes beside its values (EEE: the record, its collection,
    # first- or third-party, the adapter and its cron run date), by table (``storage.eee``).
    provenance: dict[str, pd.DataFrame] = field(default_factory=dict)
