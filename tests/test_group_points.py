"""Against ECI, scored once per model group, a group is one point: two versions of one group in a
small Epoch ZIP (served from loopback) make one point, whose value is the mean of theirs, and
`check` and the Benchmark page list the models behind it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from benchwatch.analysis.units import group_release, one_point_per_group
from benchwatch.cli.benchmark_report import as_html
from benchwatch.pipeline.benchmark_check import check_benchmark
from benchwatch.pipeline.refresh import refresh
from benchwatch.settings import load_settings
from benchwatch.sources.tabular import UserScores
from benchwatch.storage.db import connect
from tests.dashboard.helpers import app_test
from tests.loopback import Upstream
from tests.sources.test_epoch import serve, zip_of

# Seven versions, six groups: the two "Acme Seven" versions share one ECI, as Epoch's do.
VERSIONS = ["acme-one", "acme-two", "acme-three", "acme-four", "acme-five", "acme-six",
            "acme-seven_high", "acme-seven_low"]
GROUPS = ["Acme One", "Acme Two", "Acme Three", "Acme Four", "Acme Five", "Acme Six",
          "Acme Seven", "Acme Seven"]
ECI = [101.0, 102.0, 103.0, 104.0, 105.0, 106.0, 107.0, 107.0]
CALIBRATION = [80.0, 72.0, 75.0, 60.0, 55.0, 40.0, 30.0, 40.0]


def payload() -> dict[str, bytes]:
    index = pd.DataFrame({"Model version": VERSIONS, "ECI Score": ECI, "Display name": VERSIONS,
                          "Model name": GROUPS})
    hle = pd.DataFrame({"Model version": VERSIONS, "Accuracy": [0.1 + 0.05 * i for i in range(8)],
                        "Calibration Error": CALIBRATION})
    return {"epoch_capabilities_index.csv": index.to_csv(index=False).encode(),
            "hle_external.csv": hle.to_csv(index=False).encode()}


def test_two_versions_of_one_group_make_one_point(settings, upstream):
    settings = settings.model_copy(update={"upstream_base": upstream.url, "min_models": 3})
    serve(upstream, zip_of(payload()), datetime(2026, 4, 19))
    result = refresh(settings, ["epoch"], "live")
    assert [r.status for r in result.reports] == ["ok"]
    con = connect(settings.db)
    row = con.execute(
        "SELECT model_set, n, rho FROM correlations WHERE source = 'epoch' AND axis = 'eci' "
        "AND benchmark = 'hle_calibration_error' AND run_id = ?", [result.run_id]).fetchall()
    # Seven points (eight versions). Calibration error is negated (lower = safer); the "Acme Seven"
    # point is the mean of its two versions (-35). Safety rises with ECI except Acme Two and Three,
    # swapped: rho = 1 - 6 * sum(d^2) / (n (n^2 - 1)) = 1 - 6 * 2 / (7 * 48).
    assert [(s, n) for s, n, _ in row] == [("chat", 7)]
    assert row[0][2] == pytest.approx(1 - 6 * 2 / (7 * 48))


def test_a_point_is_the_mean_of_its_versions():
    targets = pd.DataFrame({"x": [1.0, 3.0, None, 7.0]}, index=["a_high", "a_low", "b", "c"])
    axis = pd.Series([10.0, 10.0, 11.0, 12.0], index=targets.index)
    groups = pd.Series({"a_high": "A", "a_low": "A", "b": "B"})
    values, axis_values, members = one_point_per_group(targets, axis, groups)
    assert values["x"].fillna(-1.0).to_dict() == {"A": 2.0, "B": -1.0, "c": 7.0}  # B has no value
    assert axis_values.to_dict() == {"A": 10.0, "B": 11.0, "c": 12.0}
    assert members.to_dict() == {"A": "a_high, a_low", "B": "b", "c": "c"}


def test_a_group_is_dated_by_its_first_version_whatever_was_scored():
    """A group's date is its earliest version's, even a version the benchmark did not score: `check`
    of one file and the stored analysis must date a group alike (they disagreed before)."""
    release = pd.Series(pd.to_datetime(["2025-03-01", "2024-06-01", None, "2023-01-01"]),
                        index=["a_high", "a_low", "b", "c"])
    groups = pd.Series({"a_high": "A", "a_low": "A", "b": "B"})
    dated = group_release(release, groups)
    assert dated.to_dict() == {"A": pd.Timestamp("2024-06-01"), "c": pd.Timestamp("2023-01-01")}
    assert group_release(release.drop("a_low"), groups)["A"] == pd.Timestamp("2025-03-01")


@pytest.fixture(scope="module")
def grouped_db(tmp_path_factory) -> Path:
    """The small ZIP refreshed from loopback, analyzed and published."""
    server = Upstream().start()
    try:
        settings = load_settings(db=tmp_path_factory.mktemp("groups") / "bw.duckdb", upstream_base=server.url,
                                 min_models=3, bootstrap_resamples=50)
        serve(server, zip_of(payload()), datetime(2026, 4, 19))
        result = refresh(settings, ["epoch"], "live")
        assert [r.status for r in result.reports] == ["ok"]
    finally:
        server.stop()
    return settings.db


def test_check_counts_groups_and_lists_their_members(grouped_db):
    """``check`` against ECI: the two versions make one point, listed as its members."""
    settings = load_settings(db=grouped_db, min_models=3)
    user = UserScores(pd.DataFrame({"model": VERSIONS, "score": CALIBRATION, "model_set": None}),
                      "my calibration", lower_is_better=True)
    with duckdb.connect(str(grouped_db), read_only=True) as con:
        report = check_benchmark(con, settings, user)
    eci = report.results.index[report.results["axis"] == "eci"][0]
    assert report.results.loc[eci, "n"] == 7
    points = report.points(eci).set_index("model")
    assert len(points) == 7 and points.loc["Acme One", "members"] == "acme-one"
    seven = points.loc[points["members"] == "acme-seven_high, acme-seven_low"]
    assert seven["score"].tolist() == [35.0]  # the mean of its versions, as published
    assert "Acme Seven (acme-seven_high, acme-seven_low): 35 vs 107" in as_html(report)  # on hover


def test_the_benchmark_page_shows_a_group_as_one_point_with_its_members(grouped_db, monkeypatch):
    query = {"source": "epoch", "benchmark": "hle_calibration_error", "axis": "eci", "model_set": "chat"}
    at = app_test(grouped_db, monkeypatch, query=query, page="screens/benchmark.py")
    assert not at.exception, [e.value for e in at.exception]
    [points] = [df.value for df in at.dataframe if "members" in df.value.columns]
    assert len(points) == 7
    members = points.set_index("id")["members"]
    assert members.loc["Acme Seven"] == "acme-seven_high, acme-seven_low"
    assert members.loc["Acme One"] == "acme-one"
