"""Epoch's ZIP in the layout served since mid-2026, re-packed from a recorded (old-layout) folder.

No new-layout ZIP could be recorded, so this builds one from the documented columns
(``../shared/data/epoch/current-layout/SOURCE.md``) and the recorded rows:

- the benchmark CSVs as recorded, at the top level;
- ``benchmark_metadata.csv``: one row per recorded benchmark file. ``benchmark`` and ``in_eci``
  come from Epoch's own ECI fit of April 2026 (``additional_eci_data/eci_benchmark_difficulties_and_slopes.csv``:
  the 42 benchmarks ECI is fitted on, with their release dates); ``score_column`` is the file's
  headline, ``Best score (across scorers)`` for Epoch's own runs (as independent readers' fixtures
  show); ``scale`` the multiplier to 0-1 (1.0, 0.1, 0.01; blank for Elo, minutes and points); one
  row names no file (Epoch has such rows: no headline score);
- ``model_metadata.csv``: every model version of the recorded index with its group (the index's
  ``Model name``; a name whose versions carry different ECIs, GPT-3.5 Turbo's, is split, each
  version its own group), release date, display name, organisation, accessibility and compute; a
  blank line first, as Epoch's file has;
- ``epoch_capabilities_index/eci_scores.csv``: one row per group with an ECI. The interval is the
  real one's shape: each group's distance from ``eci_ci_low`` / ``eci_ci_high`` to ``eci`` in the
  recorded 2025-12-19 copy, where the group is in it; blank otherwise (as for the two anchors).

Used by ``tests/sources/test_epoch_current.py`` and the fault matrix (``tests/reliability/wire.py``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from benchwatch.sources.epoch_layouts import TABLES
from tests.paths import DATA_DIR

EPOCH = DATA_DIR / "epoch"
APRIL = EPOCH / "benchmark_data_2026-04-19"
ECI_FIT = APRIL / "additional_eci_data" / "eci_benchmark_difficulties_and_slopes.csv"
RECORDED_ECI = EPOCH / "current-layout" / "eci_scores_2025-12-19.csv"
EPOCH_RUN_SCORE = "Best score (across scorers)"
# Epoch's names in its ECI fit -> the file each is read from.
FIT_FILES = {
    "LAMBADA": "lambada_external", "TriviaQA": "trivia_qa_external", "PIQA": "piqa_external",
    "HellaSwag": "hella_swag_external", "VideoMME": "video_mme_external", "OpenBookQA": "open_book_qa_external",
    "ARC AI2": "arc_ai2_external", "GSM8K": "gsm8k_external", "Lech Mazur Writing": "lech_mazur_writing_external",
    "MMLU": "mmlu_external", "Winogrande": "wino_grande_external", "ScienceQA": "science_qa_external",
    "BBH": "bbh_external", "GeoBench": "geobench_external", "MATH level 5": "math_level_5",
    "ANLI": "adversarial_nli_external", "Fiction.LiveBench": "fictionlivebench_external",
    "GPQA diamond": "gpqa_diamond", "SWE-Bench verified": "swe_bench_verified",
    "OTIS Mock AIME 2024-2025": "otis_mock_aime_2024_2025", "Aider polyglot": "aider_polyglot_external",
    "CadEval": "cad_eval_external", "WeirdML": "weirdml_external", "ARC-AGI": "arc_agi_external",
    "Cybench": "cybench_external", "OSWorld": "os_world_external",
    "DeepResearch Bench": "deepresearchbench_external", "The Agent Company": "the_agent_company_external",
    "Terminal Bench": "terminalbench_external", "SimpleBench": "simplebench_external", "VPCT": "vpct_external",
    "SimpleQA Verified": "simpleqa_verified", "CSQA2": "common_sense_qa_2_external",
    "ARC-AGI-2": "arc_agi_2_external", "Balrog": "balrog_external",
    "FrontierMath-2025-02-28-Private": "frontiermath", "Chess Puzzles": "chess_puzzles", "HLE": "hle_external",
    "GSO-Bench": "gso_external", "APEX-Agents": "apex_agents_external",
    "FrontierMath-Tier-4-2025-07-01-Private": "frontiermath_tier_4", "PostTrainBench": "posttrainbench_external",
}
# Benchmarks outside the ECI fit, by the names Epoch's hub uses.
OTHER_NAMES = {
    "bool_q_external": "BoolQ", "gdpval_external": "GDPval", "live_bench_external": "LiveBench",
    "metr_time_horizons_external": "METR Time Horizons", "superglue_external": "SuperGLUE",
    "swe_bench_bash": "SWE-bench Bash Only", "webdev_arena_external": "WebDev Arena",
}
SCALES = {"0-100": "0.01", "0-10": "0.1", "0-1": "1.0"}


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def benchmark_metadata(stems: list[str], scales: Mapping[str, str]) -> pd.DataFrame:
    """One row per benchmark file, plus one row that names no file."""
    fit = pd.read_csv(ECI_FIT, dtype=str, keep_default_na=False)
    released = dict(zip(fit["benchmark_name"].map(FIT_FILES), fit["benchmark_release_date"], strict=True))
    names = {**OTHER_NAMES, **{stem: name for name, stem in FIT_FILES.items()}}
    rows = []
    for stem in stems:
        score = TABLES[stem].score
        rows.append({
            "benchmark": names[stem], "in_eci": str(stem in set(FIT_FILES.values())),
            "source_file": f"{stem}.csv", "score_column": EPOCH_RUN_SCORE if score == "mean_score" else score,
            "scale": SCALES.get(scales.get(stem, ""), ""), "random_baseline": "", "score_ceiling": "1.0",
            "release_date": released.get(stem, ""), "superseded_by": "",
        })
    rows.append({"benchmark": "Epoch Capabilities Index inputs", "in_eci": "False", "source_file": "",
                 "score_column": "", "scale": "", "random_baseline": "", "score_ceiling": "", "release_date": "",
                 "superseded_by": ""})
    return pd.DataFrame(rows)


def model_metadata(index: pd.DataFrame) -> pd.DataFrame:
    """Versions to groups: the index's model name, split where its versions disagree on ECI."""
    version = index["Model version"].str.strip()
    name = index["Model name"].str.strip()
    eci = pd.to_numeric(index["ECI Score"], errors="coerce")
    disagree = eci.groupby(name).transform("nunique") > 1
    group = name.where((name != "") & ~disagree, index["Display name"].str.strip().where(
        index["Display name"].str.strip() != "", version))
    frame = pd.DataFrame({
        "model_version": version, "model_group": group, "date": index["Release date"],
        "display_name": index["Display name"], "organization": index["Organization"],
        "country": index["Country"], "accessibility": index["Model accessibility"],
        "training_compute_flop": index["Training compute (FLOP)"],
    })
    blank = pd.DataFrame([dict.fromkeys(frame.columns, "")])
    return pd.concat([blank, frame], ignore_index=True)


def eci_scores(index: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """One row per group with an ECI; the interval's shape from the recorded 2025-12-19 copy."""
    joined = index.assign(model_group=groups["model_group"].iloc[1:].to_numpy(),
                          eci=pd.to_numeric(index["ECI Score"], errors="coerce"))
    scored = joined[joined["eci"].notna()].drop_duplicates("model_group")
    recorded = pd.read_csv(RECORDED_ECI).set_index("Model")
    low = scored["model_group"].map(recorded["eci"] - recorded["eci_ci_low"])
    high = scored["model_group"].map(recorded["eci_ci_high"] - recorded["eci"])
    return pd.DataFrame({
        "Model": scored["model_group"], "Display name": scored["model_group"], "eci": scored["eci"],
        "eci_ci_low": scored["eci"] - low, "eci_ci_high": scored["eci"] + high,
        "date": scored["Release date"], "Organization": scored["Organization"],
        "Country (of organization)": scored["Country"], "Model accessibility": scored["Model accessibility"],
        "Accessibility group": "", "model_versions": "",
    })


def current_layout(folder: Path = APRIL, scales: Mapping[str, str] | None = None) -> dict[str, bytes]:
    """The files of a current-layout ZIP holding ``folder``'s rows (``scales``: registry scale per stem)."""
    if scales is None:
        from benchwatch.sources.epoch import registry_scales
        scales = registry_scales()
    stems = sorted(p.stem for p in folder.glob("*.csv") if p.stem in TABLES)
    index = pd.read_csv(folder / "epoch_capabilities_index.csv", dtype=str, keep_default_na=False)
    groups = model_metadata(index)
    files = {f"{stem}.csv": (folder / f"{stem}.csv").read_bytes() for stem in stems}
    files["README.md"] = (folder / "README.md").read_bytes()
    files["benchmark_metadata.csv"] = _csv(benchmark_metadata(stems, scales))
    files["model_metadata.csv"] = _csv(groups)
    files["epoch_capabilities_index/eci_scores.csv"] = _csv(eci_scores(index, groups))
    return files


def read(files: Mapping[str, bytes], name: str) -> pd.DataFrame:
    """A built file back as a frame (for tests that edit one)."""
    return pd.read_csv(io.BytesIO(files[name]), dtype=str, keep_default_na=False)
