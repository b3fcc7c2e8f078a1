"""The fast schema check (``jsonschema-rs`` on the relaxed schema) decides exactly as the reference
check (``jsonschema`` and the tolerances) on the EEE schema: the same records accepted, the same
records refused with the same message (record, schema path, what is wrong).

Records: the recorded examples (schema 0.2.0 and 0.2.2: older versions without the 0.3.0 additions),
the adapters' shapes of ``tests/eee_datastore.py`` (0.3.0; 0.2.2 with numbers as strings), and
thousands of seeded mutations of them (a key dropped, a value replaced by another JSON type) at
every depth, including inside ``source_data`` (a ``oneOf``) and the free-form maps."""

from __future__ import annotations

import copy
import json
import random

import pytest

from benchwatch.sources.eee_records import (RecordError, check_record, fast_validator, load_json,
                                            parse_record, reference_check)
from tests.eee_datastore import EXAMPLES, hle_record, scale_record, vectara_record

REPLACEMENTS = ["0.82", "true", "abc", 3, 2.5, -1, True, None, [], ["x"], {}, {"k": 1}, "", "Infinity"]


def bases() -> list[dict]:
    rng = random.Random(7)
    examples = [json.loads(p.read_bytes()) for p in sorted(EXAMPLES.glob("*.json"))]
    return [*examples, hle_record("openai/gpt-4o", "GPT-4o", 61.0, 12.5, 1_790_000_000),
            vectara_record("google/gemma-2", 3.1, 1_790_000_000),
            scale_record("dev001/model-00001", "collection-001", ["bench001.score", "bench002.score"], rng,
                         1_790_000_000, "2026-10-30")]


def paths(node: object, prefix: tuple = ()) -> list[tuple]:
    """Every key or index path in a JSON value."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


def mutated(record: dict, path: tuple, replacement: object | None) -> dict:
    """The record with the value at ``path`` replaced (or its key dropped when ``replacement`` is None
    and the parent is a dict)."""
    out = copy.deepcopy(record)
    parent = out
    for part in path[:-1]:
        parent = parent[part]
    if replacement is None and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return out


def outcome(check, record: dict) -> str:
    try:
        check(record, "flat/objects/ab/cd/record.json")
    except RecordError as exc:
        return str(exc)
    return "accepted"


def cases() -> list[dict]:
    rng = random.Random(23)
    out = []
    for base in bases():
        out.append(base)
        every = paths(base)
        for path in every:  # each key dropped once
            out.append(mutated(base, path, None))
        for path in rng.sample(every, min(len(every), 100)):  # other types at random paths
            for replacement in rng.sample(REPLACEMENTS, 4):
                out.append(mutated(base, path, replacement))
        older = copy.deepcopy(base)
        older["schema_version"] = "0.3.0" if base["schema_version"] != "0.3.0" else "0.2.2"
        out.append(older)
    return out


def test_fast_check_decides_as_the_reference_on_every_mutation() -> None:
    records = cases()
    accepted = refused = shortcut = 0
    for record in records:
        fast, reference = outcome(check_record, record), outcome(reference_check, record)
        assert fast == reference, json.dumps(record)[:400]
        accepted += fast == "accepted"
        refused += fast != "accepted"
        version = str(record.get("schema_version", ""))
        shortcut += fast_validator(version != "0.3.0").is_valid(record)
    # The mix exercised both answers and both paths, not only one of them.
    assert len(records) > 1_500 and accepted > 300 and refused > 300, (len(records), accepted, refused)
    assert 0 < shortcut < accepted, (shortcut, accepted)


def test_a_bad_record_is_refused_naming_the_record_and_the_field() -> None:
    record = hle_record("openai/gpt-4o", "GPT-4o", 61.0, 12.5, 1_790_000_000)
    record["model_info"]["id"] = 42
    with pytest.raises(RecordError, match=r"^objects/x\.json: does not follow the EEE schema at model_info/id: "
                                          r"42 is not of type 'string' \(schema_version '0\.3\.0'\)$"):
        check_record(record, "objects/x.json")
    bad_source = hle_record("openai/gpt-4o", "GPT-4o", 61.0, 12.5, 1_790_000_000)
    bad_source["evaluation_results"][0]["source_data"]["additional_details"] = {"n": 3}
    # Inside a oneOf the free-form map is not relaxed: the reference refuses it, so does the check.
    with pytest.raises(RecordError, match=r"at evaluation_results/0/source_data: .* is not valid under any"):
        check_record(bad_source, "objects/x.json")
    missing = hle_record("openai/gpt-4o", "GPT-4o", 61.0, 12.5, 1_790_000_000)
    del missing["eval_library"]
    with pytest.raises(RecordError, match=r"at \(root\): 'eval_library' is a required property"):
        check_record(missing, "objects/x.json")
    missing["schema_version"] = "0.2.2"  # an older record without a 0.3.0 addition is read
    assert check_record(missing, "objects/x.json") is missing


def test_json_is_read_as_json_loads_reads_it() -> None:
    assert load_json(b'{"a": NaN, "b": 1e400, "c": 123456789012345678901234567890}') == {
        "a": pytest.approx(float("nan"), nan_ok=True), "b": float("inf"), "c": 123456789012345678901234567890}
    body = json.dumps(hle_record("openai/gpt-4o", "GPT-4o", 61.0, 12.5, 1_790_000_000)).encode()
    assert load_json(body) == json.loads(body)
    assert load_json(body.decode().encode("utf-16")) == json.loads(body)
    with pytest.raises(RecordError, match=r"^r\.json: not JSON \(Expecting value: line 1 column 1"):
        parse_record(b"<html>", "r.json")
