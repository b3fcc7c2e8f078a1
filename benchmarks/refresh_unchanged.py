"""Figure 4: a refresh that finds nothing new, against loopback upstreams.

Every source's upstream is played on 127.0.0.1 (``tests/loopback.py``) with
the wire formats the source tests build (``tests/sources/test_*.py``). A
first live refresh fills a fresh database; the second finds everything
unchanged. Counted on the second: the requests (and how many were answered
304 Not Modified), the rows written, and whether the analysis was skipped
(it is when ``data_version`` and the parameters are unchanged).

Timed: the second refresh as plain pipeline functions (what the flow's
tasks call); ``benchwatch refresh --live`` end to end in a fresh process
with no Prefect API configured and a fresh ``PREFECT_HOME`` (what a user
types: imports, the refresh, the printed summary; it runs without Prefect);
and, as its peer, the Prefect flow ``refresh`` in a fresh process, which
starts Prefect's temporary API server first (what the CLI did before, and
what a flow run without a configured API still does). Prefect's temporary
server waits for its own start-up at most
``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS``; on a loaded machine its
start-up took minutes, so the peer allows ten, and a failed child shows its
own error output rather than a bare exit status.

Then the README's first command, ``benchwatch refresh``, in a fresh process
on a fresh home (a full replay of the recorded data, the default resamples,
no Prefect API), and its second run, which finds nothing new: wall seconds,
CPU seconds and peak memory of each process.

    python benchmarks/refresh_unchanged.py [--no-first-command]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from common import REPO, Figure, default_replay_dir, emit

sys.path.insert(0, str(REPO))  # tests/ (loopback server, wire-format builders)

RESAMPLES = 100  # the first refresh analyzes; the figure is about the second, which must not
FIRST_COMMAND_TARGET, UNCHANGED_TARGET = 45.0, 5.0  # seconds on an idle machine (issue 26)
STARTUP_TIMEOUT = "600"  # Prefect's temporary server on a loaded machine: minutes, not its default 20 s
V1_ROWS = 100
EEE_COLLECTIONS = ["hle", "MMLU-Pro"]  # the collections mount_everything serves (the manifest's names)

CHILD = """
import json, sys, time
start = time.perf_counter()
from prefect import flow

@flow
def nothing() -> None:
    return None

nothing()
startup = time.perf_counter() - start
from benchwatch.flows.refresh import refresh
begin = time.perf_counter()
result = refresh(mode="live", db=sys.argv[1], replay_dir=sys.argv[2])
print(json.dumps({"startup": startup, "refresh": time.perf_counter() - begin,
                  "run_id": result.run_id,
                  "statuses": [r.status for r in result.reports]}))
"""


def mount_everything(upstream, data: Path) -> None:
    """Every source's upstream, as the source tests serve it."""
    import pandas as pd

    from benchwatch.sources.helm import HelmSafety
    from benchwatch.sources.open_llm_v1 import RECORDED
    from benchwatch.sources.safetywashing import FILES
    from tests.sources import (
        test_epoch,
        test_helm,
        test_lmarena,
        test_open_llm_v1,
        test_open_llm_v2,
    )
    from tests.eee_datastore import Datastore, hle_record, record_bytes
    from tests.sources.test_safetywashing import RAW

    for name in FILES.values():
        upstream.mount(f"{RAW}/{name}", (data / "safetywashing" / name).read_bytes(), "text/csv")
    rows = pd.read_csv(data / RECORDED)
    rows = rows[~rows["model"].duplicated(keep=False) & rows["type"].notna() & rows["date"].notna()]
    test_open_llm_v1.serve_rows(upstream, rows.iloc[::50].head(V1_ROWS).reset_index(drop=True), sha="v1")
    test_open_llm_v2.serve_parquet(upstream, test_open_llm_v2.parquet_bytes(
        test_open_llm_v2.contents_table(test_open_llm_v2.raw("2025-03-21"))))
    releases = list(HelmSafety().replay(data))
    test_helm.mount_safety(upstream, [s.label.split()[0] for s in releases],
                           {s.label.split()[0]: s.observed_at for s in releases})
    mount_helm_capabilities(upstream, test_helm)
    test_lmarena.serve(upstream, test_lmarena.board_parquet("2025-07-18"))
    test_epoch.serve(upstream, test_epoch.zip_of(test_epoch.folder_files(test_epoch.APRIL)),
                     datetime(2026, 4, 19))
    store = Datastore(upstream)  # Every Eval Ever: the recorded MMLU-Pro record and two HLE records
    store.add_recorded_example()
    store.add("hle", record_bytes(hle_record("openai/gpt-4o", "GPT-4o", 2.7, 89.0, 1777000000)))
    store.add("hle", record_bytes(hle_record("anthropic/claude-3-opus", "Claude 3 Opus", 3.1, 85.5, 1777000000)))
    store.publish()


def mount_helm_capabilities(upstream, test_helm) -> None:
    """HELM Capabilities beside Safety: one index listing both projects."""
    raw = json.loads(test_helm.CAPABILITIES_JSON.read_bytes())["models"]
    headers = [" - ".join(test_helm.CAPABILITY_HEADERS[k]) for k in test_helm.CAPABILITY_HEADERS]
    accuracy = test_helm.helm_table(headers, [(label, [scores.get(k) for k in test_helm.CAPABILITY_HEADERS])
                                              for label, scores in raw.items()])
    index = json.loads(upstream.routes[test_helm.INDEX].body)
    index.append({"title": "Capabilities", "description": "", "id": "capabilities", "releases": ["v1.0.0"]})
    upstream.mount(test_helm.INDEX, test_helm.to_bytes(index))
    upstream.mount(test_helm.release_path("capabilities", "v1.0.0", "summary.json"),
                   test_helm.to_bytes({"release": "v1.0.0", "suites": ["v1.0.0"], "date": "2025-11-25"}))
    upstream.mount(test_helm.release_path("capabilities", "v1.0.0", "groups/json/core_scenarios_accuracy.json"),
                   test_helm.to_bytes(accuracy))


def refresh_plain(settings) -> dict:
    """The refresh use case with plain steps (no Prefect): ingest live, analyze, alerts, publish."""
    from benchwatch.pipeline.refresh import refresh

    result = refresh(settings, mode="live")
    return {"reports": result.reports, "run_id": result.run_id}


def counts(db: Path) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    tables = ["observations", "models", "correlations", "capability_scores", "analysis_runs", "fetches"]
    out = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    out["ok_runs"] = con.execute("SELECT count(*) FROM analysis_runs WHERE status = 'ok'").fetchone()[0]
    con.close()
    return out


def checked(command: list[str], env: dict[str, str], cwd: Path | str) -> subprocess.CompletedProcess:
    """Run a child to completion; a failure raises with the child's own last lines of error output."""
    child = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    if child.returncode:
        raise RuntimeError(f"{' '.join(command[:4])} ... exited {child.returncode}:\n{child.stderr[-3000:]}")
    return child


def timed_cli(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds (user + system) and peak MiB of one ``benchwatch`` process (the
    kernel's accounting of that child alone), and what it printed."""
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "benchwatch.cli", *args], env=env, cwd=cwd,
                                 stdout=stdout, stderr=stderr, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        if child.returncode:
            raise RuntimeError(f"benchwatch {' '.join(args)} exited {child.returncode}:\n{stderr.read()[-3000:]}")
        return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout.read()


def first_command() -> list[Figure]:
    """The README's first command on a fresh home, then its second run (nothing new), each a fresh
    process with no Prefect API, from the checkout (where it finds the recorded data)."""
    with tempfile.TemporaryDirectory(prefix="first-command-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCHWATCH_", "PREFECT_"))}
        env.update(BENCHWATCH_HOME=home, BENCHWATCH_REPLAY_DIR=str(default_replay_dir()),
                   PREFECT_HOME=str(Path(home) / "prefect"))
        first, first_cpu, first_mib, _ = timed_cli(["refresh"], env, REPO)
        second, second_cpu, second_mib, said = timed_cli(["refresh"], env, REPO)
    without_prefect = "ran without Prefect" in said
    print(f"second run of the first command said: {said.strip().splitlines()[-1] if said.strip() else '(nothing)'}")
    return [
        Figure("README's first command, `benchwatch refresh` on a fresh home (default resamples)", first, "s",
               target=f"< {FIRST_COMMAND_TARGET:g} s", met=first < FIRST_COMMAND_TARGET),
        Figure("  its CPU (user + system)", first_cpu, "s"),
        Figure("  its peak memory", first_mib, "MiB"),
        Figure("its second run, nothing new, end to end", second, "s",
               target=f"< {UNCHANGED_TARGET:g} s, without Prefect",
               met=second < UNCHANGED_TARGET and without_prefect),
        Figure("  its CPU (user + system)", second_cpu, "s"),
        Figure("  its peak memory", second_mib, "MiB"),
    ]


def main() -> None:
    from benchwatch.settings import load_settings
    from tests.loopback import Upstream

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-first-command", action="store_true", help="skip the README's first command")
    args = parser.parse_args()

    upstream = Upstream().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data = default_replay_dir()
            mount_everything(upstream, data)
            db = Path(tmp) / "live.duckdb"
            settings = load_settings(db=db, upstream_base=upstream.url, bootstrap_resamples=RESAMPLES,
                                     eee_collections=EEE_COLLECTIONS)
            first = refresh_plain(settings)
            failed = [(r.source, r.error) for r in first["reports"] if r.status == "failed"]
            if failed:
                raise RuntimeError(f"first live refresh failed: {failed}")
            before = counts(db)
            upstream.log.clear()
            start = time.perf_counter()
            second = refresh_plain(settings)
            plain = time.perf_counter() - start
            after = counts(db)
            log = list(upstream.log)

            env = dict(os.environ, BENCHWATCH_UPSTREAM_BASE=upstream.url,
                       BENCHWATCH_BOOTSTRAP_RESAMPLES=str(RESAMPLES),
                       BENCHWATCH_EEE_COLLECTIONS=" ".join(EEE_COLLECTIONS), PREFECT_HOME=str(Path(tmp) / "prefect"),
                       PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING",
                       PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=STARTUP_TIMEOUT)
            env.pop("PREFECT_API_URL", None)
            upstream.log.clear()
            start = time.perf_counter()
            cli = checked([sys.executable, "-m", "benchwatch.cli", "refresh", "--live", "--db", str(db)], env, tmp)
            cli_seconds = time.perf_counter() - start
            cli_log = list(upstream.log)
            without_prefect = "ran without Prefect" in cli.stdout

            upstream.log.clear()
            start = time.perf_counter()
            child = checked([sys.executable, "-c", CHILD, str(db), str(data)], env, REPO)
            flow_seconds = time.perf_counter() - start
            flow = json.loads([line for line in child.stdout.splitlines() if line.startswith("{")][-1])
            flow_log = list(upstream.log)
    finally:
        upstream.stop()
    written = {t: after[t] - before[t] for t in ("observations", "models", "correlations", "capability_scores")}
    not_modified = sum(1 for _, _, status in log if status == 304)
    others = sorted({f"{path} -> {status}" for path, _, status in log if status != 304})
    print(f"second refresh: {len(log)} requests, {not_modified} answered 304; others: {others}")
    print(f"rows written: {written}; fetch log rows: {after['fetches'] - before['fetches']} "
          f"({', '.join(r.status for r in second['reports'])}); analysis run: {second['run_id']}")
    print(f"benchwatch refresh --live in a fresh process: {len(cli_log)} requests; "
          f"{'ran without Prefect' if without_prefect else 'ran under Prefect'}")
    print(f"flow run in a fresh process: {len(flow_log)} requests, statuses {flow['statuses']}, "
          f"analysis run {flow['run_id']}")
    nothing_written = not any(written.values()) and second["run_id"] is None and after["ok_runs"] == before["ok_runs"]
    emit("4. Refresh with nothing new (loopback upstreams, every source live)", [
        Figure("refresh, plain pipeline functions (no Prefect)", plain, "s"),
        Figure("benchwatch refresh --live, end to end, no Prefect API", cli_seconds, "s", peer=flow_seconds,
               peer_name="the flow under a temporary Prefect server", ratio=flow_seconds / cli_seconds,
               target="< 5 s, without Prefect", met=cli_seconds < 5 and without_prefect),
        Figure("  of the peer: Prefect start-up (temporary API server, trivial flow)", flow["startup"], "s"),
        Figure("  of the peer: the refresh flow run after it", flow["refresh"], "s"),
        Figure("requests sent / answered 304 Not Modified", len(log), "", peer=not_modified,
               peer_name="304", target="only conditional requests", met=not others),
        Figure("data rows written (observations, models, results)", sum(written.values()), "",
               target="0, analysis skipped", met=nothing_written and flow["run_id"] is None),
    ])
    if not args.no_first_command:
        emit("4b. The README's first command on a fresh home, and its second run", first_command())


if __name__ == "__main__":
    main()
