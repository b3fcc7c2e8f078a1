"""Paper parity: the method run on the paper's own matrices, straight from the files.

It goes through the same source parser and the same analysis code as the
service, so a match here vouches for the numbers the service reports.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchwatch.analysis.engine import AXIS_PC1, Params, analyze_matrix, oriented_matrix
from benchwatch.analysis.method import spearman_with_ci
from benchwatch.registry import load_registry
from benchwatch.sources.safetywashing import SafetywashingPaper

# The paper correlates calibration with MMLU accuracy, not the capabilities score.
CALIBRATION_PREFIXES = ("rmsce_", "brier_")
CALIBRATION_REFERENCE = "mmlu"


def reproduce(data_dir: Path) -> dict[str, dict]:
    """Per model set: n, PC1's explained variance, rho of every non-capability column.

    Point estimates only: parity is about the paper's numbers, and no
    bootstrap is needed for them.
    """
    source = SafetywashingPaper()
    batch = source.parse(next(source.replay(data_dir)))
    registry = load_registry()
    registry = registry[registry["source"] == source.name]
    long = batch.observations.merge(batch.models[["model", "model_set"]], on="model")
    out = {}
    for model_set, rows in long.groupby("model_set"):
        wide = oriented_matrix(rows, registry)
        axes, correlations, facts = analyze_matrix(wide, registry, Params(resamples=0))
        pc1 = correlations[correlations["axis"] == AXIS_PC1]
        calibration = [c for c in wide.columns if c.startswith(CALIBRATION_PREFIXES)]
        vs_mmlu = spearman_with_ci(wide[calibration].to_numpy(dtype=float),
                                   wide[CALIBRATION_REFERENCE].to_numpy(dtype=float), 0, 0)
        out[str(model_set)] = {
            "n_models": int(len(axes[AXIS_PC1])),
            "explained_variance": facts["explained_variance"],
            "loadings": {k: float(v) for k, v in facts["loadings"].items()},
            "correlations": {b: _num(r) for b, r in zip(pc1["benchmark"], pc1["rho"], strict=True)},
            "calibration_vs_mmlu": {b: _num(r) for b, r in zip(calibration, vs_mmlu["rho"], strict=True)},
        }
    return out


def _num(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)
