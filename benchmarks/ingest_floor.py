"""Figure 3: a full replay of every recorded source against the I/O floor.

Replay: a fresh database, every source's recorded snapshots read, parsed and
written as the refresh does (``pipeline.ingest_source``: one transaction per
snapshot, revisions, models, fetch log), no analysis. Floor: DuckDB alone
reading the same files into tables of a fresh database (``read_csv`` /
``read_json``, one table per file). Also timed: the sources' parsing alone,
so the rest is the cost of writing. Best of ``--repeat`` runs of each.

    python benchmarks/ingest_floor.py [--repeat 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
from common import Figure, default_replay_dir, emit, replay_database

# The files each source's replay reads (one table each for the floor).
RECORDED = {
    "safetywashing-paper": ["safetywashing/benchmarks_base_models.csv", "safetywashing/benchmarks_chat_models.csv"],
    "open-llm-leaderboard-v1": ["open-llm-leaderboard-v1/*.csv"],
    "open-llm-leaderboard-v2": ["open-llm-leaderboard-v2/snapshots/*.csv"],
    "helm-safety": ["helm-safety/helm_safety_release_snapshots_long.csv"],
    "helm-capabilities": ["helm-capabilities/*.json"],
    "lmarena": ["lmarena/snapshots_index.csv", "lmarena/snapshots/*.csv",
                "lmarena/elo_history_overall_text_wide.csv", "lmarena/lmarena_text_overall_2025-08-04.csv"],
    "epoch": ["epoch/benchmark_data_*/**/*.csv"],
}


def recorded_files(data: Path) -> list[Path]:
    return sorted({path for patterns in RECORDED.values() for pattern in patterns
                   for path in data.glob(pattern) if path.is_file()})


def floor_seconds(files: list[Path], db: Path) -> float:
    """DuckDB reading every file into its own table, then a checkpoint."""
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    start = time.perf_counter()
    for k, path in enumerate(files):
        reader = "read_json" if path.suffix == ".json" else "read_csv"
        con.execute(f"CREATE TABLE file_{k} AS SELECT * FROM {reader}(?)", [str(path)])
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - start
    con.close()
    return seconds


def parse_seconds(data: Path) -> float:
    """Every source's snapshots read and parsed, nothing written."""
    from benchwatch.sources import SOURCES, build

    start = time.perf_counter()
    for name in SOURCES:
        source = build(name)
        for snapshot in source.replay(data):
            source.parse(snapshot)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    data = default_replay_dir()
    files = recorded_files(data)
    size = sum(p.stat().st_size for p in files) / 2**20
    floors, replays, parses = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            floors.append(floor_seconds(files, Path(tmp) / "floor.duckdb"))
            start = time.perf_counter()
            per_source = replay_database(Path(tmp) / "replay.duckdb", data)
            replays.append((time.perf_counter() - start, per_source))
            parses.append(parse_seconds(data))
    floor, parse = min(floors), min(parses)
    replay, per_source = min(replays, key=lambda r: r[0])
    print(f"{len(files)} recorded files, {size:.1f} MiB; replay per source (s): "
          + ", ".join(f"{k} {v:.2f}" for k, v in per_source.items()))
    emit("3. Full replay into a fresh database vs DuckDB reading the same files", [
        Figure("full replay of every source (parse + write)", replay, "s", peer=floor,
               peer_name="DuckDB read_csv/read_json floor", ratio=replay / floor, target="<= 3x the floor",
               met=replay <= 3 * floor),
        Figure("  of which parsing (sources/, pandas)", parse, "s"),
        Figure("  of which writing (storage/, DuckDB)", replay - parse, "s"),
    ])


if __name__ == "__main__":
    main()
