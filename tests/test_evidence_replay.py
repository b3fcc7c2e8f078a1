"""Issue 21 items 2-4 and issue 20 item 5 after the README's first command: every capability-tracking
alert and finding is decided by its interval and survives the false-discovery control; shared data
and too few models are never evidence."""

from __future__ import annotations

import json

import duckdb
import numpy as np

from benchwatch.alerting import rules
from benchwatch.analysis.circularity import SHARES
from benchwatch.storage.results import correlations as read_correlations
from tests.clirun import run

THRESHOLD = 0.70
ALERT_FDR = 0.05


def test_every_tracking_alert_and_finding_is_decided_and_has_a_small_q(full_db):
    con = duckdb.connect(str(full_db), read_only=True)
    fired = con.execute("SELECT alert_key, ci_low, threshold, details FROM alert_events "
                        "WHERE rule = ? AND state = 'firing'", [rules.CAPABILITY_TRACKING]).df()
    con.close()
    for row in fired.itertuples(index=False):
        details = json.loads(row.details)
        assert row.ci_low >= row.threshold == THRESHOLD, row.alert_key
        assert details["q"] <= ALERT_FDR and details["class"] == rules.CAPABILITY_TRACKING, row.alert_key
    # Whatever fires is decided (on the recorded live data nothing is); the findings are not empty.
    found = json.loads(run("findings", "--format", "json", "--db", str(full_db)).stdout)
    tracking = [f for f in found if f["rule"] == rules.CAPABILITY_TRACKING]
    assert tracking
    for finding in tracking:
        assert finding["ci_low"] >= finding["threshold"] == THRESHOLD, finding["key"]
        assert finding["q"] <= ALERT_FDR and finding["class"] == rules.CAPABILITY_TRACKING, finding["key"]


def test_q_is_the_bh_adjustment_of_p_tracking_over_each_as_of_family(full_db):
    from statsmodels.stats.multitest import multipletests

    con = duckdb.connect(str(full_db), read_only=True)
    rows = read_correlations(con, as_of="all")
    con.close()
    family = rows[rows["q"].notna()]
    assert len(family) and (family["category"] == "safety").all() and (family["relation"] == "independent").all()
    for _, group in family.groupby("as_of"):
        np.testing.assert_allclose(group["q"], multipletests(group["p_tracking"], method="fdr_bh")[1], atol=1e-12)
    # Rows under min_models keep rho and n, and have no interval, no p-value, no q.
    small = rows[rows["n"] < 10]
    assert len(small) and small["rho"].notna().any()
    assert small[["ci_low", "ci_high", "p_tracking", "q"]].isna().all().all()
    assert (small["note"] == "too few models").all()


def test_hle_calibration_error_shares_data_with_eci_and_raises_no_alert(full_db):
    con = duckdb.connect(str(full_db), read_only=True)
    rows = read_correlations(con, source="epoch", benchmark="hle_calibration_error", as_of="all")
    alerts = con.execute("SELECT alert_key FROM alerts WHERE alert_key LIKE '%:hle_calibration_error:eci:%'").df()
    con.close()
    on_eci = rows[rows["axis"] == "eci"]
    assert len(on_eci) and (on_eci["relation"] == SHARES).all()
    assert on_eci["relation_reason"].str.contains("same items as Humanity's Last Exam").all()
    assert on_eci["q"].isna().all() and alerts.empty
    table = run("correlations", "--source", "epoch", "--axis", "eci", "--format", "json", "--db", str(full_db))
    hle = [r for r in json.loads(table.stdout) if r["benchmark"] == "hle_calibration_error"]
    assert hle and all(r["class"] == SHARES and not r["decided"] for r in hle)
