"""Figure: `benchwatch publish` on the full replay: seconds, and MiB of the site it writes.

A first publish into an empty folder (a new release: pages, data release, JSON API, feeds),
then a second on the same database (nothing new: no release, no byte written). Without
``--db`` a full replay is refreshed and analysed first (not timed).

    python benchmarks/publish_size.py [--db PATH] [--resamples N]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import Figure, emit, stopwatch

MIB = 1024 * 1024


def size(root: Path) -> tuple[float, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / MIB, len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, help="an analysed database (its published copy is read)")
    parser.add_argument("--resamples", type=int, default=200, help="bootstrap resamples of the replay built")
    args = parser.parse_args()

    from benchwatch.pipeline.refresh import refresh
    from benchwatch.publish.build import publish
    from benchwatch.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="benchwatch-publish-") as scratch:
        db = args.db or Path(scratch) / "replay.duckdb"
        settings = load_settings(db=db, bootstrap_resamples=args.resamples)
        if args.db is None:
            refresh(settings)
        site = Path(scratch) / "site"
        with stopwatch() as first:
            done = publish(settings, str(site))
        site_mib, files = size(site)
        release_mib, _ = size(site / "releases" / done.release)
        with stopwatch() as second:
            again = publish(settings, str(site))
    emit("benchwatch publish on the full replay", [
        Figure("first publish (new release), wall", first["wall"], "s"),
        Figure("first publish, CPU", first["cpu"], "s"),
        Figure("site size", site_mib, "MiB"),
        Figure("files in the site", files, "files"),
        Figure("of it, the release folder (also copied to latest/)", release_mib, "MiB"),
        Figure("second publish (nothing new), wall", second["wall"], "s"),
        Figure("files written by the second publish", len(again.written), "files"),
    ])


if __name__ == "__main__":
    main()
