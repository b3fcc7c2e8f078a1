"""The benchmark registry: for each (source, column), what the column measures.

Kept as one CSV per source under ``benchwatch/data/benchmarks/`` so that adding
a source is one module plus one file, and so that a reviewer can see every
direction and category decision in a diff.
"""

from __future__ import annotations

import functools
import io
from importlib.resources import files
from importlib.resources.abc import Traversable

import pandas as pd

REGISTRY_DIR = files("benchwatch") / "data" / "benchmarks"
CATEGORIES = {"capability", "safety", "compute", "axis", "other"}
COLUMNS = ["source", "column", "benchmark_id", "name", "category", "safety_area",
           "direction", "scale", "metric", "in_axis", "same_construct", "paired_accuracy",
           "shares_items_with"]
# Optional columns, empty when a file leaves them out. ``in_axis``: the capability axes this
# benchmark is fitted into or is ("eci" for a benchmark ECI is fitted on, "arena" for an Arena
# board, "arena-style" for its style-controlled board), space separated; ``same_construct``:
# axes that measure the same construct (the paper's
# LMSYS_Chatbot_Arena column is the Arena rating). A correlation with either holds by construction.
# ``paired_accuracy``: for a calibration metric, the same source's accuracy column it is also
# correlated with (axis ``accuracy``), as the paper does: it correlates RMS calibration error with
# MMLU accuracy, not with the capabilities score.
# ``shares_items_with``: benchmark ids (space separated) measured on the same items as this one (HLE
# calibration error is scored on HLE accuracy's questions): an axis with such a component is not
# independent of it (``analysis.circularity.SHARES``).
OPTIONAL = ("in_axis", "same_construct", "paired_accuracy", "shares_items_with")


class RegistryError(ValueError):
    """A registry file is inconsistent; the message names the file and row."""


def load_registry(directory: Traversable = REGISTRY_DIR) -> pd.DataFrame:
    """All registry rows, validated: known categories, direction +-1, safety areas set.

    Parsed once per content of the files (a refresh asks once per source): a copy is returned.
    """
    paths = sorted((p for p in directory.iterdir() if p.name.endswith(".csv")), key=lambda p: p.name)
    return _parse_registry(tuple((path.name, path.read_bytes()) for path in paths)).copy()


@functools.lru_cache(maxsize=4)
def _parse_registry(files: tuple[tuple[str, bytes], ...]) -> pd.DataFrame:
    frames = []
    for name, content in files:
        frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False, encoding="utf-8")
        frame.insert(0, "source", name.removesuffix(".csv"))
        for column in OPTIONAL:
            if column not in frame.columns:
                frame[column] = ""
        checks = [
            (~frame["category"].isin(CATEGORIES), lambda r: f"unknown category {r['category']!r}"),
            (~frame["direction"].isin(["1", "-1"]),
             lambda r: f"direction must be 1 or -1, got {r['direction']!r}"),
            ((frame["category"] == "safety") & (frame["safety_area"] == ""),
             lambda r: "a safety benchmark needs a safety_area"),
        ]
        for bad, problem in checks:
            if bad.any():
                row = int(bad.to_numpy().nonzero()[0][0])
                raise RegistryError(f"{name} row {row + 2}: {problem(frame.iloc[row])}")
        if frame["column"].duplicated().any():
            raise RegistryError(f"{name}: duplicate column {frame['column'][frame['column'].duplicated()].iloc[0]!r}")
        frames.append(frame)
    registry = pd.concat(frames, ignore_index=True)[COLUMNS]
    registry["direction"] = registry["direction"].astype(int)
    return registry
