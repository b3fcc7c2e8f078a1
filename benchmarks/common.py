"""What every benchmark script shares: figures, the machine, a replay database.

Each script prints its figures as a table for a person and, last, one line
``FIGURES <json>`` that ``run_all.py`` collects. Benchmarks print numbers;
they never assert on time (tests do not time anything either).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MARKER = "FIGURES "


@dataclass
class Figure:
    """One measured number, its peer where there is one, and the target it answers."""

    name: str
    value: float
    unit: str
    peer: float | None = None
    peer_name: str = ""
    # How the value compares with its peer, in the direction the target states
    # (a speed-up: peer / value; a multiple of a floor: value / peer).
    ratio: float | None = None
    target: str = ""
    met: bool | None = None


def machine() -> str:
    """One line naming the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores ({cpu}), "
            f"Python {platform.python_version()}, load average {load} (1, 5, 15 min)")


@contextmanager
def stopwatch() -> Iterator[dict[str, float]]:
    """Wall and CPU seconds of the block (CPU counts every thread of the process)."""
    out: dict[str, float] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield out
    finally:
        out["wall"] = time.perf_counter() - wall
        out["cpu"] = time.process_time() - cpu


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(title: str, figures: list[Figure]) -> None:
    """Print the figures for a person, then the machine-readable line for run_all."""
    print(f"\n{title}  [{machine()}]")
    print(table(figures))
    print(MARKER + json.dumps([asdict(f) for f in figures]))
    sys.stdout.flush()


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return ""
    if unit == "s":
        return f"{value:.3g} s" if value < 100 else f"{value:.0f} s"
    if unit in ("", "x"):
        return f"{value:.3g}"
    return f"{value:.4g} {unit}"


def table(figures: list[Figure] | list[dict]) -> str:
    """A plain-text table: figure, value, peer, ratio, target, met."""
    rows = [["figure", "value", "peer", "ratio", "target", "met"]]
    for f in figures:
        f = {"unit": "", "peer": None, "peer_name": "", "ratio": None, "target": "", "met": None} | (
            f if isinstance(f, dict) else asdict(f))
        peer = f"{fmt(f['peer'], f['unit'])} ({f['peer_name']})" if f["peer"] is not None else ""
        ratio = f"{f['ratio']:.3g}x" if f["ratio"] is not None else ""
        met = "" if f["met"] is None else ("yes" if f["met"] else "NO")
        rows.append([str(f["name"]), fmt(f["value"], f["unit"]), peer, ratio, str(f["target"]), met])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def replay_database(path: Path, replay_dir: Path | None = None) -> dict[str, float]:
    """A fresh database holding a full replay of every recorded source (no analysis), written
    by the refresh use case with each source's ingest timed.

    Returns the seconds each source took (parse and write), for the ingest figure.
    """
    from benchwatch.pipeline.ingest import ingest_source
    from benchwatch.pipeline.refresh import Hooks, refresh
    from benchwatch.settings import load_settings

    for stale in (path, Path(str(path) + ".wal")):
        stale.unlink(missing_ok=True)
    overrides = {"db": path, "replay_dir": replay_dir or default_replay_dir()}
    settings = load_settings(**overrides)
    seconds = {}

    def timed_ingest(con, name, *args, **kwargs):
        start = time.perf_counter()
        report = ingest_source(con, name, *args, **kwargs)
        seconds[name] = time.perf_counter() - start
        return report

    result = refresh(settings, analyze=False, hooks=Hooks(ingest=timed_ingest))
    if result.failed:
        raise RuntimeError(f"replay failed: {[(r.source, r.error) for r in result.failed]}")
    return seconds


def analyze_and_publish(path: Path, resamples: int | None = None) -> None:
    """Add what a refresh adds after ingest: an analysis run (the settings' resamples unless given),
    alerts, the published copy."""
    from benchwatch.pipeline.refresh import refresh
    from benchwatch.settings import load_settings

    overrides = {} if resamples is None else {"bootstrap_resamples": resamples}
    refresh(load_settings(db=path, **overrides), [], force=True)


def add_synthetic_models(path: Path, factor: int, seed: int = 0) -> dict[str, int]:
    """Make every source ``factor`` times larger in models, through the storage layer.

    Each current model gets ``factor - 1`` synthetic siblings (``<model> ~synthetic k``)
    with the same benchmarks, dates and model set, and values moved by noise of
    a third of the benchmark's spread, kept on its published scale; written as
    one snapshot per source. Returns the models per source afterwards.
    """
    import numpy as np
    import pandas as pd

    from benchwatch.records import ParsedBatch, Snapshot
    from benchwatch.registry import load_registry
    from benchwatch.sources import SOURCES
    from benchwatch.sources.base import SCALE_BOUNDS
    from benchwatch.storage import observations as obs
    from benchwatch.storage.db import connect, utcnow

    rng = np.random.default_rng(seed)
    registry = load_registry()
    con = connect(path)
    models = {}
    for name in SOURCES:
        current = obs.history_frame(con, name)
        current = current[current["valid_to"].isna()]
        scales = dict(registry.loc[registry["source"] == name, ["column", "scale"]].itertuples(index=False))
        spread = current.groupby("benchmark")["value"].transform("std").fillna(0).to_numpy()
        low = current["benchmark"].map(lambda b: SCALE_BOUNDS.get(scales.get(b, ""), (-np.inf, np.inf))[0])
        high = current["benchmark"].map(lambda b: SCALE_BOUNDS.get(scales.get(b, ""), (-np.inf, np.inf))[1])
        copies = []
        for k in range(1, factor):
            copy = current.assign(model=current["model"] + f" ~synthetic {k}")
            noisy = copy["value"].to_numpy() + rng.normal(0, 1, len(copy)) * spread / 3
            copies.append(copy.assign(value=np.clip(noisy, low.to_numpy(float), high.to_numpy(float))))
        rows = pd.concat(copies, ignore_index=True)
        observed = rows["valid_from"].max()
        snapshot = Snapshot(name, f"synthetic x{factor}", observed.to_pydatetime(), "synthetic",
                            {"synthetic": f"{name} x{factor} seed {seed}".encode()})
        batch = ParsedBatch(
            rows[["model", "benchmark", "value"]].assign(observed_at=rows["valid_from"]),
            rows.drop_duplicates("model")[["model", "model_set", "model_type"]].assign(
                display_name=lambda f: f["model"]),
        )
        obs.ingest_many(con, name, [obs.Pending(snapshot, batch, utcnow())])
        models[name] = int(current["model"].nunique()) * factor
    con.execute("CHECKPOINT")
    con.close()
    return models


def default_replay_dir() -> Path:
    """The recorded snapshots: the settings' ``replay_dir`` where one is set or found from the
    working folder, else the shared data beside this checkout, from whichever folder a script runs."""
    from benchwatch.settings import NO_REPLAY_DATA, REPLAY_CANDIDATES, load_settings

    beside = [(REPO / c).resolve() for c in REPLAY_CANDIDATES if (REPO / c / "safetywashing").is_dir()]
    found = load_settings().replay_dir or (beside[0] if beside else None)
    if found is None:
        raise SystemExit(NO_REPLAY_DATA)
    return Path(found)
