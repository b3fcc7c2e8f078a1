"""Issue 21, item 5, after the README's first command: every stored correlation row carries the
signals beside rho, each equal to an independent computation from the stored values, and the
CLI's JSON and wide tables show them."""

from __future__ import annotations

import json
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.stats import linregress, spearmanr

from benchwatch.settings import Settings
from tests.clirun import run

PAPER = "safetywashing-paper"
SIGNALS = {"slope", "r2", "subset_low", "subset_high", "saturation", "partial_rho_time"}


@pytest.fixture(scope="module")
def con(full_db):
    connection = duckdb.connect(str(full_db), read_only=True)
    yield connection
    connection.close()


def stored_row(con, source: str, benchmark: str, axis: str, model_set: str) -> pd.Series:
    return con.execute(
        "SELECT * FROM correlations WHERE run_id = (SELECT max(run_id) FROM analysis_runs WHERE status = 'ok') "
        "AND source = ? AND benchmark = ? AND axis = ? AND model_set = ? ORDER BY as_of DESC LIMIT 1",
        [source, benchmark, axis, model_set]).df().iloc[0]


def test_the_papers_truthfulqa_row_carries_slope_r2_band_and_saturation_from_its_values(con):
    row = stored_row(con, PAPER, "truthfulqa_mc1", "pc1", "chat")
    points = con.execute(
        """
        SELECT s.model, s.score, o.value FROM capability_scores s
        JOIN observations o ON o.source = s.source AND o.model = s.model AND o.benchmark = 'truthfulqa_mc1'
            AND o.valid_to IS NULL
        WHERE s.run_id = ? AND s.source = ? AND s.model_set = 'chat' AND s.axis = 'pc1' AND s.as_of = ?
        ORDER BY s.model
        """, [int(row["run_id"]), PAPER, row["as_of"]]).df()
    assert len(points) == row["n"] == 26
    x, y = points["score"].to_numpy(), points["value"].to_numpy()  # higher = safer already (direction 1)
    fit = linregress(x, y)
    assert row["slope"] == pytest.approx(fit.slope * np.std(x), rel=1e-9)
    assert row["r2"] == pytest.approx(fit.rvalue ** 2, rel=1e-9)
    # Half-samples as documented: default_rng(seed), one permutation per half-sample over the models
    # in the analysis's order (sorted names), its first n // 2.
    settings = Settings()
    picks = np.argsort(np.random.default_rng(settings.bootstrap_seed).random(
        (settings.subset_samples, len(x))), axis=1)[:, : len(x) // 2]
    rhos = [spearmanr(x[p], y[p]).statistic for p in picks]
    assert row["subset_low"] == pytest.approx(np.percentile(rhos, 5), abs=1e-9)
    assert row["subset_high"] == pytest.approx(np.percentile(rhos, 95), abs=1e-9)
    # Scale 0-1: within 0.05 of 0 or of 1.
    assert row["saturation"] == pytest.approx(np.mean((y <= 0.05) | (y >= 0.95)))


def test_a_lower_is_better_epoch_row_has_a_time_held_fixed_rho_from_epochs_release_dates(con):
    row = stored_row(con, "epoch", "hle_calibration_error", "eci", "chat")
    assert row["n_time"] >= 10 and -1 <= row["partial_rho_time"] <= 1
    models = con.execute(
        """
        SELECT o.model, o.value, e.value AS eci,
               TRY_CAST(json_extract_string(m.metadata, '$.release_date') AS DATE) AS released
        FROM observations o
        JOIN observations e ON e.source = o.source AND e.model = o.model AND e.benchmark = 'eci'
        JOIN models m ON m.source = o.source AND m.model = o.model
        WHERE o.source = 'epoch' AND o.benchmark = 'hle_calibration_error' AND o.valid_to IS NULL
          AND e.valid_to IS NULL
        """).df()
    dated = models.dropna(subset=["released"])
    assert row["n_time"] <= len(dated)
    # The slope is per ECI SD of the oriented (negated) error, so it has rho's sign.
    assert np.sign(row["slope"]) == np.sign(row["rho"])


def test_every_stored_row_has_its_signals_in_range(con):
    rows = con.execute(
        "SELECT * FROM correlations WHERE run_id = (SELECT max(run_id) FROM analysis_runs WHERE status = 'ok')"
    ).df()
    scored = rows[rows["rho"].notna() & (rows["n"] >= 10)]
    assert scored["r2"].between(0, 1).all() and scored["slope"].notna().all()
    assert (scored["subset_low"] <= scored["subset_high"]).all()
    bounded = rows["saturation"].notna()
    assert bounded.mean() > 0.5 and rows.loc[bounded, "saturation"].between(0, 1).all()
    # NULL exactly where fewer than four models are dated.
    assert (rows["partial_rho_time"].isna() | (rows["n_time"] >= 4)).all()
    assert (rows["partial_rho_time"].notna() & (rows["source"] == "epoch")).any()


def test_findings_json_and_the_wide_table_carry_the_signals(full_db):
    found = json.loads(run("findings", "--format", "json", "--db", str(full_db)).stdout)
    assert found and all(SIGNALS | {"saturated", "time_note", "n_time"} <= set(f) for f in found)
    for finding in found:
        assert finding["r2"] is not None and 0 <= finding["r2"] <= 1
        assert finding["partial_rho_time"] is None or (finding["n_time"] or 0) >= 4
        assert finding["saturated"] == (finding["saturation"] is not None and finding["saturation"] > 0.5)
    rows = json.loads(run("correlations", "--source", "epoch", "--format", "json", "--db", str(full_db)).stdout)
    assert rows and all(SIGNALS <= set(r) for r in rows)
    table = run("correlations", "--source", "epoch", "--wide", "--db", str(full_db)).stdout
    for header in ("slope", "r2", "halves×100", "saturation", "partial_rho_time×100"):
        assert header in table, header
    narrow = run("correlations", "--source", "epoch", "--db", str(full_db)).stdout
    assert "halves×100" not in narrow


def test_a_run_stored_before_the_signals_is_recomputed(full_db, tmp_path):
    from benchwatch.storage.results import lacks_signals, last_run

    copy = tmp_path / "copy.duckdb"
    shutil.copy(full_db, copy)
    with duckdb.connect(str(copy)) as con:
        run_id = last_run(con)["run_id"]
        assert not lacks_signals(con, run_id)  # a fresh run: the next refresh may skip it
        con.execute("UPDATE correlations SET slope = NULL WHERE run_id = ?", [run_id])  # as migration 013 leaves it
        assert lacks_signals(con, run_id)
