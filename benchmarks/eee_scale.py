"""Figure 13: the whole Every Eval Ever datastore at its real size, read through its manifests.

A datastore of N models x B benchmarks x R records is generated on disk
(``tests/eee_datastore.write_scale_datastore``: records in the shape of the
recorded examples at schema 0.3.0, each collection up to four benchmarks, with
the manifests the datastore publishes) and served on 127.0.0.1 by Python's own
``http.server`` in its own process (it answers ``If-Modified-Since`` with 304,
as the Hub answers ``If-None-Match``). Three refreshes, each in a fresh process
so its peak memory (``ru_maxrss``) is its own, on one database:

- a first full ingest (every record fetched, checked against its sha256 and the
  schema, archived and written);
- an unchanged refresh (the manifest unchanged: one conditional request);
- a 1% change (1% of the records replaced by rescored ones: only those fetched).

The peer of the first ingest is DuckDB's own ``read_json`` of the same record
files from disk, unnested to one row per result (no HTTP, no checks, no
history), timed in wall and CPU seconds. Requests are counted from the server's
log. The schema check is timed apart on a sample of the same records, in the
same run: ``jsonschema`` alone (the check before) against the check a fetch
runs (``jsonschema-rs`` first), with the share of records each refused (equal).
Progress goes to stderr as each step ends, so a run cut short says how far it got. The real datastore
(Evaluation Cards, arXiv 2606.09809): 5,816 models, 635 benchmarks, 101,843
results; the point here is 6,000 x 650 x 100,000, and ``--scale 3`` adds 3x.

    python benchmarks/eee_scale.py [--records 100000] [--scale 1 3]   (--scale 3: the 3x point alone)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, Figure, emit, peak_rss_mib

sys.path.insert(0, str(REPO))  # tests/ (the datastore generator)

GIB = 1024.0
ROOT = "huggingface.co/datasets/evaleval/EEE_datastore/resolve/main"
CHANGE_SHARE = 0.01


def refresh(db: Path, home: Path, url: str) -> dict:
    """In the child: one live refresh of the source; time, memory, what it wrote."""
    from benchwatch.pipeline.ingest import ingest_source
    from benchwatch.settings import load_settings
    from benchwatch.sources.http import HttpClient
    from benchwatch.storage.db import connect

    settings = load_settings(db=db, home=home, archive_dir=home / "archive", upstream_base=url,
                             eee_collections=[], http_retries=0)
    con = connect(db)
    wall, cpu = time.perf_counter(), time.process_time()
    with HttpClient(retries=0) as http:
        report = ingest_source(con, "every-eval-ever", settings, mode="live", http=http)
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    values = con.execute("SELECT count(*) FROM observations WHERE valid_to IS NULL").fetchone()[0]
    con.close()
    return {"status": report.status, "error": report.error, "seconds": seconds, "cpu_seconds": cpu_seconds,
            "peak_mib": peak_rss_mib(), "added": report.rows_added, "revised": report.rows_revised,
            "current_values": values}


def duckdb_floor(base: Path) -> dict:
    """In the child: DuckDB's read_json of every record file, one row per result."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    wall, cpu = time.perf_counter(), time.process_time()
    rows = con.execute(
        f"""
        SELECT count(*) FROM (
            SELECT model_info.id AS model, unnest(evaluation_results) AS result
            FROM read_json('{base}/flat/objects/*/*/*.json', format = 'auto'))
        """).fetchone()[0]
    return {"seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu,
            "peak_mib": peak_rss_mib(), "rows": rows}


def schema_check(base: Path, sample: int) -> dict:
    """In the child: CPU seconds a record of the schema check, reference (``jsonschema``) and as
    fetched (``jsonschema-rs`` first), on the same records parsed once."""
    from benchwatch.sources.eee_records import RecordError, check_record, load_json, reference_check

    paths = sorted((base / "flat/objects").glob("*/*/*.json"))
    picked = random.Random(0).sample(paths, min(sample, len(paths)))
    records = [load_json(p.read_bytes()) for p in picked]
    out = {"records": len(records)}
    for label, check in (("reference", reference_check), ("fetch", check_record)):
        check(records[0], "warm-up")
        cpu, refused = time.process_time(), 0
        for record in records:
            try:
                check(record, "r")
            except RecordError:
                refused += 1
        out[label] = (time.process_time() - cpu) / len(records) * 1e3
        out[f"{label}_refused"] = refused
    return out


def child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                         cwd=Path(__file__).parent)
    if out.returncode:
        raise SystemExit(f"{' '.join(args[:1])} failed: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python -m http.server`` on the datastore folder; its log counts the requests."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.log = folder.parent / f"server-{self.port}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1", "--directory", str(folder)],
            stdout=subprocess.DEVNULL, stderr=self.log.open("w"))
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        self.seen = 0

    def requests(self) -> tuple[int, int, int]:
        """Since the last call: (requests, record objects fetched, 304 answers)."""
        lines = self.log.read_text(errors="replace").splitlines()
        new, self.seen = lines[self.seen:], len(lines)
        new = [line for line in new if '"GET ' in line]
        objects = sum(1 for line in new if "/flat/objects/" in line and '" 200 ' in line)
        return len(new), objects, sum(1 for line in new if '" 304 ' in line)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def change(base: Path, lines: dict[str, list[dict]], share: float, seed: int) -> int:
    """Replace ``share`` of the records with rescored ones (new objects, new sha256) and publish."""
    from tests.eee_datastore import publish_scale, write_scale_record

    rng = random.Random(seed)
    everything = [(c, k) for c in sorted(lines) for k in range(len(lines[c]))]
    picked = rng.sample(everything, int(len(everything) * share))
    for collection, k in picked:
        old = json.loads((base / lines[collection][k]["object_path"]).read_text())
        keys = [r["evaluation_name"] for r in old["evaluation_results"]]
        lines[collection][k] = write_scale_record(base, old["model_info"]["id"], collection, keys, rng,
                                                  int(old["retrieved_timestamp"]) + 86_400, "2026-11-02")
    publish_scale(base, lines, "2026-11-02T06:00:00Z")
    manifest = base / "flat/latest_manifest.json"
    later = time.time() + 5  # Last-Modified has one-second resolution
    os.utime(manifest, (later, later))
    return len(picked)


def point(models: int, benchmarks: int, records: int, work: Path) -> dict:
    from tests.eee_datastore import write_scale_datastore

    folder = work / f"datastore-{records}"
    wall = time.perf_counter()
    lines = write_scale_datastore(folder, models, benchmarks, records)
    generated = time.perf_counter() - wall
    progress(f"{records:,} records generated", {"seconds": generated})
    base = folder / ROOT
    db, home = work / f"bw-{records}.duckdb", work / f"home-{records}"
    home.mkdir()
    checks = progress("schema check", child("--schema-check", str(base)))
    floor = progress("read_json", child("--floor", str(base)))
    server = Server(folder)
    try:
        first = child("--refresh", str(db), str(home), server.url)
        first["requests"], first["objects"], _ = server.requests()
        progress("first ingest", first)
        same = child("--refresh", str(db), str(home), server.url)
        same["requests"], same["objects"], same["not_modified"] = server.requests()
        progress("unchanged refresh", same)
        changed = change(base, lines, CHANGE_SHARE, seed=1)
        moved = child("--refresh", str(db), str(home), server.url)
        moved["requests"], moved["objects"], _ = server.requests()
        progress("1% change", moved)
    finally:
        server.stop()
    return {"models": models, "benchmarks": benchmarks, "records": records, "generated_s": generated,
            "checks": checks, "floor": floor, "first": first, "unchanged": same, "changed_records": changed,
            "change": moved}


def progress(step: str, result: dict) -> dict:
    """A step's figures on stderr as it ends, with the time and load (a run cut short still says them)."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())} UTC, load {load}] {step}: {json.dumps(result)}",
          file=sys.stderr, flush=True)
    return result


def figures(r: dict) -> list[Figure]:
    first, same, moved, floor, checks = r["first"], r["unchanged"], r["change"], r["floor"], r["checks"]
    label = f"{r['models']:,} models x {r['benchmarks']} benchmarks x {r['records']:,} records"
    return [
        Figure(f"{label}: first full ingest ({first['objects']:,} records fetched), wall; DuckDB read_json",
               first["seconds"], "s", peer=floor["seconds"], peer_name="read_json",
               ratio=first["seconds"] / floor["seconds"], target="<= 3x read_json",
               met=first["seconds"] <= 3 * floor["seconds"]),
        Figure("  first ingest, CPU; read_json's CPU", first["cpu_seconds"], "s", peer=floor["cpu_seconds"],
               peer_name="read_json CPU", ratio=first["cpu_seconds"] / floor["cpu_seconds"]),
        Figure(f"  schema check, CPU ms a record ({checks['records']:,} records; refused "
               f"{checks['fetch_refused']} vs {checks['reference_refused']}); jsonschema alone",
               checks["fetch"], "ms", peer=checks["reference"], peer_name="jsonschema",
               ratio=checks["reference"] / checks["fetch"], target="same records refused",
               met=checks["fetch_refused"] == checks["reference_refused"]),
        Figure("  first ingest, peak memory", first["peak_mib"], "MiB", peer=floor["peak_mib"],
               peer_name="read_json", target="< 2048 MiB", met=first["peak_mib"] < 2 * GIB),
        Figure(f"  values stored ({floor['rows']:,} results in the files)", first["current_values"], ""),
        Figure(f"  unchanged refresh ({same['requests']} request(s), {same['not_modified']} answered 304)",
               same["seconds"], "s", target="one conditional request", met=same["requests"] == 1),
        Figure("  unchanged refresh, peak memory", same["peak_mib"], "MiB", target="< 2048 MiB",
               met=same["peak_mib"] < 2 * GIB),
        Figure(f"  1% change: {moved['objects']:,} records fetched of {r['changed_records']:,} changed "
               f"({moved['requests']} requests)", moved["seconds"], "s",
               target="fetches the 1% only", met=moved["objects"] == r["changed_records"]),
        Figure("  1% change, peak memory", moved["peak_mib"], "MiB", target="< 2048 MiB",
               met=moved["peak_mib"] < 2 * GIB),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--refresh", nargs=3, metavar=("DB", "HOME", "URL"))
    parser.add_argument("--floor", metavar="DATASTORE")
    parser.add_argument("--schema-check", metavar="DATASTORE")
    parser.add_argument("--sample", type=int, default=2_000, help="records the schema check is timed on")
    parser.add_argument("--models", type=int, default=6_000)
    parser.add_argument("--benchmarks", type=int, default=650)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--scale", type=int, nargs="*", default=[1],
                        help="multiples of the point to run (3: also the 3x point)")
    args = parser.parse_args()
    if args.refresh:
        print(json.dumps(refresh(Path(args.refresh[0]), Path(args.refresh[1]), args.refresh[2])))
        return
    if args.floor:
        print(json.dumps(duckdb_floor(Path(args.floor))))
        return
    if args.schema_check:
        print(json.dumps(schema_check(Path(args.schema_check), args.sample)))
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="benchwatch-eee-scale-") as tmp:
        for k in sorted(set(args.scale)):
            r = point(args.models * k, args.benchmarks * k, args.records * k, Path(tmp))
            print(json.dumps(r), file=sys.stderr, flush=True)
            results.append(r)
    emit("13. The whole Every Eval Ever datastore through its manifests (loopback, real size)",
         [f for r in results for f in figures(r)])


if __name__ == "__main__":
    main()
