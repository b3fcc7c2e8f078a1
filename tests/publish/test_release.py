"""The data release: files equal their manifest, a publish is deterministic and incremental, new data
makes a new release chained to the previous one, and the datapackage validates."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path

import pandas as pd
from frictionless import Package

from benchwatch.pipeline.refresh import refresh
from benchwatch.publish.build import publish
from tests.clirun import run
from tests.publish.conftest import FIRST_DAY, FORMULA, LAB, SCRIPT, copy_lab, lab_frame, write_lab


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_every_file_equals_its_manifest_entry_and_the_release_is_dated_by_the_data(lab, tmp_path):
    done = publish(lab, str(tmp_path / "site"))
    assert (done.release, done.new_release) == ("2026-05-28", True)
    folder = tmp_path / "site" / "releases" / "2026-05-28"
    manifest = json.loads((folder / "manifest.json").read_bytes())
    assert manifest["previous"] is None and manifest["date"] == "2026-05-28"
    assert set(manifest["files"]) == {f"{t}.{ext}" for t in ("correlations", "observations", "findings", "alerts",
                                                             "models") for ext in ("csv", "parquet")} | {
        "datapackage.json", "LICENSES.md"}
    for name, entry in manifest["files"].items():
        data = (folder / name).read_bytes()
        assert (sha(data), len(data)) == (entry["sha256"], entry["bytes"]), name
    manifest_hash = sha((folder / "manifest.json").read_bytes())
    assert done.manifest_sha256 == manifest_hash
    assert (tmp_path / "site" / "latest_manifest.json").read_bytes() == (folder / "manifest.json").read_bytes()
    assert tree(tmp_path / "site" / "latest") == tree(folder)
    for citing in ("CITATION.cff", "CITATION.bib"):
        text = (folder / citing).read_text()
        assert manifest_hash in text and "2026-05-28" in text
    # 30 models, two safety benchmarks correlated on pc1: the CSV and Parquet hold the same rows.
    correlations = pd.read_csv(folder / "correlations.csv")
    assert len(pd.read_csv(folder / "models.csv")) == 30 and len(pd.read_csv(folder / "observations.csv")) == 150
    assert correlations[["source", "benchmark", "axis", "n"]].values.tolist() == [
        [LAB, "overrefusal", "pc1", 30], [LAB, "refusal", "pc1", 30]]
    pd.testing.assert_frame_equal(correlations[["rho", "n"]],
                                  pd.read_parquet(folder / "correlations.parquet")[["rho", "n"]])
    assert correlations["rho"].between(-1, 1).all() and correlations["rho"].iloc[1] > 0.7


def test_a_second_publish_changes_no_byte_and_adds_no_release(lab, tmp_path):
    site = tmp_path / "site"
    publish(lab, str(site))
    before = tree(site)
    again = publish(lab, str(site))
    assert (again.new_release, again.written) == (False, ())
    assert tree(site) == before
    assert sorted(p.name for p in (site / "releases").iterdir()) == ["2026-05-28"]
    # Another folder from the same database: byte-identical.
    publish(lab, str(tmp_path / "other"))
    assert tree(tmp_path / "other") == before


def test_new_data_makes_a_new_release_naming_the_previous_manifest(lab, tmp_path):
    settings = copy_lab(lab, tmp_path / "db")
    site = tmp_path / "site"
    first = publish(settings, str(site))

    # A revision the same day: a second release of that date.
    write_lab(tmp_path / "db" / "lab.csv", lab_frame(seed=8), FIRST_DAY + timedelta(hours=2))
    assert not refresh(settings, [LAB]).failed
    second = publish(settings, str(site))
    # New models a week later: a release of that date.
    write_lab(tmp_path / "db" / "lab.csv", lab_frame(extra_models=5, seed=8), FIRST_DAY + timedelta(days=7))
    assert not refresh(settings, [LAB]).failed
    third = publish(settings, str(site))

    assert [first.release, second.release, third.release] == ["2026-05-28", "2026-05-28-2", "2026-06-04"]
    chain = [json.loads((site / "releases" / r.release / "manifest.json").read_bytes())["previous"]
             for r in (second, third)]
    assert chain == [{"release": first.release, "manifest_sha256": first.manifest_sha256},
                     {"release": second.release, "manifest_sha256": second.manifest_sha256}]
    # The first release is untouched, latest/ is the newest.
    assert sha((site / "releases" / "2026-05-28" / "manifest.json").read_bytes()) == first.manifest_sha256
    assert sha((site / "latest" / "manifest.json").read_bytes()) == third.manifest_sha256
    assert len(pd.read_csv(site / "latest" / "models.csv")) == 35


def test_the_datapackage_validates_and_describes_every_column(lab, tmp_path):
    publish(lab, str(tmp_path / "site"))
    folder = tmp_path / "site" / "latest"
    descriptor = json.loads((folder / "datapackage.json").read_bytes())
    csvs = [r for r in descriptor["resources"] if r["format"] == "csv"]
    for resource in csvs:
        header = next(csv.reader(io.StringIO((folder / resource["path"]).read_text())))
        assert header == [f["name"] for f in resource["schema"]["fields"]]
        assert all(f["description"] for f in resource["schema"]["fields"])
    rho = next(f for f in csvs[0]["schema"]["fields"] if f["name"] == "rho")
    assert rho["unit"] == "fraction" and rho["constraints"] == {"minimum": -1, "maximum": 1}
    package = Package({**descriptor, "resources": csvs}, basepath=str(folder))
    report = package.validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_hostile_model_names_are_inert_in_the_csv(lab, tmp_path):
    publish(lab, str(tmp_path / "site"))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "site" / "latest" / "models.csv").read_text())))
    names = {row["model"] for row in rows}
    assert "'" + FORMULA in names and FORMULA not in names and SCRIPT in names
    # Negative numbers stay numbers: only text cells are quoted.
    values = pd.read_csv(tmp_path / "site" / "latest" / "observations.csv")["value"]
    assert values.dtype == float and (values < 0).any()


def test_the_command_publishes_then_reports_the_release_unchanged(lab, tmp_path):
    site = tmp_path / "site"
    first = run("publish", "--db", str(lab.db), "--out", str(site))
    manifest_hash = sha((site / "latest_manifest.json").read_bytes())
    assert first.stdout.startswith(f"published {site}: new release 2026-05-28 (manifest sha256 {manifest_hash})")
    second = run("publish", "--db", str(lab.db), "--out", str(site))
    assert "release unchanged 2026-05-28" in second.stdout and second.stdout.endswith("; 0 file(s) written\n")
    missing = run("publish", "--db", str(tmp_path / "none.duckdb"), "--out", str(site), check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == (f"database {tmp_path / 'none.published.duckdb'} does not exist yet: "
                                      "run `benchwatch refresh` first")
