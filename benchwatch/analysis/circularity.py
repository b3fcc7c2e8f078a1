"""Which (benchmark, capability axis) pairs are correlated by construction.

A correlation between a benchmark and an axis that is built from it (ECI is
fitted on Epoch's ``in_eci`` benchmarks; an Arena board is the Arena rating's
own votes; a joint PC1 that holds the same benchmark from another source) or
that measures the same thing (the paper's ``LMSYS_Chatbot_Arena`` column *is*
the Arena rating) holds whatever the benchmark measures: it is not evidence,
never alerted, and shown only marked with its reason.

Four relations:
- ``independent``: the axis is computed without the benchmark;
- ``part of the axis``: the benchmark is one of the things the axis is built
  from. Where Benchwatch builds the axis (``pc1``, ``pc1-joint``) the
  analysis leaves the benchmark out instead (``analysis.cross``), so the pair
  becomes independent; an upstream's fit (ECI, the Arena rating) cannot be
  recomputed without it;
- ``same construct``: declared in the registry (``same_construct``);
- ``shares data with the axis``: the benchmark is measured on the same items
  as one of the axis's components (registry ``shares_items_with``: HLE
  calibration error is scored on the very questions of HLE accuracy, one of
  ECI's benchmarks). Where Benchwatch builds the axis (``pc1``,
  ``pc1-joint``) the analysis recomputes it without that component (the row
  then says so and is independent); an upstream fit and the ``accuracy`` axis
  (the component itself) cannot be.

Everything comes from data: the registry's ``in_axis`` / ``same_construct``
columns (``storage.observations.axis_members``), the columns each axis is
built from, and ``AXIS_SOURCES`` below, so a new axis or board declared there
is classified without code changes. Pure: frames in, frame out.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

INDEPENDENT = "independent"
PART = "part of the axis"
SAME = "same construct"
SHARES = "shares data with the axis"
RELATIONS = (INDEPENDENT, PART, SAME, SHARES)
# Axes whose every column of a source is part of them: each Arena board (text, style control,
# factuality, ...) is fitted from the same Arena battles as the rating behind the ``arena`` axis.
AXIS_SOURCES: dict[str, tuple[str, ...]] = {"arena": ("lmarena",), "arena-style": ("lmarena",)}
# Axes fitted upstream: a benchmark in them cannot be left out by Benchwatch.
UPSTREAM_FITS = {"eci": "ECI is Epoch's own fit", "arena": "the Arena rating is Arena's own fit"}
# Axes Benchwatch fits itself: a component can be left out (``analysis.axes``, ``analysis.engine``).
BUILT_AXES = frozenset({"pc1", "pc1-joint"})
OUTPUT = ["source", "benchmark", "axis", "relation", "reason"]
SHARED = ["source", "benchmark", "axis", "reason"]
# The axis that is a calibration metric's own accuracy column (``analysis.engine.AXIS_ACCURACY``).
ACCURACY_AXIS = "accuracy"


def _label(row: pd.Series) -> str:
    name = row.get("name")
    return str(name) if isinstance(name, str) and name else str(row["benchmark"])


def _cannot(axis: str) -> str:
    why = UPSTREAM_FITS.get(axis)
    return f"; {why} and cannot be recomputed without it" if why else ""


def classify_pairs(
    benchmarks: pd.DataFrame,
    axes: Iterable[str],
    members: pd.DataFrame,
    axis_columns: pd.DataFrame | None = None,
    shared: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per (benchmark, axis): its relation to the axis and the reason, in words.

    ``benchmarks``: ``source``, ``benchmark`` (the source's column) and, when
    known, ``benchmark_id`` (canonical id across sources) and ``name``.
    ``members``: ``source``, ``column``, ``axis``, ``relation`` ('part' or
    'same'), as ``storage.observations.axis_members`` returns them.
    ``axis_columns``: optional ``axis``, ``source``, ``column``,
    ``benchmark_id``: the columns an axis was built from (e.g. the loadings of
    ``pc1-joint``); a benchmark that is the same benchmark (same
    ``benchmark_id``) as one of them, or that column itself, is part of it.
    ``shared``: optional ``source``, ``benchmark``, ``axis``, ``reason``
    (``shared_items``): pairs measured on the same items as a component.
    Rules in order, first match wins: same construct, declared part, an
    ``AXIS_SOURCES`` board, built from the same benchmark, shares data, else independent.
    """
    axes = list(dict.fromkeys(axes))
    frame = benchmarks.drop_duplicates(["source", "benchmark"]).reset_index(drop=True)
    declared = {(r.source, r.column, r.axis): r.relation
                for r in members.itertuples(index=False) if isinstance(r.axis, str) and r.axis}
    built: dict[str, dict[str, str]] = {}
    if axis_columns is not None and len(axis_columns):
        for r in axis_columns.itertuples(index=False):
            entry = built.setdefault(r.axis, {})
            entry[f"{r.source}:{r.column}"] = f"{r.source}:{r.column}"
            if isinstance(r.benchmark_id, str) and r.benchmark_id:
                entry.setdefault(f"id:{r.benchmark_id.lower()}", f"{r.source}:{r.column}")
    sharing = ({} if shared is None else
               {(r.source, r.benchmark, r.axis): r.reason for r in shared.itertuples(index=False)})
    rows = []
    for _, bench in frame.iterrows():
        label = _label(bench)
        bench_id = bench.get("benchmark_id")
        bench_id = bench_id.lower() if isinstance(bench_id, str) and bench_id else None
        for axis in axes:
            relation, reason = INDEPENDENT, ""
            found = declared.get((bench["source"], bench["benchmark"], axis))
            columns = built.get(axis, {})
            hit = columns.get(f"{bench['source']}:{bench['benchmark']}") or (
                columns.get(f"id:{bench_id}") if bench_id else None)
            if found == "same":
                relation = SAME
                reason = f"{label} measures the same construct as the {axis} axis (registry)"
            elif found == "part":
                relation = PART
                reason = f"the {axis} axis is fitted on {label} (registry){_cannot(axis)}"
            elif bench["source"] in AXIS_SOURCES.get(axis, ()):
                relation = PART
                reason = (f"{label} is a {bench['source']} board, fitted from the same votes as the "
                          f"{axis} axis{_cannot(axis)}")
            elif hit:
                relation = PART
                reason = f"the {axis} axis is built from {hit}, the same benchmark as {label}"
            elif (bench["source"], bench["benchmark"], axis) in sharing:
                relation = SHARES
                reason = sharing[(bench["source"], bench["benchmark"], axis)]
            rows.append({"source": bench["source"], "benchmark": bench["benchmark"], "axis": axis,
                         "relation": relation, "reason": reason})
    return pd.DataFrame(rows, columns=OUTPUT)


def _ids(value: object) -> set[str]:
    return {v.lower() for v in str(value or "").split()}


def shared_items(registry: pd.DataFrame, members: pd.DataFrame, axes: Iterable[str]) -> pd.DataFrame:
    """(source, benchmark, axis, reason) for every registry benchmark measured on the same items as a
    component of an axis Benchwatch cannot recompute without it.

    A benchmark's ``shares_items_with`` lists benchmark ids (space separated). The
    components of an upstream axis are its declared parts (``members``, relation
    'part': ECI's benchmarks); the component of ``accuracy`` is the benchmark's own
    ``paired_accuracy`` column. ``pc1`` and ``pc1-joint`` are left to the analysis,
    which recomputes them without the shared component (``left_out``).
    """
    axes = [a for a in dict.fromkeys(axes) if a not in BUILT_AXES]
    if "shares_items_with" not in registry or not axes:
        return pd.DataFrame(columns=SHARED)
    ids = {(r.source, r.column): str(r.benchmark_id or "").lower()
           for r in registry[["source", "column", "benchmark_id"]].itertuples(index=False)}
    names = {(r.source, r.column): r.name or r.column
             for r in registry[["source", "column", "name"]].itertuples(index=False)}
    parts = members[members["relation"] == "part"] if len(members) else members
    declared = registry.assign(shares_items_with=registry["shares_items_with"].fillna("").astype(str).str.strip())
    rows = []
    for bench in declared[declared["shares_items_with"] != ""].itertuples(index=False):
        wanted = _ids(bench.shares_items_with)
        label = names[(bench.source, bench.column)]
        for axis in axes:
            if axis == ACCURACY_AXIS:
                paired = str(getattr(bench, "paired_accuracy", "") or "")
                components = [(bench.source, paired)] if paired else []
            else:
                components = [(r.source, r.column) for r in parts.itertuples(index=False) if r.axis == axis]
            hits = [c for c in components if ids.get(c, "") in wanted]
            if not hits:
                continue
            what = ", ".join(names.get(c, c[1]) for c in hits)
            why = (f"the {axis} axis is {what} itself, so no axis is left without it" if axis == ACCURACY_AXIS
                   else f"the {axis} axis is fitted on {what}{_cannot(axis)}")
            rows.append({"source": bench.source, "benchmark": bench.column, "axis": axis,
                         "reason": f"{label} is measured on the same items as {what}: {why}"})
    return pd.DataFrame(rows, columns=SHARED)


def left_out(loadings: Iterable[str], shares: str, ids: dict[str, str]) -> list[str]:
    """The ``source:column`` loadings of a Benchwatch-built axis measured on the items a target shares
    (its registry ``shares_items_with`` ids): the components to recompute the axis without."""
    wanted = _ids(shares)
    return [c for c in loadings if ids.get(c, "").lower() in wanted]


def capability_columns(registry: pd.DataFrame, axis: str, sources: Iterable[str] | None = None) -> pd.DataFrame:
    """``axis_columns`` for a PC1 axis: the registry's capability columns (of ``sources``, or all).

    For a benchmark scored outside the analysis (``benchwatch check``): a
    capability benchmark correlated with a PC1 built from the same benchmark
    is part of that axis unless the PC1 is recomputed without it.
    """
    rows = registry[registry["category"] == "capability"]
    if sources is not None:
        rows = rows[rows["source"].isin(list(sources))]
    return pd.DataFrame({"axis": axis, "source": rows["source"], "column": rows["column"],
                         "benchmark_id": rows["benchmark_id"]}).reset_index(drop=True)


def annotate(correlations: pd.DataFrame, classes: pd.DataFrame) -> pd.DataFrame:
    """Correlation rows with ``relation`` and ``relation_reason``.

    A row that already carries a reason (the analysis recomputed the axis
    without the benchmark, ``analysis.cross``) stays independent with it.
    """
    if correlations.empty:
        return correlations.assign(relation=pd.Series(dtype=object), relation_reason=pd.Series(dtype=object))
    keys = ["source", "benchmark", "axis"]
    merged = correlations.drop(columns=["relation"], errors="ignore").merge(
        classes[[*keys, "relation", "reason"]], on=keys, how="left")
    merged["relation"] = merged["relation"].fillna(INDEPENDENT)
    own = merged["relation_reason"] if "relation_reason" in merged else pd.Series(None, index=merged.index)
    recomputed = own.notna() & (own.astype(str) != "")
    merged.loc[recomputed, "relation"] = INDEPENDENT
    merged["relation_reason"] = own.where(recomputed, merged["reason"]).fillna("")
    return merged.drop(columns=["reason"])


def same_benchmark(loadings: Iterable[str], target_id: str | None, ids: dict[str, str]) -> list[str]:
    """The ``source:column`` loadings that are the same benchmark as the target (by canonical id)."""
    if not target_id:
        return []
    return [c for c in loadings if ids.get(c, "").lower() == target_id.lower()]
