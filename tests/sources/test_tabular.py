"""A benchmark author's file in every accepted format reads to the same rows; bad files are named."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from benchwatch.settings import InputLimits
from benchwatch.sources.tabular import (
    InputError,
    detected_columns,
    scores_from_bytes,
    scores_from_path,
    table_columns,
)
from tests.eee_datastore import EXAMPLES, hle_record

ROWS = pd.DataFrame({"Model": ["a/x", "b/y", "c/z"], "refusal": [0.5, 0.25, 1.0], "set": ["chat", "chat", "base"]})


def as_parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


@pytest.mark.parametrize(("filename", "content"), [
    ("r.csv", ROWS.to_csv(index=False).encode()),
    ("r.tsv", ROWS.to_csv(index=False, sep="\t").encode()),
    ("r.parquet", as_parquet(ROWS)),
    ("r.json", json.dumps(ROWS.to_dict("records")).encode()),
    ("r.json", json.dumps({"data": ROWS.to_dict("records")}).encode()),
])
def test_every_table_format_gives_the_same_rows(filename, content):
    user = scores_from_bytes(content, filename)
    assert user.columns == ("Model", "refusal", "set") and user.benchmark == "r"
    assert user.scores["model"].tolist() == ["a/x", "b/y", "c/z"]
    assert user.scores["score"].tolist() == [0.5, 0.25, 1.0]
    assert user.scores["model_set"].tolist() == ["chat", "chat", "base"]


def test_eee_jsonl_and_one_record():
    records = [hle_record(f"lab/m{k}", f"m{k}", 10.0 + k, 80.0 - k, 1777000000) for k in range(3)]
    jsonl = "\n".join(json.dumps(r) for r in records).encode()
    user = scores_from_bytes(jsonl, "mine.jsonl", "hle.calibration_error")
    assert user.benchmark == "hle.calibration_error" and user.lower_is_better is True
    assert user.scores["score"].tolist() == [80.0, 79.0, 78.0]
    with pytest.raises(InputError, match="2 evaluations; pick one with --name"):
        scores_from_bytes(jsonl, "mine.jsonl")
    one = scores_from_path(EXAMPLES / "hfopenllm_v2-record.json", "IFEval")
    assert one.scores["model"].tolist() == ["TencentARC/LLaMA-Pro-8B-Instruct"]


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("r.xlsx", b"x", "unknown file type '.xlsx'"),
    ("r.json", b'{"a": 1}', "JSON must be a list of objects"),
    ("r.parquet", b"not parquet", "not a readable PARQUET file"),
    ("r.csv", b"model,score\n,0.5\n", "1 row(s) without a model name (rows 2)"),
    ("r.jsonl", b'{"schema_version": "0.3.0"}\n', "r.jsonl line 1: does not follow the EEE schema"),
])
def test_bad_files_are_named(filename, content, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        scores_from_bytes(content, filename)


def test_the_check_pages_column_pickers_read_the_header_only():
    """Issue 25: the Check page offers the file's own headers, preset to what the check would take."""
    assert table_columns(b"Who,XSTest refusal,notes\na,0.5,x\n", "mine.csv") == ["Who", "XSTest refusal", "notes"]
    assert table_columns(b"model\tscore\na\t1\n", "mine.tsv") == ["model", "score"]
    buffer = io.BytesIO()
    pd.DataFrame({"name": ["a"], "refusal": [0.5]}).to_parquet(buffer)
    assert table_columns(buffer.getvalue(), "mine.parquet") == ["name", "refusal"]
    assert table_columns(json.dumps([{"model": "a", "value": 1}]).encode(), "mine.json") == ["model", "value"]
    assert table_columns(b'{"model_info": {}}\n', "records.jsonl") is None  # EEE records name their own
    assert detected_columns(["Who", "XSTest refusal", "notes"]) == (None, None)  # nothing to guess: asked
    assert detected_columns(["Model", "acc"]) == ("Model", "acc")  # the only other column is the score
    assert detected_columns(["model", "set", "score", "other"]) == ("model", "score")
    with pytest.raises(InputError, match="the file is empty"):
        table_columns(b"  ", "mine.csv")
    with pytest.raises(InputError, match="more than the 10 accepted"):
        table_columns(b"model,score\na,0.5\n", "mine.csv", InputLimits(max_bytes=10))
