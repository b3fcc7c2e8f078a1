"""The benchmark registry: for each (source, column), what the column measures.

Kept as one CSV per source under ``benchwatch/data/benchmarks/`` so that adding
a source is one module plus one file, and so that a reviewer can see every
direction and category decision in a diff.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

REGISTRY_DIR = Path(__file__).parent / "data" / "benchmarks"
CATEGORIES = {"capability", "safety", "compute", "axis", "other"}
COLUMNS = ["source", "column", "benchmark_id", "name", "category", "safety_area",
           "direction", "scale", "metric"]


class RegistryError(ValueError):
    """A registry file is inconsistent; the message names the file and row."""


def load_registry(directory: Path = REGISTRY_DIR) -> pd.DataFrame:
    """All registry rows, validated: known categories, direction +-1, safety areas set."""
    frames = []
    for path in sorted(directory.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.insert(0, "source", path.stem)
        for i, row in frame.iterrows():
            where = f"{path.name} row {int(i) + 2}"
            if row["category"] not in CATEGORIES:
                raise RegistryError(f"{where}: unknown category {row['category']!r}")
            if row["direction"] not in ("1", "-1"):
                raise RegistryError(f"{where}: direction must be 1 or -1, got {row['direction']!r}")
            if row["category"] == "safety" and not row["safety_area"]:
                raise RegistryError(f"{where}: a safety benchmark needs a safety_area")
        if frame["column"].duplicated().any():
            raise RegistryError(f"{path.name}: duplicate column {frame['column'][frame['column'].duplicated()].iloc[0]!r}")
        frames.append(frame)
    registry = pd.concat(frames, ignore_index=True)[COLUMNS]
    registry["direction"] = registry["direction"].astype(int)
    return registry
