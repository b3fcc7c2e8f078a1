"""``benchwatch sources check`` against loopback upstreams serving today's formats: recognised for
every current format, ``changed`` naming what changed, ``unknown`` and unreachable exit non-zero,
and failures logged where ``source-failing`` and ``schema-changed`` read them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from benchwatch.alerting.rules import schema_changed, source_failing
from benchwatch.storage import views
from tests.eee_datastore import Datastore, hle_record, record_bytes
from tests.loopback import Fault, Upstream
from tests.paths import DATA_DIR
from tests.sources.test_lmarena import config_rows, first_rows

FIRST_ROWS = "/datasets-server.huggingface.co/first-rows"
ECI = "/epoch.ai/data/eci_scores.csv"
ECI_BYTES = (DATA_DIR / "epoch/current-layout/eci_scores_2025-12-19.csv").read_bytes()
INFO = "/huggingface.co/api/datasets/open-llm-leaderboard-old/results"
INFO_BODY = json.dumps({"_id": "x", "id": "open-llm-leaderboard-old/results",
                        "sha": "0123456789abcdef0123456789abcdef01234567",
                        "lastModified": "2024-06-26T09:12:00.000Z"}).encode()
EEE_MANIFEST = "/huggingface.co/datasets/evaleval/EEE_datastore/resolve/main/flat/latest_manifest.json"
LIVE_AND_PROBED = ("lmarena", "epoch", "open-llm-leaderboard-v1", "every-eval-ever")


@pytest.fixture
def upstream():
    server = Upstream().start()
    server.mount(FIRST_ROWS, first_rows())
    server.mount(ECI, ECI_BYTES, "text/csv")
    server.mount(INFO, INFO_BODY)
    store = Datastore(server)
    store.add("hle", record_bytes(hle_record("openai/gpt-4o", "GPT-4o", 2.7, 89.0, 1.75e9)))
    store.publish()
    yield server
    server.stop()


def check(upstream: Upstream, tmp_path: Path, *args: str) -> tuple[int, list[dict], str]:
    env = {**os.environ, "BENCHWATCH_UPSTREAM_BASE": upstream.url, "BENCHWATCH_HTTP_RETRIES": "1",
           "BENCHWATCH_DB": str(tmp_path / "bw.duckdb"), "BENCHWATCH_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "benchwatch.cli", "sources", "check", *args],
                            capture_output=True, text=True, env=env, timeout=300)
    rows = json.loads(result.stdout) if "--format" in args and result.stdout.strip() else []
    return result.returncode, rows, result.stderr


def test_every_current_format_is_recognised(upstream, tmp_path):
    code, rows, stderr = check(upstream, tmp_path, "--format", "json")
    assert code == 0, stderr
    found = {r["source"]: r for r in rows}
    assert set(found) == {"safetywashing-paper", "open-llm-leaderboard-v1", "open-llm-leaderboard-v2",
                          "helm-safety", "helm-capabilities", "lmarena", "epoch", "every-eval-ever"}
    for name in LIVE_AND_PROBED:
        assert (found[name]["reachable"], found[name]["http_status"], found[name]["format"]) == (True, 200, "recognised")
    # Newest data dates come from the responses: the board's publish date, the newest model release.
    assert found["lmarena"]["newest_data"] == config_rows("text")[0]["leaderboard_publish_date"] == "2025-07-18"
    assert found["epoch"]["newest_data"] == "2025-12-17"
    assert found["open-llm-leaderboard-v1"]["newest_data"] == "2024-06-26"
    assert (found["lmarena"]["liveness"], found["open-llm-leaderboard-v1"]["liveness"]) == ("live", "frozen")
    assert found["helm-safety"]["format"] == "not checked" and found["helm-safety"]["reachable"] is None
    # One cheap request per probed source, nothing else.
    assert sorted(path for path, _, _ in upstream.log) == sorted([ECI, FIRST_ROWS, INFO, EEE_MANIFEST])


def test_a_renamed_arena_column_is_changed_naming_it(upstream, tmp_path):
    upstream.mount(FIRST_ROWS, first_rows(rename={"vote_count": "votes"}))
    code, rows, _ = check(upstream, tmp_path, "--source", "lmarena", "--format", "json")
    assert code == 1
    [row] = rows
    assert (row["reachable"], row["format"], row["ok"]) == (True, "changed", False)
    assert "column 'vote_count'" in row["detail"] and "missing column(s) ['vote_count']" in row["detail"]
    assert "votes" in row["detail"]  # what it found instead


def test_epoch_in_the_old_layout_is_changed_naming_the_columns(upstream, tmp_path):
    old = ECI_BYTES.replace(b"Model,Display name,eci,eci_ci_low,eci_ci_high,date",
                            b"Model,Display name,ECI Score,eci_ci_low,eci_ci_high,Release date", 1)
    upstream.mount(ECI, old, "text/csv")
    code, rows, _ = check(upstream, tmp_path, "--source", "epoch", "--format", "json")
    [row] = rows
    assert code == 1 and row["format"] == "changed"
    assert "missing column(s) ['eci', 'date']" in row["detail"]


def test_a_bad_date_is_changed_naming_the_cell(upstream, tmp_path):
    upstream.mount(ECI, ECI_BYTES.replace(b"2025-11-18", b"last autumn", 1), "text/csv")
    code, rows, _ = check(upstream, tmp_path, "--source", "epoch", "--format", "json")
    assert code == 1 and "column 'date', row 0: not a date: 'last autumn'" in rows[0]["detail"]


def test_an_html_page_instead_of_the_payload_is_unknown(upstream, tmp_path):
    upstream.inject(FIRST_ROWS, Fault("html"))
    code, rows, _ = check(upstream, tmp_path, "--source", "lmarena", "--format", "json")
    assert code == 1
    assert (rows[0]["reachable"], rows[0]["format"]) == (True, "unknown")
    assert "not JSON" in rows[0]["detail"]


def test_a_source_that_is_down_is_unreachable(upstream, tmp_path):
    upstream.inject(ECI, Fault("status", 503), Fault("status", 503))
    code, rows, _ = check(upstream, tmp_path, "--source", "epoch", "--source", "lmarena", "--format", "json")
    assert code == 1
    epoch, arena = rows
    assert (epoch["reachable"], epoch["http_status"], epoch["format"]) == (False, 503, "unknown")
    assert "epoch.ai/data/eci_scores.csv: HTTP 503" in epoch["detail"]
    assert arena["format"] == "recognised"


def test_an_unknown_source_is_a_clear_error(upstream, tmp_path):
    code, _, stderr = check(upstream, tmp_path, "--source", "nope")
    assert code == 2 and "unknown source 'nope'" in stderr and "Traceback" not in stderr


def test_the_table_names_each_source_and_its_format(upstream, tmp_path):
    env = {**os.environ, "BENCHWATCH_UPSTREAM_BASE": upstream.url, "BENCHWATCH_DB": str(tmp_path / "bw.duckdb")}
    result = subprocess.run([sys.executable, "-m", "benchwatch.cli", "sources", "check"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "recognised" in result.stdout and "not checked" in result.stdout and "lmarena" in result.stdout


def test_recorded_failures_feed_source_failing_and_schema_changed(upstream, tmp_path):
    upstream.mount(FIRST_ROWS, first_rows(rename={"rating_upper": "upper"}))
    upstream.inject(ECI, *[Fault("status", 503)] * 6)
    for _ in range(3):
        code, _, _ = check(upstream, tmp_path, "--record", "--source", "lmarena", "--source", "epoch",
                           "--source", "open-llm-leaderboard-v1", "--format", "json")
        assert code == 1
    con = duckdb.connect(str(tmp_path / "bw.duckdb"), read_only=True)
    fetches = views.fetch_log(con, newest_first=False)
    con.close()
    # Only failures are logged: a good probe reads no data and must not reset a failure streak.
    assert sorted(fetches["source"].value_counts().items()) == [("epoch", 3), ("lmarena", 3)]
    assert set(fetches["status"]) == {"failed"} and set(fetches["mode"]) == {"live"}
    failing = [t for t in source_failing(fetches, after=3) if t.state == "firing"]
    assert {t.source for t in failing} == {"epoch", "lmarena"}
    [schema] = [t for t in schema_changed(fetches) if t.state == "firing"]
    assert schema.source == "lmarena" and "column 'rating_upper'" in schema.message
