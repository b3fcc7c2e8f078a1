"""Epoch's two ZIP layouts: which one a payload is, and what to read from which file.

- **old** (recorded folders, up to spring 2026): a top-level ``epoch_capabilities_index.csv``
  keyed by model version (ECI, release date, training compute), and one CSV per benchmark.
  Which column of a file is its headline score is not published: the hand-kept ``TABLES``.
- **current** (since mid-2026; ``../shared/data/epoch/current-layout/SOURCE.md``):
  ``benchmark_metadata.csv`` names each benchmark's file, headline column, scale (a multiplier
  to 0-1), ``in_eci`` and ``superseded_by``; ``model_metadata.csv`` maps model versions to
  model groups and carries training compute; ``epoch_capabilities_index/eci_scores.csv`` gives
  ECI with its interval per model group. Where the metadata speaks it is used, not ``TABLES``.

The layout is told by the payload's entries, so a replay of an old folder and a live ZIP in
either layout go through the same code. Pure: bytes and frames in, frames out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

import pandas as pd

OLD, CURRENT = "old", "current"
OLD_INDEX = "epoch_capabilities_index.csv"
BENCHMARK_METADATA = "benchmark_metadata.csv"
MODEL_METADATA = "model_metadata.csv"
ECI_FOLDER = "epoch_capabilities_index"
ECI_SCORES = f"{ECI_FOLDER}/eci_scores.csv"
ECI_KEY, ECI_LOW_KEY, ECI_HIGH_KEY = "eci", "eci_ci_low", "eci_ci_high"
METADATA_COLUMNS = ["benchmark", "source_file", "score_column"]
MODEL_METADATA_COLUMNS = ["model_version", "model_group"]
ECI_COLUMNS = ["Model", "eci"]
EPOCH_RUN = "Started at"  # Epoch's own evaluations: when the run started


@dataclass(frozen=True)
class Table:
    """How to read one of Epoch's CSVs in the old layout: its headline score and its row date."""

    score: str
    dated_by: str | None = None


TABLES: dict[str, Table] = {
    "adversarial_nli_external": Table("Score"),
    "aider_polyglot_external": Table("Percent correct", "Date of evaluation"),
    "apex_agents_external": Table("Pass@1 score"),
    "arc_agi_2_external": Table("Score"),
    "arc_agi_external": Table("Score"),
    "arc_ai2_external": Table("Challenge score"),
    "balrog_external": Table("Average progress", "Date added"),
    "bbh_external": Table("Average"),
    "bool_q_external": Table("Score"),
    "cad_eval_external": Table("Overall pass (%)"),
    "chess_puzzles": Table("mean_score", EPOCH_RUN),
    "common_sense_qa_2_external": Table("Score"),
    "cybench_external": Table("Unguided % Solved"),
    "deepresearchbench_external": Table("Average score"),
    "fictionlivebench_external": Table("120k token score"),
    "frontiermath": Table("mean_score", EPOCH_RUN),
    "frontiermath_tier_4": Table("mean_score", EPOCH_RUN),
    "gdpval_external": Table("Win Rate (%)"),
    "geobench_external": Table("ACW Avg Score"),
    "gpqa_diamond": Table("mean_score", EPOCH_RUN),
    "gsm8k_external": Table("EM"),
    "gso_external": Table("Score OPT@1", "Evaluation date"),
    "hella_swag_external": Table("Overall accuracy"),
    "hle_external": Table("Accuracy"),
    "lambada_external": Table("Score"),
    "lech_mazur_writing_external": Table("Mean score"),
    "live_bench_external": Table("Global average"),
    "math_level_5": Table("mean_score", EPOCH_RUN),
    "metr_time_horizons_external": Table("Time horizon"),
    "mmlu_external": Table("EM"),
    "open_book_qa_external": Table("Accuracy"),
    "os_world_external": Table("Score", "Date added"),
    "otis_mock_aime_2024_2025": Table("mean_score", EPOCH_RUN),
    "piqa_external": Table("Score"),
    "posttrainbench_external": Table("Average (%)"),
    "science_qa_external": Table("Score"),
    "simplebench_external": Table("Score (AVG@5)"),
    "simpleqa_verified": Table("mean_score", EPOCH_RUN),
    "superglue_external": Table("Score"),
    "swe_bench_bash": Table("% Resolved", "Date run"),
    "swe_bench_verified": Table("mean_score", EPOCH_RUN),
    "terminalbench_external": Table("Accuracy mean", "Run date"),
    "the_agent_company_external": Table("% Score", "Date"),
    "trivia_qa_external": Table("EM"),
    "video_mme_external": Table("Overall (no subtitles)"),
    "vpct_external": Table("Correct"),
    "webdev_arena_external": Table("Arena Score", "Last updated"),
    "weirdml_external": Table("Accuracy"),
    "wino_grande_external": Table("Accuracy"),
}

# Metrics beside a file's headline score, read in both layouts (Epoch's metadata names one
# headline per benchmark): file stem -> ((column, benchmark key), ...). HLE's calibration error
# is the paper's calibration category, live.
EXTRA_METRICS: dict[str, tuple[tuple[str, str], ...]] = {
    "hle_external": (("Calibration Error", "hle_calibration_error"),),
}


@dataclass(frozen=True)
class Metric:
    """One benchmark read from one file: the stored key, the file's column, its row date."""

    key: str
    file: str  # the stem of the file it is read from
    column: str
    dated_by: str | None = None
    scale: str = ""  # declared by the upstream ("0-1", "0-100"...), "" when it does not say
    upstream_name: str = ""
    in_eci: bool | None = None  # None: the upstream does not say
    superseded_by: str = ""


def detect_layout(names: Iterable[str]) -> str:
    """``current`` when any of the current layout's metadata files is in the payload, else ``old``."""
    paths = [PurePosixPath(n).as_posix() for n in names]
    current = any(p in (BENCHMARK_METADATA, MODEL_METADATA) or p.startswith(f"{ECI_FOLDER}/")
                  for p in paths)
    return CURRENT if current else OLD


def old_metrics(stems: Iterable[str]) -> list[Metric]:
    """The hand-kept table's metrics for the files present (old layout)."""
    metrics = []
    for stem in sorted(set(stems) & set(TABLES)):
        table = TABLES[stem]
        metrics.append(Metric(stem, stem, table.score, table.dated_by))
        metrics += [Metric(key, stem, column, table.dated_by) for column, key in EXTRA_METRICS.get(stem, ())]
    return metrics


def scale_of(multiplier: str) -> str:
    """Epoch's ``scale`` (a multiplier to 0-1) as a published range: 1.0 -> 0-1, 0.01 -> 0-100."""
    try:
        factor = float(multiplier)
    except (TypeError, ValueError):
        return ""
    if factor <= 0:
        return ""
    top = 1 / factor
    return f"0-{top:g}" if abs(top - round(top)) < 1e-9 else ""


def truth(text: str) -> bool | None:
    """``in_eci`` as written ("True", "False", "1", "0", blank) to a flag, None when blank or unknown."""
    word = text.strip().lower()
    return True if word in ("true", "1", "yes") else False if word in ("false", "0", "no") else None


def current_metrics(metadata: pd.DataFrame) -> tuple[list[Metric], list[str]]:
    """``benchmark_metadata.csv`` to metrics, with notes on rows that name no file or column.

    The key stored is the file's stem (as in the old layout, so history continues); a second
    row naming the same file with another column gets ``<stem>:<column>``. The hand-kept
    extra metrics (HLE calibration error) are added for their files.
    """
    metrics: dict[str, Metric] = {}
    notes: list[str] = []
    headless = []
    for row in metadata.to_dict("records"):
        name, file, column = (str(row.get(c, "")).strip() for c in METADATA_COLUMNS)
        if not file or not column:
            headless.append(name or "(unnamed)")
            continue
        stem = PurePosixPath(file).stem
        extra = dict(EXTRA_METRICS.get(stem, ()))
        key = extra.get(column) or (stem if stem not in metrics else f"{stem}:{_slug(column)}")
        if key in metrics:
            notes.append(f"{BENCHMARK_METADATA}: {name!r} repeats {file} column {column!r}: first row kept")
            continue
        dated = TABLES[stem].dated_by if stem in TABLES else None
        metrics[key] = Metric(key, stem, column, dated, scale_of(str(row.get("scale", ""))), name,
                              truth(str(row.get("in_eci", ""))), str(row.get("superseded_by", "")).strip())
    for stem in sorted({m.file for m in metrics.values()}):
        for column, key in EXTRA_METRICS.get(stem, ()):
            if key not in metrics:
                metrics[key] = Metric(key, stem, column, TABLES[stem].dated_by if stem in TABLES else None)
    if headless:
        notes.append(f"{BENCHMARK_METADATA}: {len(headless)} benchmark(s) without a file or score column "
                     f"(no headline score): {', '.join(headless[:10])}")
    return list(metrics.values()), notes


def declared(metrics: Iterable[Metric]) -> pd.DataFrame:
    """What the upstream declared of each metric, in ``ParsedBatch.declared``'s shape."""
    rows = [{"benchmark": m.key, "upstream_name": m.upstream_name or None, "source_file": f"{m.file}.csv",
             "score_column": m.column, "scale": m.scale or None,
             "in_axis": None if m.in_eci is None else (ECI_KEY if m.in_eci else ""),
             "superseded_by": m.superseded_by or None}
            for m in metrics if m.upstream_name]
    return pd.DataFrame(rows, columns=["benchmark", "upstream_name", "source_file", "score_column", "scale",
                                       "in_axis", "superseded_by"])


def model_groups(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``model_metadata.csv``: one row per model version (blank lines and rows without a version
    skipped, and counted), columns model, model_group, release, display_name, organization, flop text."""
    version = frame["model_version"].str.strip()
    kept = frame[version != ""]
    out = pd.DataFrame({
        "model": version[version != ""],
        "model_group": kept["model_group"].str.strip(),
        "release": kept.get("date", pd.Series("", index=kept.index)).str.strip(),
        "display_name": kept.get("display_name", pd.Series("", index=kept.index)).str.strip(),
        "organization": kept.get("organization", pd.Series("", index=kept.index)).str.strip(),
        "flop": kept.get("training_compute_flop", pd.Series("", index=kept.index)).str.strip(),
    }).drop_duplicates("model").reset_index(drop=True)
    return out, int((version == "").sum())


def group_eci(models: pd.DataFrame, scores: pd.DataFrame, eci: Mapping[str, pd.Series]
              ) -> tuple[pd.DataFrame, list[str]]:
    """Every model version gets its group's ECI and interval (keys ``eci``, ``eci_ci_low``,
    ``eci_ci_high``): the old layout did the same (all ten versions of Claude 3.7 Sonnet carried
    one ECI). Groups with a score but no version are named in a note."""
    by_group = pd.DataFrame({"model_group": scores["Model"].str.strip(), **eci})
    by_group = by_group[by_group["model_group"] != ""].drop_duplicates("model_group")
    joined = models[["model", "model_group"]].merge(by_group, on="model_group", how="inner")
    long = joined.melt(id_vars=["model"], value_vars=list(eci), var_name="benchmark", value_name="value")
    orphans = sorted(set(by_group.loc[by_group[ECI_KEY].notna(), "model_group"]) - set(models["model_group"]))
    notes = ([f"{ECI_SCORES}: {len(orphans)} model group(s) with an ECI but no model version in "
              f"{MODEL_METADATA}, not stored: {', '.join(orphans[:10])}"] if orphans else [])
    return long[long["value"].notna()].reset_index(drop=True), notes


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
