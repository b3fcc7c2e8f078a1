"""Per-source analysis: every model set, every as-of date, every axis.

Takes a source's observation history and its registry rows and returns the
frames storage keeps (axes, loadings, scores, correlations, and at the last
as-of date the capability-adjusted residuals of every safety benchmark). Pure:
the flow reads the inputs and writes the outputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from benchwatch.analysis.adjusted import residuals_frame
from benchwatch.analysis.history import known_on
from benchwatch.analysis.intervals import Thresholds
from benchwatch.analysis.method import MissingPolicy, capability_axis, spearman_with_ci
from benchwatch.analysis.signals import SignalContext, oriented_bounds, row_signals

POOLED = "all"
# The pooled set of a source that does split base from chat: only its models of unknown kind.
# Never alerted, never a finding, never in a summary (``is_pooled_remainder``).
UNSPLIT = "all (no split)"
UNKNOWN_SET = "unknown"
AXIS_PC1 = "pc1"
AXIS_COMPUTE = "compute"
# A calibration metric against its own benchmark's accuracy (registry ``paired_accuracy``).
AXIS_ACCURACY = "accuracy"

# Scales that count what was evaluated (samples, games, steps, votes): not measurements, never correlated.
COUNT_SCALES = frozenset({"count"})


def plain_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text columns as Python objects (numpy ``object``), values unchanged.

    pandas' default string dtype is Arrow-backed: every take, reindex and index lookup on it
    converts between Arrow and Python, which was a third of a full recompute (thousands of
    small frames per run). The analysis works on the same values held as objects.
    """
    text = [name for name, dtype in frame.dtypes.items()
            if isinstance(dtype, pd.StringDtype) or str(dtype) == "str"]
    return frame.astype(dict.fromkeys(text, object)) if text else frame


def registry_column(registry: pd.DataFrame, name: str, columns: pd.Index) -> pd.Series:
    """The registry's ``name`` for each of ``columns`` (NaN where a column is not registered).

    One source's registry rows have one row per column; only the two columns asked for are
    indexed (``set_index`` on the whole registry copies every field, per call)."""
    return registry[name].set_axis(pd.Index(registry["column"], name="column")).reindex(columns)


def target_mask(registry: pd.DataFrame, columns: pd.Index) -> pd.Series:
    """Which columns are correlated with the axes: safety and other benchmarks, not counts."""
    counts = registry_column(registry, "scale", columns).isin(COUNT_SCALES) if "scale" in registry else False
    return registry_column(registry, "category", columns).isin(["safety", "other"]) & ~counts


@dataclass(frozen=True)
class Params:
    """What a run was computed with; recorded beside its results."""

    policy: MissingPolicy = "drop"
    resamples: int = 1000
    seed: int = 0
    ci_level: float = 0.95
    # The capability-tracking threshold the one-sided p_tracking tests against (settings).
    tracking: float = Thresholds.tracking
    # Random half-samples of the models behind each rho's subset band (``analysis.signals``).
    subsets: int = 200

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(tracking=self.tracking)


@dataclass
class Results:
    axes: pd.DataFrame
    loadings: pd.DataFrame
    scores: pd.DataFrame
    correlations: pd.DataFrame
    # Capability-adjusted safety at the last as-of date (``analysis.adjusted``).
    residuals: pd.DataFrame = field(default_factory=pd.DataFrame)

    @classmethod
    def concat(cls, parts: Iterable[Results]) -> Results:
        parts = list(parts)
        def cat(name: str) -> pd.DataFrame:
            frames = [getattr(p, name) for p in parts if len(getattr(p, name))]
            return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return cls(cat("axes"), cat("loadings"), cat("scores"), cat("correlations"), cat("residuals"))


def oriented_matrix(long: pd.DataFrame, registry: pd.DataFrame) -> pd.DataFrame:
    """Models x source columns, every column multiplied by its direction (higher = safer)."""
    wide = first_values(long, "model", "benchmark")
    return wide * registry_column(registry, "direction", wide.columns).fillna(1).to_numpy(dtype=float)


def first_values(long: pd.DataFrame, index: str, columns: str) -> pd.DataFrame:
    """``index`` x ``columns`` of ``long``'s ``value``: each cell's first non-missing value in row
    order, labels sorted both ways, only labels with a value (``pivot_table(aggfunc="first")``).

    One factorization and one assignment, no group-by: the analysis builds thousands of these.
    """
    valid = long.loc[long["value"].notna() & long[index].notna() & long[columns].notna()]
    row_code, rows = pd.factorize(valid[index], sort=True)
    column_code, labels = pd.factorize(valid[columns], sort=True)
    first = np.unique(row_code.astype(np.int64) * max(len(labels), 1) + column_code, return_index=True)[1]
    values = np.full((len(rows), len(labels)), np.nan)
    values[row_code[first], column_code[first]] = valid["value"].to_numpy(dtype=float)[first]
    return pd.DataFrame(values, index=pd.Index(rows, name=index), columns=pd.Index(labels, name=columns))


def split_by_kind(models: pd.DataFrame) -> pd.DataFrame:
    """A source without a split of its own takes its models' kinds (``identity.kinds``) as sets.

    ``models``: model, model_set and, where resolved, kind. A source whose flag already splits its
    models (the paper, the Open LLM Leaderboards) keeps its own sets.
    """
    if "kind" not in models or not models["model_set"].isin([POOLED, UNKNOWN_SET]).all():
        return models
    return models.assign(model_set=models["kind"].where(models["kind"].notna(), models["model_set"]))


def model_sets(models: pd.DataFrame, pooled: bool) -> dict[str, pd.Index]:
    """The source's sets: base and chat (or its own split), never pooled across them.

    A source with no split at all is one set, "all" (the paper's rule for a source with no
    flag). A source with a split pools only its models of unknown kind, as ``UNSPLIT``.
    """
    sets = {
        name: pd.Index(group["model"])
        for name, group in models.groupby("model_set")
        if name not in (UNKNOWN_SET, POOLED)
    }
    if not (pooled or POOLED in set(models["model_set"])):
        return sets
    if not sets:
        return {POOLED: pd.Index(models["model"])}
    unsplit = models.loc[models["model_set"].isin([UNKNOWN_SET, POOLED]), "model"]
    if len(unsplit):
        sets[UNSPLIT] = pd.Index(unsplit)
    return sets


def is_pooled_remainder(model_set: pd.Series) -> pd.Series:
    """Rows of the pooled set of a split source: shown, never alerted, found or summarized."""
    return model_set == UNSPLIT


def analyze_matrix(
    wide: pd.DataFrame, registry: pd.DataFrame, params: Params, release: pd.Series | None = None,
    context: SignalContext | None = None,
) -> tuple[dict[str, pd.Series], pd.DataFrame, dict]:
    """Axes and correlations for one model set at one date.

    Returns the axis vectors (by axis name), the correlations frame, and the
    PC1 facts (loadings, explained variance, models dropped). ``release``
    (model -> release date, where known) feeds the time-held-fixed rho; ``context``, where the
    caller has it, is ``signal_context(registry, release)`` (one per source and date, not per set).
    """
    category = registry_column(registry, "category", wide.columns)
    capability = wide.loc[:, category == "capability"]
    targets = wide.loc[:, target_mask(registry, wide.columns).to_numpy()]
    axes: dict[str, pd.Series] = {}
    facts: dict = {}
    fitted: dict[str, pd.DataFrame] = {}  # axes estimated from these models: re-fitted per resample
    pc1 = capability_axis(capability, params.policy, params.seed)
    if pc1 is not None:
        axes[AXIS_PC1] = pc1.scores
        fitted[AXIS_PC1] = pc1.filled
        facts = {
            "loadings": pc1.loadings,
            "explained_variance": pc1.explained_variance,
            "n_dropped": pc1.n_dropped,
            "n_benchmarks": len(pc1.loadings),
        }
    compute = wide.loc[:, category == "compute"]
    if compute.shape[1]:
        axes[AXIS_COMPUTE] = compute.iloc[:, 0].dropna()
    frames = []
    context = context if context is not None else signal_context(registry, release)
    for axis_name, vector in axes.items():
        if targets.shape[1] == 0:
            continue
        stats = spearman_with_ci(
            targets.to_numpy(dtype=float),
            vector.reindex(targets.index).to_numpy(dtype=float),
            params.resamples,
            params.seed,
            params.ci_level,
            thresholds=params.thresholds,
            refit=fitted[axis_name].reindex(targets.index).to_numpy(dtype=float) if axis_name in fitted else None,
        ).join(row_signals(targets, vector, context, params.subsets, params.seed))
        stats.insert(0, "benchmark", targets.columns)
        stats.insert(0, "axis", axis_name)
        frames.append(stats)
    frames += _paired_accuracy(wide, targets, registry, params, context)
    correlations = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return axes, correlations, facts


def signal_context(registry: pd.DataFrame, release: pd.Series | None) -> SignalContext:
    """The registry's scale bounds (oriented) and the models' release dates, for ``row_signals``."""
    if release is None:
        return SignalContext(bounds=oriented_bounds(registry))
    return SignalContext(release=release, bounds=oriented_bounds(registry))


def _paired_accuracy(
    wide: pd.DataFrame, targets: pd.DataFrame, registry: pd.DataFrame, params: Params, context: SignalContext
) -> list[pd.DataFrame]:
    """Each target with a ``paired_accuracy`` column against that accuracy (axis ``accuracy``),
    both oriented (higher = safer, higher = more accurate): the paper's calibration view."""
    if "paired_accuracy" not in registry.columns:
        return []
    paired = registry_column(registry, "paired_accuracy", targets.columns).fillna("")
    frames = []
    for benchmark, accuracy in paired[paired.isin(wide.columns)].items():
        stats = spearman_with_ci(targets[[benchmark]].to_numpy(dtype=float), wide[accuracy].to_numpy(dtype=float),
                                 params.resamples, params.seed, params.ci_level, thresholds=params.thresholds
                                 ).join(row_signals(targets[[benchmark]], wide[accuracy], context,
                                                    params.subsets, params.seed))
        stats.insert(0, "benchmark", [benchmark])
        stats.insert(0, "axis", AXIS_ACCURACY)
        frames.append(stats)
    return frames


def analyze_source(
    source: str,
    history: pd.DataFrame,
    registry: pd.DataFrame,
    pooled: bool,
    dates: list[date],
    params: Params,
    release: pd.Series | None = None,
) -> Results:
    """Everything for one source at each as-of date; empty frames if nothing to compute.
    ``release``: the source's models' release dates where known (``analysis.signals``)."""
    registry = registry[registry["source"] == source]
    parts = []
    for as_of in dates:
        matrices = set_matrices(known_on(history, as_of), registry, pooled)
        parts += analyze_sets(source, as_of, matrices, registry, params, release, as_of == dates[-1])[0]
    return Results.concat(parts)


def set_matrices(known: pd.DataFrame, registry: pd.DataFrame, pooled: bool) -> dict[str, pd.DataFrame]:
    """Each model set's oriented models x columns matrix at one date (``model_sets`` of the rows
    ``known``, ``oriented_matrix``); ``registry``: the source's rows."""
    if known.empty:
        return {}
    wide = oriented_matrix(known, registry)
    sets = model_sets(split_by_kind(known.drop_duplicates("model")), pooled)
    return {name: wide.loc[wide.index.intersection(members)] for name, members in sets.items()}


def analyze_sets(
    source: str, as_of: date, matrices: dict[str, pd.DataFrame], registry: pd.DataFrame, params: Params,
    release: pd.Series | None, residuals: bool,
) -> tuple[list[Results], dict[str, dict[str, pd.Series]]]:
    """Each set's results at one date (``set_matrices``), residuals only with ``residuals`` (the
    source's last date), and each set's own axes (the drift test reuses them)."""
    parts, set_axes = [], {}
    context = signal_context(registry, release)
    for set_name, wide in matrices.items():
        axes, correlations, facts = analyze_matrix(wide, registry, params, release, context)
        keys = {"source": source, "model_set": set_name, "as_of": as_of}
        result = _results(keys, axes, correlations, facts, len(wide), params)
        if residuals:
            result.residuals = safety_residuals(wide, registry, axes, keys, paired=True)
        parts.append(result)
        set_axes[set_name] = axes
    return parts, set_axes


def safety_residuals(
    wide: pd.DataFrame, registry: pd.DataFrame, axes: dict[str, pd.Series], keys: dict, paired: bool = False
) -> pd.DataFrame:
    """Each model's rank residual on every axis, for the safety columns of ``wide``. With ``paired``
    (the source's own analysis, where its accuracy columns are in ``wide``), a calibration metric
    also on its paired accuracy column: axis ``accuracy``, the axis it is correlated with."""
    category = registry_column(registry, "category", wide.columns)
    safety = wide.loc[:, category == "safety"]
    if safety.shape[1] == 0:
        return pd.DataFrame()
    parts = [residuals_frame(safety, axes)] if axes else []
    if paired and "paired_accuracy" in registry.columns:
        pairs = registry_column(registry, "paired_accuracy", safety.columns).fillna("")
        parts += [residuals_frame(safety[[benchmark]], {AXIS_ACCURACY: wide[accuracy]})
                  for benchmark, accuracy in pairs[pairs.isin(wide.columns)].items()]
    parts = [part for part in parts if len(part)]
    return pd.concat(parts, ignore_index=True).assign(**keys) if parts else pd.DataFrame()


def _results(
    keys: dict, axes: dict[str, pd.Series], correlations: pd.DataFrame, facts: dict,
    n_models: int, params: Params,
) -> Results:
    axis_rows = []
    for name, vector in axes.items():
        axis_rows.append({
            **keys, "axis": name, "n_models": int(vector.notna().sum()),
            "n_dropped": facts.get("n_dropped", 0) if name == AXIS_PC1 else n_models - int(vector.notna().sum()),
            "n_benchmarks": facts.get("n_benchmarks", 1) if name == AXIS_PC1 else 1,
            "explained_variance": facts.get("explained_variance", np.nan) if name == AXIS_PC1 else np.nan,
            "missing_policy": params.policy if name == AXIS_PC1 else "pairwise",
        })
    loadings = pd.DataFrame()
    if "loadings" in facts:
        loadings = facts["loadings"].rename_axis("benchmark").reset_index().assign(**keys)
    scores = pd.DataFrame()
    if AXIS_PC1 in axes:
        scores = axes[AXIS_PC1].rename_axis("model").reset_index().assign(axis=AXIS_PC1, **keys)
    if len(correlations):
        correlations = correlations.assign(**keys)
    return Results(pd.DataFrame(axis_rows), loadings, scores, correlations)
