"""The paper reproduction beside the paper's reported values (pure frames).

The reported values live in ``paper_reported.csv`` (data, not code), so
nothing that computes can see them: the check compares two independent things.
"""

from __future__ import annotations

from importlib.resources import files

import pandas as pd

REPORTED_FILE = files("benchwatch.dashboard") / "paper_reported.csv"
TOLERANCE = 0.1  # percentage points, as DESIGN.md asks


def reported() -> pd.DataFrame:
    with REPORTED_FILE.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, keep_default_na=False)


def check(result: dict[str, dict], reported: pd.DataFrame) -> pd.DataFrame:
    """Each reported figure, what Benchwatch computes for it (x100), and whether they agree."""
    computed = []
    for row in reported.itertuples(index=False):
        facts = result.get(row.model_set, {})
        if row.quantity == "explained_variance":
            value = facts.get("explained_variance")
        else:
            value = facts.get("correlations", {}).get(row.benchmark)
        computed.append(None if value is None else 100 * value)
    out = reported[["quantity", "model_set", "benchmark", "reported"]].copy()
    out["computed"] = pd.array(computed, dtype="Float64").round(2)
    out["difference"] = (out["computed"] - out["reported"]).round(2)
    out["agrees"] = out["difference"].abs() <= TOLERANCE
    out["reference"] = reported["reference"]
    return out


def correlations(result: dict[str, dict]) -> pd.DataFrame:
    """Every benchmark's capabilities correlation per model set (x100). The paper reports a few
    of them; those are beside their computed values in ``check``, not in a column that would be
    empty in almost every row."""
    frame = pd.DataFrame({model_set: facts["correlations"] for model_set, facts in result.items()}) * 100
    frame = frame.rename_axis("benchmark").reset_index()
    frame.columns = ["benchmark", *[f"{c} (computed)" for c in frame.columns[1:]]]
    order = "chat (computed)" if "chat (computed)" in frame else frame.columns[1]
    return frame.sort_values(order, ascending=False, na_position="last").round(1)
