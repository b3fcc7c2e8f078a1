"""The formatting module against known values: one spelling per quantity (``benchwatch.numbers``)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from benchwatch import numbers


@pytest.mark.parametrize(("value", "shown"), [
    (0.8672, "86.7"), (0.603, "60.3"), (-0.8858, "-88.6"), (1.0, "100.0"), (0.0, "0.0"), (0.00049, "0.0"),
    (None, "—"), (math.nan, "—"), (pd.NA, "—")])
def test_rho_is_x100_with_one_decimal(value, shown):
    assert numbers.rho(value) == shown


def test_a_change_of_rho_carries_its_sign():
    assert numbers.rho(0.30, signed=True) == "+30.0" and numbers.rho(-0.052, signed=True) == "-5.2"


def test_an_interval_is_bracketed_and_missing_when_an_end_is():
    assert numbers.rho_interval(0.603, 0.854) == "[60.3, 85.4]"
    assert numbers.rho_interval(-0.03, 0.7) == "[-3.0, 70.0]"
    assert numbers.rho_interval(0.6, None) == "—" and numbers.rho_interval(math.nan, 0.9) == "—"


def test_shares_are_percentages():
    assert numbers.share(0.75) == "75%" and numbers.share(0.75, 1) == "75.0%"
    assert numbers.share(270 / 283, 1) == "95.4%" and numbers.share(None) == "—"


def test_counts_and_fractions_of_a_whole():
    assert numbers.count(118485) == "118,485" and numbers.count(589.0) == "589" and numbers.count(None) == "—"
    assert numbers.fraction_of(65, 87) == "65/87 (75%)" and numbers.fraction_of(1, 591) == "1/591 (0%)"


@pytest.mark.parametrize(("value", "shown"), [
    (0.04512, "0.0451"), (276.0, "276"), (12345.6, "12,346"), (1265.0, "1,265"), (0.974375, "0.974"),
    (5.49e23, "5.49e+23"), (1.15e-25, "1.15e-25"), (math.nan, "—")])
def test_other_numbers_keep_three_significant_digits(value, shown):
    assert numbers.number(value) == shown


def test_a_threshold_is_in_the_unit_of_the_value_beside_it():
    # The Alerts page showed "value 276" next to "threshold 0.05"; `alerts` printed 86.7 beside 0.87.
    assert numbers.measured(0.8672, 0.70, "rho") == "86.7 (threshold 70.0) rho x100"
    assert numbers.measured(0.30, 0.20, "rise in rho") == "30.0 (threshold 20.0) rise in rho x100"
    assert (numbers.measured(270 / 283, 0.05, "share of a benchmark's values revised")
            == "95.4% (threshold 5.0%) of a benchmark's values revised")
    assert numbers.measured(3.0, 3.0, "failures in a row") == "3 (threshold 3) failures in a row"
    assert numbers.measured(None, 0.7, "rho") == "—"


def test_days_and_missing():
    assert numbers.day(pd.Timestamp("2024-06-01 13:00")) == "2024-06-01" and numbers.day(None) == "—"
    assert numbers.missing(pd.NaT) and numbers.missing(None) and not numbers.missing("") and not numbers.missing(0)


def test_scaled_multiplies_only_the_named_columns_and_leaves_the_frame_alone():
    frame = pd.DataFrame({"rho": [0.5, None], "n": [10, 20]})
    out = numbers.scaled(frame, ["rho", "absent"])
    assert out["rho"].iloc[0] == 50.0 and pd.isna(out["rho"].iloc[1]) and list(out["n"]) == [10, 20]
    assert frame["rho"].iloc[0] == 0.5


def test_measured_takes_a_cell_a_table_already_wrote_as_missing():
    # The dashboard's tables write missing text cells as MISSING before formatting (a 10x database's
    # alerts without a threshold made the Overview raise on float("—")).
    assert numbers.measured(0.867, numbers.MISSING, "rho") == numbers.measured(0.867, None, "rho")
    assert numbers.measured(numbers.MISSING, numbers.MISSING, "rho") == numbers.MISSING
