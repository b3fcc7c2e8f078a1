"""Against ECI, scored once per model group, a group is one point: two versions of one group in a
small Epoch ZIP (served from loopback) make one point, whose value is the mean of theirs."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from benchwatch.analysis.units import one_point_per_group
from benchwatch.pipeline.refresh import refresh
from benchwatch.storage.db import connect
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
