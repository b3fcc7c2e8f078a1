"""Issue 26: the cross-source analysis computes each source's newest values once per as-of date
and shares them by every target; on the full replay its results equal the per-target
recomputation it replaced (every source's whole history re-filtered and re-sorted at every ask)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from benchwatch.analysis import cross
from benchwatch.analysis.history import known_on
from benchwatch.pipeline import analyze
from benchwatch.settings import load_settings
from benchwatch.storage import observations as obs
from benchwatch.storage.db import connect


class PerTarget(cross.NewestValues):
    """The semantics before the sharing: ``newest_values(known_on(...))`` of the whole history
    of every source, recomputed at every ask, nothing kept."""

    def __init__(self, joined: dict[str, pd.DataFrame], registry: pd.DataFrame) -> None:
        self.joined = joined
        self.registry = registry

    def of(self, source, as_of):
        return cross.newest_values(known_on(self.joined[source], as_of))

    def axes_at(self, as_of):
        return {source: cross.newest_values(known_on(frame, as_of)) for source, frame in self.joined.items()}

    def wide_at(self, as_of):
        """Each source's axis and capability values, pivoted by pandas."""
        picked = {source: frame[frame["benchmark"].isin(wanted(source, self.registry))]
                  for source, frame in self.axes_at(as_of).items()}
        return {source: frame.pivot(index="canonical_id", columns="benchmark", values="value")
                for source, frame in picked.items() if len(frame)}

    def capability_at(self, as_of):
        return cross.capability_columns(self.wide_at(as_of), self.registry)


def wanted(source: str, registry: pd.DataFrame) -> set[str]:
    """The columns another source reads from ``source``: its external axes and capability columns."""
    capability = registry[(registry["category"] == "capability") & (registry["source"] == source)]
    return {c for spec in cross.EXTERNAL_AXES.values() for s, c in spec if s == source} | set(capability["column"])


@pytest.fixture(scope="module")
def replay(replayed_db, data_dir):
    """Every recorded source replayed (the shared full replay, read only), and the recompute's inputs."""
    settings = load_settings(db=replayed_db, replay_dir=data_dir, bootstrap_resamples=50)
    connection = connect(replayed_db, read_only=True)
    plan = analyze.plan_analysis(connection, settings, force=True)
    joined = {name: cross.with_identity(obs.history_frame(connection, name),
                                        plan.identity[plan.identity["source"] == name])
              for name in plan.pooled if obs.data_span(connection, name) is not None}
    yield connection, plan, joined
    connection.close()


def test_shared_newest_values_equal_each_sources_newest_values_at_every_date(replay):
    _, plan, joined = replay
    shared = cross.NewestValues(joined, plan.registry)
    # Every date a value appeared or changed on, in any source, and the day before each.
    stamps = pd.concat([frame["valid_from"] for frame in joined.values()]).dt.normalize().unique()
    dates = sorted({d.date() for s in stamps for d in (s, s - pd.Timedelta(days=1))})
    assert len(dates) > 100
    dates = [*dates[::12], dates[-1]]  # every twelfth and the last keep the reference's cost down
    for as_of in dates:
        axes = shared.axes_at(as_of)
        assert list(axes) == list(joined)
        for source, frame in joined.items():
            expected = cross.newest_values(known_on(frame, as_of))
            pd.testing.assert_frame_equal(shared.of(source, as_of), expected)
            columns = wanted(source, plan.registry)
            pd.testing.assert_frame_equal(axes[source], expected[expected["benchmark"].isin(columns)])
    assert shared.axes_at(dates[0]) is shared.axes_at(dates[0])  # kept, not recomputed


def test_shared_wide_values_equal_the_pivot_of_each_sources_newest_values(replay):
    """``wide_at`` and ``capability_at`` (numpy from codes made once) against pandas' pivot of the
    newest values and ``capability_columns`` of it, at dates where values appear and change."""
    _, plan, joined = replay
    shared, reference = cross.NewestValues(joined, plan.registry), PerTarget(joined, plan.registry)
    stamps = pd.concat([frame["valid_from"] for frame in joined.values()]).dt.normalize().unique()
    dates = sorted({d.date() for d in stamps})
    checked = 0
    for as_of in [*dates[::20], dates[-1]]:
        wide, expected = shared.wide_at(as_of), reference.wide_at(as_of)
        for source, frame in expected.items():
            pd.testing.assert_frame_equal(wide[source], frame, check_exact=True, check_index_type=False,
                                          check_column_type=False)
            checked += frame.notna().to_numpy().sum()
        capability, expected = shared.capability_at(as_of), reference.capability_at(as_of)
        assert list(capability) == list(expected)
        for source, frame in expected.items():
            # Rows of models with no capability value at all are never joined (``joint_from``).
            pd.testing.assert_frame_equal(capability[source], frame[frame.notna().any(axis=1)], check_exact=True,
                                          check_names=False)
    assert checked > 10_000


def test_cross_source_analysis_of_the_replay_equals_the_per_target_recomputation(replay, monkeypatch):
    connection, plan, _ = replay
    params = replace(plan.params, resamples=20)
    release = plan.release.drop_duplicates("canonical_id").set_index("canonical_id")["release_date"]

    def run() -> cross.Results:
        return analyze.cross_source_analysis(connection, params, plan.identity, plan.registry, plan.pooled,
                                             release=release)

    shared = run()
    monkeypatch.setattr(cross, "NewestValues", PerTarget)
    before = run()
    corr = shared.correlations
    # HELM Safety (no capability column of its own) at its releases, against the other sources' axes.
    helm = corr[corr["source"] == "helm-safety"]
    assert helm["rho"].notna().any() and helm["as_of"].nunique() > 1
    for name in ("axes", "loadings", "scores", "correlations", "residuals"):
        pd.testing.assert_frame_equal(getattr(shared, name), getattr(before, name),
                                      check_exact=False, rtol=0, atol=1e-12)
