"""``benchwatch backup`` then ``benchwatch restore`` into a new path gives the same answers, to a folder
and to S3 (moto's server on 127.0.0.1); retention keeps the newest; a damaged backup is refused."""

from __future__ import annotations

import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import duckdb
import pytest
from typer.testing import CliRunner

from benchwatch.cli import app
from benchwatch.pipeline.refresh import refresh
from benchwatch.settings import load_settings
from benchwatch.storage.backup import DB_FILE, MANIFEST
from benchwatch.storage.publish import published_path

READS = [["sources", "--format", "json"], ["correlations", "--format", "json"],
         ["correlations", "--as-of", "all", "--format", "json"], ["alerts", "--format", "json"]]


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """Epoch's two recorded snapshots, analyzed, with alerts (a re-fit and a layout change)."""
    db = tmp_path_factory.mktemp("original") / "bw.duckdb"
    result = refresh(load_settings(db=db, replay_dir=data_dir, bootstrap_resamples=0), ["epoch"])
    assert not result.failed
    return db


def bw(*args: str, env: dict | None = None) -> str:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def answers(db: Path) -> list[object]:
    return [json.loads(bw(*command, "--db", str(db))) for command in READS]


def test_backup_to_a_folder_and_restore_into_a_new_path(original, tmp_path):
    before = answers(original)
    assert all(before) and before[3]  # sources, correlations and alerts to compare
    folder = tmp_path / "backups"
    said = bw("backup", "--to", str(folder), "--db", str(original))
    [backup] = sorted(folder.glob("benchwatch-*"))
    assert f"to {backup}" in said
    manifest = json.loads((backup / MANIFEST).read_text())
    con = duckdb.connect(str(original), read_only=True)
    observations = con.execute("SELECT count(*) FROM observations").fetchone()[0]
    con.close()
    assert manifest["tables"]["observations"] == observations > 0

    restored = tmp_path / "elsewhere" / "bw.duckdb"
    said = bw("restore", str(backup), "--db", str(restored))
    assert f"restored {backup}" in said
    assert answers(restored) == before
    assert published_path(restored).exists()  # the dashboard sees it at once


def test_retention_keeps_the_newest_and_restore_takes_the_newest_of_a_folder(original, tmp_path):
    folder = tmp_path / "backups"
    for _ in range(3):
        bw("backup", "--to", str(folder), "--keep", "2", "--db", str(original))
    kept = sorted(folder.glob("benchwatch-*"))
    assert len(kept) == 2
    target = tmp_path / "bw.duckdb"
    target.write_bytes(b"the damaged file")
    said = bw("restore", str(folder), "--db", str(target))
    assert f"restored {kept[-1]}" in said
    # The file that was in the way is kept aside, never overwritten.
    [aside] = tmp_path.glob("bw.duckdb.before-restore-*")
    assert aside.read_bytes() == b"the damaged file"
    assert answers(target) == answers(original)


def test_a_damaged_backup_is_refused_and_nothing_is_replaced(original, tmp_path):
    folder = tmp_path / "backups"
    bw("backup", "--to", str(folder), "--db", str(original))
    [backup] = folder.glob("benchwatch-*")
    manifest = json.loads((backup / MANIFEST).read_text())
    runner = CliRunner()
    target = tmp_path / "bw.duckdb"

    manifest["tables"]["observations"] += 1
    manifest["sha256"] = hashlib.sha256((backup / DB_FILE).read_bytes()).hexdigest()
    (backup / MANIFEST).write_text(json.dumps(manifest))
    result = runner.invoke(app, ["restore", str(backup), "--db", str(target)])
    assert result.exit_code == 1 and "does not match its manifest: observations has" in result.output
    data = bytearray((backup / DB_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (backup / DB_FILE).write_bytes(bytes(data))
    result = runner.invoke(app, ["restore", str(backup), "--db", str(target)])
    assert result.exit_code == 1 and "is damaged: benchwatch.duckdb does not have the sha256" in result.output
    assert "Traceback" not in result.output and not target.exists()


@pytest.fixture
def s3(monkeypatch) -> Iterator[str]:
    """moto's S3 server on a free loopback port, with a bucket; the endpoint goes to the settings."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "BENCHWATCH_BACKUP_ENDPOINT_URL": endpoint}.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="benchwatch-backups")
    yield endpoint
    server.stop()


def test_backup_to_s3_and_restore_from_it(original, tmp_path, s3):
    before = answers(original)
    for _ in range(2):
        bw("backup", "--to", "s3://benchwatch-backups/prod", "--keep", "1", "--db", str(original))
    listed = boto3.client("s3", endpoint_url=s3).list_objects_v2(Bucket="benchwatch-backups")["Contents"]
    keys = sorted(obj["Key"] for obj in listed)
    assert len(keys) == 2 and keys[0].endswith(DB_FILE) and keys[1].endswith(MANIFEST)
    restored = tmp_path / "bw.duckdb"
    said = bw("restore", "s3://benchwatch-backups/prod", "--db", str(restored))
    assert f"restored s3://benchwatch-backups/prod/{keys[0].split('/')[1]}" in said
    assert answers(restored) == before


def test_the_scheduled_flow_backs_up_with_retention(original, tmp_path):
    from benchwatch.flows.backup import backup

    folder = tmp_path / "backups"
    for _ in range(2):
        done = backup.fn(db=str(original), to=str(folder), keep=1)
    [kept] = folder.glob("benchwatch-*")
    assert done["location"] == str(kept) and len(done["removed"]) == 1
    assert done["tables"] == json.loads((kept / MANIFEST).read_text())["tables"]
