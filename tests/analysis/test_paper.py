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


@pytest.mark.parametrize("model_set", ["base", "chat"])
def test_every_column_matches_a_straightforward_computation(result, data_dir, model_set):
    frame = pd.read_csv(data_dir / "safetywashing" / f"benchmarks_{model_set}_models.csv", index_col=0)
    frame = frame.drop(columns=METADATA)
    for column in frame.columns:
        if column.startswith("machiavelli-"):
            frame[column] = -frame[column]
    z = (frame - frame.mean()) / frame.std(ddof=0)
    corr = spearmanr(z[CAPABILITY]).statistic
    values, vectors = np.linalg.eigh(corr)
    pc1 = vectors[:, -1] * np.sign(vectors[np.argmax(np.abs(vectors[:, -1])), -1])
    score = z[CAPABILITY].to_numpy() @ pc1
    expected = {}
    for column in frame.columns.difference(CAPABILITY):
        ok = frame[column].notna().to_numpy()
        expected[column] = spearmanr(frame[column][ok], score[ok]).statistic
    got = result[model_set]["correlations"]
    assert set(got) == set(expected)
    for column, rho in expected.items():
        assert got[column] == pytest.approx(rho, abs=1e-9), column
    assert result[model_set]["explained_variance"] == pytest.approx(values[-1] / values.sum())


def test_machiavelli_is_negated_before_correlating(result):
    # Raw MACHIAVELLI harms fall as models get more capable; negated, the
    # paper reports them as positively capability-correlated "safety".
    assert result["chat"]["correlations"]["machiavelli-violations.Σ"] > 0


def test_calibration_is_correlated_with_mmlu(result, data_dir):
    frame = pd.read_csv(data_dir / "safetywashing" / "benchmarks_base_models.csv", index_col=0)
    expected = spearmanr(frame["rmsce_mmlu"], frame["mmlu"]).statistic
    assert result["base"]["calibration_vs_mmlu"]["rmsce_mmlu"] == pytest.approx(expected)
