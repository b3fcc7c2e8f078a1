"""The publish flow under Prefect's test harness (a real temporary Prefect API): it builds the site into
the given folder, and a second run with nothing new reports the same release and writes nothing."""

from __future__ import annotations

import json

import pytest

from benchwatch.flows.publish import publish
from tests.prefect_harness import harness as shared_harness

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def harness(prefect_server):
    with shared_harness(prefect_server):
        yield


def test_the_flow_publishes_then_writes_nothing_new(lab, tmp_path):
    site = tmp_path / "site"
    first = publish(db=str(lab.db), to=str(site))
    manifest = json.loads((site / "latest_manifest.json").read_bytes())
    assert (first["release"], first["new_release"]) == (manifest["release"], True) == ("2026-05-28", True)
    assert first["written"] == len([p for p in site.rglob("*") if p.is_file()])
    second = publish(db=str(lab.db), to=str(site))
    assert (second["release"], second["new_release"], second["written"]) == ("2026-05-28", False, 0)
    assert second["manifest_sha256"] == first["manifest_sha256"]
