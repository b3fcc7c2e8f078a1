"""`publish --to s3://...` on the loopback S3 server the backup tests use (moto): the bucket holds the same
bytes as a folder publish, a second publish uploads nothing, and new data uploads only what changed."""

from __future__ import annotations

from datetime import timedelta

import boto3

from benchwatch.pipeline.refresh import refresh
from benchwatch.publish.build import publish
from tests.publish.conftest import FIRST_DAY, LAB, copy_lab, lab_frame, write_lab
from tests.test_backup import s3  # noqa: F401 - moto's S3 server on loopback, with the bucket below

BUCKET = "benchwatch-backups"


def objects(endpoint: str) -> dict[str, bytes]:
    client = boto3.client("s3", endpoint_url=endpoint)
    keys = [o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="site/")
            for o in page.get("Contents", [])]
    return {key.removeprefix("site/"): client.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys}


def tree(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_an_upload_sends_only_changed_files(lab, tmp_path, s3):  # noqa: F811 - the fixture
    settings = copy_lab(lab, tmp_path / "db").model_copy(update={"backup_endpoint_url": s3})
    url = f"s3://{BUCKET}/site"
    first = publish(settings, url)
    publish(settings, str(tmp_path / "folder"))
    uploaded = objects(s3)
    assert uploaded == tree(tmp_path / "folder")
    assert sorted(first.written) == sorted(uploaded)

    again = publish(settings, url)
    assert (again.release, again.new_release, again.written) == (first.release, False, ())

    write_lab(tmp_path / "db" / "lab.csv", lab_frame(seed=8), FIRST_DAY + timedelta(days=3))
    assert not refresh(settings, [LAB]).failed
    third = publish(settings, url)
    after = objects(s3)
    changed = {key for key, data in after.items() if uploaded.get(key) != data}
    assert third.release == "2026-05-31" and set(third.written) == changed
    assert not any(key.startswith("releases/2026-05-28/") for key in third.written)
    assert "style.css" not in third.written and "api/v1/schemas/index.schema.json" not in third.written
