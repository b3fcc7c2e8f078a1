"""Check a benchmark author's own results: the use case behind ``benchwatch check`` and the
dashboard's "Check a benchmark" page.

Reads, never writes: the stored identities and capability axes (from a
connection the caller opened, read-only or the dashboard's published copy)
and the user's scores; returns how every model matched and, per stored axis,
rho with its interval, n, class and verdict (``analysis.benchmark_check``).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from benchwatch.analysis.benchmark_check import CheckParams, as_points, check_axes
from benchwatch.analysis.circularity import INDEPENDENT, annotate, capability_columns, classify_pairs
from benchwatch.analysis.classes import Bands
from benchwatch.analysis.cross import AXIS_PC1_JOINT, group_of
from benchwatch.analysis.engine import AXIS_PC1
from benchwatch.analysis.signals import in_words, release_dates
from benchwatch.identity.match import match_names, suggestions
from benchwatch.settings import Settings
from benchwatch.sources import full_registry
from benchwatch.sources.tabular import InputError, UserScores
from benchwatch.storage import identity as identity_store
from benchwatch.storage import results as result_store


@dataclass
class CheckReport:
    """What a check found. ``matches``: one row per model of the file (model, score,
    model_set, canonical_id, rule, detail, matched, suggestions); ``results``: one row per
    axis (``analysis.benchmark_check.RESULT_COLUMNS``); ``axes``: the stored axes read;
    ``groups``: canonical id -> model group, for the axes scored once per group."""

    benchmark: str
    lower_is_better: bool
    matches: pd.DataFrame
    results: pd.DataFrame
    axes: pd.DataFrame
    unsuggested: int = 0
    threshold: float = 0.70  # settings.capability_threshold: where the time note applies
    saturation_flag: float = 0.5  # settings.saturation_flag
    groups: pd.Series | None = None

    def signals(self, row: int = 0) -> list[str]:
        """The signals beside rho of one result row, in words (``analysis.signals.in_words``)."""
        return in_words(self.results.iloc[row].to_dict(), self.threshold, self.saturation_flag)

    @property
    def unmatched(self) -> pd.DataFrame:
        return self.matches[~self.matches["matched"]]

    def points(self, row: int = 0) -> pd.DataFrame:
        """The figure's points for one result row: each point's axis score and benchmark value (as
        published; a group's mean), labelled with the file's name for the model or the group's
        name, and ``members``: the file's names of the models behind the point (n counts points)."""
        result = self.results.iloc[row]
        group = self.axes[(self.axes["source"] == result["axis_source"])
                          & (self.axes["model_set"] == result["model_set"])
                          & (self.axes["axis"] == result["axis"])]
        mine = self.matches[self.matches["matched"]]
        values = mine.assign(value=mine["score"])
        points = as_points(values, group, self.groups)
        names = mine.drop_duplicates("canonical_id").set_index("canonical_id")["model"]
        return pd.DataFrame({"model": points["point"].map(names).fillna(points["point"]).to_numpy(),
                             "canonical_id": points["point"].to_numpy(),
                             "capabilities": points["score"].to_numpy(), "score": points["value"].to_numpy(),
                             "members": [_named(ids, names) for ids in points["members"]]})


# The pseudo-source a checked file is classified under; the columns ``axis_members`` returns.
CHECKED = "check"
MEMBER_COLUMNS = ["source", "column", "axis", "relation"]


def params_of(con: duckdb.DuckDBPyConnection, settings: Settings) -> CheckParams:
    """The stored run's resamples, seed and interval level (its axes are the ones compared, so its
    correlations and a check agree), and the settings' thresholds."""
    run = result_store.last_run(con)
    if run is None:
        raise InputError("no analysis run in the database yet: run `benchwatch refresh` first")
    return CheckParams(int(run["resamples"]), int(run["seed"]), float(run["ci_level"]),
                       settings.min_models, Bands(tracking=settings.capability_threshold),
                       settings.subset_samples)


def check_benchmark(
    con: duckdb.DuckDBPyConnection, settings: Settings, user: UserScores,
    name: str | None = None, lower_is_better: bool | None = None, model_set: str | None = None,
) -> CheckReport:
    """Match the file's models and correlate its scores with every stored capability axis.

    ``lower_is_better`` (None: as the file says, else higher is better) orients the scores
    before any correlation, as the registry's direction does for stored benchmarks.
    ``model_set`` keeps only that set's rows and axes. Raises ``InputError`` when fewer than
    ``min_models`` models are given, or two of the file's names are one model.
    """
    scores = user.scores
    if model_set is not None:
        scores = scores[scores["model_set"].isna() | (scores["model_set"] == model_set)]
    if len(scores) < settings.min_models:
        raise InputError(f"{name or user.benchmark}: {len(scores)} model(s) with a score; a correlation "
                         f"needs at least min_models = {settings.min_models} "
                         f"({settings.min_models - len(scores)} more)")
    lower = lower_is_better if lower_is_better is not None else bool(user.lower_is_better)
    identity = identity_store.identities(con)
    matches = pd.concat([scores.reset_index(drop=True),
                         match_names(scores["model"], identity).drop(columns="model")], axis=1)
    _refuse_same_model(matches[matches["matched"]], name or user.benchmark)
    unmatched = matches[~matches["matched"]]
    text, unsuggested = suggestions(unmatched, identity)
    matches["suggestions"] = ""
    matches.loc[unmatched.index[:len(text)], "suggestions"] = text
    axes = result_store.latest_axis_scores(con)
    if model_set is not None:
        axes = axes[axes["model_set"] == model_set]
    mine = matches[matches["matched"]]
    values = pd.DataFrame({"canonical_id": mine["canonical_id"],
                           "value": mine["score"] * (-1.0 if lower else 1.0),
                           "model_set": mine["model_set"].where(mine["model_set"].astype(bool), None)})
    label = name or user.benchmark
    dated = release_dates(identity_store.model_release_dates(con), identity)
    release = dated.drop_duplicates("canonical_id").set_index("canonical_id")["release_date"]
    groups = group_of(identity_store.model_groups(con), identity)
    results = circularity_of(check_axes(values, axes, params_of(con, settings), release, groups), label,
                             full_registry(settings))
    if user.dated is not None and len(results):
        # A pair is known once both sides are: the later of the file's date and the axis's, the date
        # ``--save`` + refresh stores this correlation at.
        day = pd.Timestamp(user.dated.date())
        results["as_of"] = pd.to_datetime(results["as_of"]).where(pd.to_datetime(results["as_of"]) >= day, day)
    return CheckReport(label, lower, matches, results, axes, unsuggested, settings.capability_threshold,
                       settings.saturation_flag, groups)


def _named(members: str, names: pd.Series) -> str:
    """A point's canonical ids (``units.one_point_per_group``'s ", "-joined list) as the file names them."""
    return ", ".join(str(names.get(cid, cid)) for cid in members.split(", "))


def circularity_of(results: pd.DataFrame, label: str, registry: pd.DataFrame) -> pd.DataFrame:
    """The rows with the analysis's circularity rule applied: a checked benchmark that is one of the
    benchmarks an axis is built from (same benchmark id as a capability column of a PC1) holds by
    construction on that axis; its verdict says so instead of a class."""
    if results.empty:
        return results.assign(relation=pd.Series(dtype=object), relation_reason=pd.Series(dtype=object))
    target = pd.DataFrame([{"source": CHECKED, "benchmark": label, "benchmark_id": label.strip(), "name": label}])
    built = pd.concat([capability_columns(registry, axis) for axis in (AXIS_PC1, AXIS_PC1_JOINT)], ignore_index=True)
    classes = classify_pairs(target, results["axis"].unique(), pd.DataFrame(columns=MEMBER_COLUMNS), built)
    rows = annotate(results.assign(source=CHECKED, benchmark=label), classes).drop(columns=["source", "benchmark"])
    circular = rows["relation"] != INDEPENDENT
    rows["class"] = rows["class"].astype(object).where(~circular, None)
    rows.loc[circular, "verdict"] = ("holds by construction, not evidence: "
                                     + rows.loc[circular, "relation_reason"].astype(str))
    return rows


def _refuse_same_model(matched: pd.DataFrame, name: str) -> None:
    """Two of the file's names resolved to one canonical id: say which, keep neither silently."""
    keys = matched["canonical_id"] + "\0" + matched["model_set"].astype(object).fillna("").astype(str)
    dupes = matched[keys.duplicated(keep=False)]
    if dupes.empty:
        return
    groups = dupes.groupby("canonical_id")["model"].agg(list)
    shown = "; ".join(f"{cid}: {', '.join(repr(n[:60]) for n in names)}" for cid, names in groups.head(10).items())
    raise InputError(f"{name}: {len(groups)} model(s) appear under more than one name: {shown}. "
                     "Keep one row per model.")
