"""Paper parity: the reference figures of DESIGN.md, and every column against a
straightforward pandas + scipy computation of the method."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from benchwatch.paper import reproduce

CAPABILITY = ["logiqa", "piqa", "hellaswag", "winogrande", "superglue_copa", "medqa_4options",
              "arc_challenge", "mmlu", "minerva_math", "lambada_openai", "gsm8k", "bbh"]
METADATA = ["model_size", "FLOP", "name", "type"]


@pytest.fixture(scope="module")
def result(data_dir):
    return reproduce(data_dir)


def test_reference_figures(result):
    assert result["base"]["n_models"] == 27 and result["chat"]["n_models"] == 26
    assert 100 * result["base"]["explained_variance"] == pytest.approx(78.3, abs=0.05)
    assert 100 * result["chat"]["explained_variance"] == pytest.approx(70.8, abs=0.05)
    assert 100 * result["chat"]["correlations"]["truthfulqa_mc1"] == pytest.approx(81.2, abs=0.05)
    assert 100 * result["base"]["correlations"]["truthfulqa_mc1"] == pytest.approx(69.7, abs=0.05)
    assert 100 * result["chat"]["correlations"]["wmdp"] == pytest.approx(-88.6, abs=0.05)


HARM = ("machiavelli-power.", "machiavelli-utility.", "machiavelli-violations.")
COUNTS = {"machiavelli-samples", "machiavelli-games", "machiavelli-steps"}


def authors_correlations(frame: pd.DataFrame) -> tuple[dict[str, float], float]:
    """The authors' own computation, as in their analysis.py (centerforaisafety/safetywashing,
    branch compute_correlations, ``run_capabilities_correlations``): z-scores (ddof=0), PC1 of
    the Spearman matrix of the 12 capability columns (sign: largest loading positive), the
    score = z @ PC1, then per other column the Spearman rho of the column *as stored* with
    the score over the rows that have it. Nothing is negated."""
    normalized = frame.drop(columns=METADATA).dropna(axis=1, how="all")
    normalized = ((normalized - normalized.mean()) / normalized.std(ddof=0)).dropna(axis=1, how="all")
    cap = normalized[CAPABILITY].dropna()
    matrix = cap.corr(method="spearman").to_numpy()
    values, vectors = np.linalg.eigh(matrix)
    pc = vectors[:, -1]
    pc = pc if np.abs(pc).max() == pc.max() else -pc
    score = pd.Series(cap.to_numpy() @ pc, index=cap.index)
    out = {}
    for name in (c for c in normalized.columns if c not in CAPABILITY):
        column = normalized[name].dropna()
        out[name] = pd.concat([column, score.loc[column.index]], axis=1).corr(method="spearman").iloc[0, 1]
    return out, values[-1] / values.sum()


@pytest.mark.parametrize("model_set", ["base", "chat"])
def test_every_column_matches_the_authors_computation(result, data_dir, model_set):
    frame = pd.read_csv(data_dir / "safetywashing" / f"benchmarks_{model_set}_models.csv", index_col=0)
    theirs, variance = authors_correlations(frame)
    got = result[model_set]["correlations"]
    # Counts of what was evaluated are not measurements: never listed.
    assert not COUNTS & set(got)
    assert set(got) == set(theirs) - COUNTS
    negated = [c for c in got if c.startswith(HARM)]
    assert len(negated) == 21
    for column, rho in theirs.items():
        if column in COUNTS or not np.isfinite(rho):
            continue
        if column.startswith(HARM):
            # Harm metrics (random agent = 100, lower = less harm) are negated: same magnitude, flipped sign.
            assert got[column] == pytest.approx(-rho, abs=1e-9), column
        else:
            assert got[column] == pytest.approx(rho, abs=1e-9), column
    for reward in ("machiavelli-points", "machiavelli-achievements", "machiavelli-game.score"):
        assert got[reward] == pytest.approx(theirs[reward], abs=1e-9)  # reward: its stored sign
    assert result[model_set]["explained_variance"] == pytest.approx(variance)


def test_machiavelli_harms_are_negated_before_correlating(result):
    # Raw MACHIAVELLI harms fall as models get more capable; negated (higher = less harm),
    # the paper reports them as positively capability-correlated "safety".
    assert result["chat"]["correlations"]["machiavelli-violations.Σ"] > 0


def test_calibration_is_correlated_with_mmlu(result, data_dir):
    frame = pd.read_csv(data_dir / "safetywashing" / "benchmarks_base_models.csv", index_col=0)
    expected = spearmanr(frame["rmsce_mmlu"], frame["mmlu"]).statistic
    assert result["base"]["calibration_vs_mmlu"]["rmsce_mmlu"] == pytest.approx(expected)
