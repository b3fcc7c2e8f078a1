"""The static JSON API: every file validates against its schema in the repository and names its release;
a benchmark's file holds every series with its points, equal to the release's correlations."""

from __future__ import annotations

import json

import jsonschema
import pandas as pd

from benchwatch.publish.api import schema
from benchwatch.publish.build import publish
from tests.publish.conftest import LAB


def test_every_api_file_validates_and_names_its_release(lab, tmp_path):
    done = publish(lab, str(tmp_path / "site"))
    api = tmp_path / "site" / "api" / "v1"
    index = json.loads((api / "index.json").read_bytes())
    documents = {"index": [index], "sources": [json.loads((api / "sources.json").read_bytes())],
                 "alerts": [json.loads((api / "alerts.json").read_bytes())],
                 "benchmark": [json.loads((api / b["path"]).read_bytes()) for b in index["benchmarks"]]}
    for name, found in documents.items():
        assert found, name
        for document in found:
            jsonschema.Draft202012Validator(schema(name)).validate(document)
            assert (document["release"], document["manifest_sha256"]) == (done.release, done.manifest_sha256)
    assert [b["id"] for b in index["benchmarks"]] == ["lab--overrefusal", "lab--refusal"]
    assert [a["rule"] for a in documents["alerts"][0]["alerts"]] == ["capability-tracking"]
    [source] = documents["sources"][0]["sources"]
    assert (source["name"], source["observations"], source["models"]) == (LAB, 150, 30)
    # The schemas the site serves are the repository's.
    assert json.loads((api / "schemas" / "benchmark.schema.json").read_bytes()) == schema("benchmark")


def test_a_benchmark_file_holds_each_series_with_the_release_numbers(lab, tmp_path):
    publish(lab, str(tmp_path / "site"))
    document = json.loads((tmp_path / "site" / "api" / "v1" / "benchmarks" / "lab--refusal.json").read_bytes())
    correlations = pd.read_csv(tmp_path / "site" / "latest" / "correlations.csv")
    [series] = document["series"]
    [point] = series["points"]
    [row] = correlations[correlations["benchmark"] == "refusal"].to_dict("records")
    assert (series["model_set"], series["axis"], document["name"], document["direction"]) == (
        row["model_set"], row["axis"], "Refusal <b>eval</b>", 1)
    assert (point["as_of"], point["rho"], point["n"]) == ("2026-05-28", row["rho"], 30)
    assert point["ci_low"] < point["rho"] < point["ci_high"]


def test_a_document_missing_its_release_fails_the_schema(lab, tmp_path):
    publish(lab, str(tmp_path / "site"))
    document = json.loads((tmp_path / "site" / "api" / "v1" / "alerts.json").read_bytes())
    del document["release"]
    validator = jsonschema.Draft202012Validator(schema("alerts"))
    assert [e.message for e in validator.iter_errors(document)] == ["'release' is a required property"]
